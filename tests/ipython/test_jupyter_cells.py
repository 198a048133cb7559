"""asyncrepl's cells in a real kernel: the numbers the notebook shows, only the user's tasks,
reports in the cell they belong to, and an interrupt's one line."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ipython.kernels import Cell, execute, running_kernel, wait_for_output

pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.jupyter

#: Names of ipykernel's own tasks (coroutines) in ipykernel 6 and 7, and a cell's task not
#: known as a cell (its coroutine is the shell's, and its name asyncio's).
KERNEL_NAMES = (
    "shell_main",
    "run_in_context",
    "dispatch_queue",
    "Kernel.",
    "do_execute",
    "run_cell_async (",
)


@pytest.fixture
def kernel(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A kernel with asyncrepl loaded by its first cell (which then runs the test's
    ``param``, if it has one)."""
    more = getattr(request, "param", "")
    with running_kernel() as client:
        cell = execute(client, "%load_ext asyncrepl\nimport asyncio\n" + more)
        assert cell.status == "ok", cell.text
        yield client


#: A cell's code that waits, at most 5 s, until the session has noted a block report.
_UNTIL_A_BLOCK_IS_NOTED = """\
from asyncrepl.ipython.state import session_of
for _ in range(100):
    if any(i.kind.name == "BLOCK" for i in session_of(get_ipython()).journal):
        break
    await asyncio.sleep(0.05)
"""


def window(client: Any, cell: int) -> float:
    """How long the session says cell ``cell`` ran."""
    code = (
        "from asyncrepl.ipython.state import session_of\n"
        f"_s, _e = session_of(get_ipython()).cell_windows[{cell}]\n"
        "print(round(_e - _s, 3))"
    )
    return float(execute(client, code).text)


def test_cell_n_is_the_cell_the_notebook_calls_n(kernel: Any) -> None:
    slept = execute(kernel, "await asyncio.sleep(0.3)")
    time.sleep(0.4)
    execute(kernel, "  ")  # an empty cell: post_run_cell without pre_run_cell
    quick = execute(kernel, "x = 1")
    assert 0.3 <= window(kernel, slept.count) < 0.6
    assert window(kernel, quick.count) < 0.2
    shown = execute(kernel, f"%timeline --cell {slept.count}").text
    assert f"Timeline of cell {slept.count} (0.3" in shown, shown
    assert f"cell [{slept.count}]" in shown and f"cell [{quick.count}]" not in shown
    gathered = execute(kernel, "await asyncio.gather(asyncio.sleep(0.2), asyncio.sleep(0.3))")
    shown = execute(kernel, "%timeline").text
    assert f"Timeline of cell {gathered.count} (0.3" in shown, shown
    assert "cell [" in shown and f"cell [{gathered.count - 1}]" not in shown


@pytest.mark.parametrize("kind", ["python3", "tasks"])
def test_the_kernels_own_tasks_never_appear(kind: str, tmp_path: Path) -> None:
    with running_kernel(kind) as kernel:
        execute(kernel, "%load_ext asyncrepl\nimport asyncio")
        check_only_the_users_tasks(kernel, tmp_path)


def check_only_the_users_tasks(kernel: Any, tmp_path: Path) -> None:
    execute(kernel, "print('a sync cell')")
    execute(kernel, "await asyncio.sleep(0.05)")
    execute(
        kernel,
        "async def work(n):\n    await asyncio.sleep(n)\n    return n\n"
        "done = await asyncio.gather(work(0.01), work(0.02))\n"
        "worker = asyncio.create_task(work(30), name='worker')",
    )
    export = tmp_path / "trace.json"
    outputs = {
        "%tasks": execute(kernel, "%tasks").text,
        "%tasks -a": execute(kernel, "%tasks -a").text,
        "%tasks --tree": execute(kernel, "%tasks --tree").text,
        "%timeline --all": execute(kernel, f"%timeline --all --export {export}").text,
        "%timeline --task": execute(kernel, "%timeline --all --task shell").text,
        "%explain": execute(kernel, "%explain").text,
    }
    assert "worker" in outputs["%tasks"] and "1 task" in outputs["%tasks"], outputs["%tasks"]
    assert "work" in outputs["%timeline --all"]
    outputs["export"] = export.read_text()
    for name, text in outputs.items():
        for kernel_name in KERNEL_NAMES:
            assert kernel_name not in text, f"{name} shows {kernel_name}: {text}"
    blocked = execute(kernel, "import time\ntime.sleep(0.3)")
    later = execute(kernel, "await asyncio.sleep(0.2)")
    report = blocked.text + later.text
    assert re.search(rf"blocked for 0\.3\d* s by task 'cell \[{blocked.count}\]'", report), report
    names = {e.get("args", {}).get("name") for e in json.loads(outputs["export"])["traceEvents"]}
    assert "worker" in str(names)
    execute(kernel, "worker.cancel()")


# The first cell awaits too, before asyncrepl knows any cell (a notebook's usual start).
@pytest.mark.parametrize("kernel", ["await asyncio.sleep(0.05)"], indirect=True)
def test_an_export_names_the_users_await_for_a_cell(kernel: Any, tmp_path: Path) -> None:
    """A cell's task runs the shell's coroutine; its track names the cell's own await."""
    slept = execute(kernel, "await asyncio.sleep(0.3)")
    execute(kernel, "async def a():\n    await asyncio.sleep(0.1)\nb = a")
    gathered = execute(kernel, "x = 1\nawait asyncio.gather(a(), b())")
    export = tmp_path / "t.json"
    for cell in (slept, gathered):
        execute(kernel, f"%timeline --cell {cell.count} --export {export}")
        events = json.loads(export.read_text())["traceEvents"]
        name = f"cell [{cell.count}]"
        track = next(e["tid"] for e in events if e["name"] == "thread_name" and name in str(e))
        waits = [
            e["args"]["woken after waiting for"]
            for e in events
            if e.get("tid") == track and "woken after waiting for" in e.get("args", {})
        ]
        line = (
            "1: await asyncio.sleep(0.3)" if cell is slept else "2: await asyncio.gather(a(), b())"
        )
        call = "asyncio.sleep" if cell is slept else "asyncio.gather"
        assert waits == [f"{call} at <cell {cell.count}>:{line}"], waits


def interrupted(kernel: Any, code: str) -> Cell:
    """Run ``code`` and interrupt the kernel after 1.5 s, as the notebook's stop button does."""
    timer = threading.Timer(1.5, kernel.manager.interrupt_kernel)
    began = time.monotonic()
    timer.start()
    cell = execute(kernel, code, timeout=30)
    timer.join()
    # At once, not when the loop next wakes by itself (ipykernel's handler does not wake it).
    assert time.monotonic() - began < 6
    return cell


def test_an_interrupted_await_ends_with_one_line(kernel: Any) -> None:
    cell = interrupted(kernel, "await asyncio.sleep(10)")
    assert cell.status == "error"
    assert cell.outputs == [
        (
            "error",
            {
                "traceback": [f"KeyboardInterrupt: cell [{cell.count}] cancelled."],
                "ename": "KeyboardInterrupt",
                "evalue": f"cell [{cell.count}] cancelled.",
            },
        )
    ], cell.outputs
    later = execute(kernel, "await asyncio.sleep(0.5); 6 * 7")
    assert later.text == "42", later.text  # no block report, no traceback after the fact
    execute(kernel, "w = asyncio.create_task(asyncio.sleep(60), name='worker')")
    cell = interrupted(kernel, "await asyncio.sleep(10)")
    expected = f"KeyboardInterrupt: cell [{cell.count}] cancelled; 1 background task keeps running."
    assert cell.text == expected


def test_the_note_of_a_long_block_says_how_a_notebook_stops_it(kernel: Any) -> None:
    # It said "Ctrl-C stops it.", which a notebook has no use for. The interrupt stops a
    # cell's own code; a task that holds the loop it does not reach (tried: the kernel stays
    # stuck), so the note says what does.
    cell = interrupted(kernel, "while True: pass")
    assert "Interrupt the kernel (■) to stop it." in cell.text, cell.text
    assert "KeyboardInterrupt" in cell.text and "Ctrl-C" not in cell.text
    execute(kernel, "async def spin():\n    while True: pass\nt = asyncio.create_task(spin())")
    seen = wait_for_output(kernel, "stops it")  # the kernel is stuck from here on
    note = "".join(m["content"]["text"] for m in seen)
    assert "Only restarting the kernel stops it" in note and "Ctrl-C" not in note, note


def test_a_cancelled_await_of_the_users_own_is_a_traceback(kernel: Any) -> None:
    cell = execute(
        kernel,
        "t = asyncio.create_task(asyncio.sleep(5))\n"
        "asyncio.get_running_loop().call_later(0.1, t.cancel)\n"
        "await t",
    )
    assert cell.status == "error"
    assert "CancelledError" in cell.text and "KeyboardInterrupt" not in cell.text


def failing_task(delay: float) -> str:
    return (
        f"async def late():\n    await asyncio.sleep({delay})\n    raise ValueError('late')\n"
        "asyncio.create_task(late(), name='latecomer')\nNone"
    )


def failure_in(cell: Cell) -> bool:
    return "Task 'latecomer' (late) failed: ValueError: late" in cell.text


def test_a_failure_while_a_cell_runs_is_shown_in_that_cell(kernel: Any) -> None:
    made = execute(kernel, failing_task(0.3))
    running = execute(kernel, "await asyncio.sleep(1)")
    assert failure_in(running), running.text
    assert not failure_in(made)
    assert "Between cells" not in running.text


def test_a_failure_between_cells_opens_the_next_cell_and_is_shown_at_once(kernel: Any) -> None:
    made = execute(kernel, failing_task(0.1))
    live = wait_for_output(kernel, "failed: ValueError: late")
    assert {m["parent_header"]["msg_id"] for m in live} == {made.msg_id}
    time.sleep(0.2)  # a report still on its way would come now
    after = execute(kernel, "6 * 7")
    assert after.text.startswith(f"── Between cells: after cell [{made.count}] ended"), after.text
    assert failure_in(after) and after.text.endswith("42")
    again = execute(kernel, "6 * 7")
    assert again.text == "42"


def test_an_executed_notebook_holds_every_background_failure(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("%load_ext asyncrepl\nimport asyncio"),
        nbformat.v4.new_code_cell(failing_task(0.2)),
        nbformat.v4.new_code_cell("await asyncio.sleep(0.6)"),
        nbformat.v4.new_code_cell(failing_task(0.0)),
        nbformat.v4.new_code_cell("import time\ntime.sleep(0.3)"),
        nbformat.v4.new_code_cell("6 * 7"),
    ]
    nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells]
    assert "failed: ValueError: late" in texts[2], texts
    assert any("failed: ValueError: late" in text for text in texts[3:]), texts


def blocking_task(delay: float, name: str) -> str:
    return (
        f"async def blocker():\n    await asyncio.sleep({delay})\n    time.sleep(0.3)\n"
        f"asyncio.create_task(blocker(), name='{name}')\nNone"
    )


def test_an_executed_notebook_puts_each_report_in_its_cell(tmp_path: Path) -> None:
    """Headless (nbclient): what happens while cell N runs is in cell N's output; what happens
    while the kernel is idle opens the next cell, marked as between cells; each once."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    sources = [
        "%load_ext asyncrepl\nimport asyncio, time",
        failing_task(0.2),  # 2
        "await asyncio.sleep(0.6)",  # 3: it fails while this cell awaits
        failing_task(0.0),  # 4: it fails once this cell has ended
        "x = 1",  # 5
        blocking_task(0.2, "blocker-in-7"),  # 6
        "await asyncio.sleep(0.8)",  # 7: it blocks the loop while this cell awaits
        blocking_task(0.0, "blocker-idle"),  # 8: it blocks once this cell has ended
        "y = 2",  # 9
        blocking_task(0.2, "blocker-over-end"),  # 10
        "await asyncio.sleep(0.3)",  # 11: the block outlasts this cell's sleep
        "await asyncio.sleep(0.1)",  # 12
        # 13: a task that waits: a cell's own line that holds the loop is reported only then
        "waiting = asyncio.create_task(asyncio.sleep(30))",
        "time.sleep(0.3)",  # 14: the cell blocks the loop itself
        "z = 3",  # 15
        "time.sleep(0.3)",  # 16: the last cell blocks: the kernel stops after it
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    client = nbclient.NotebookClient(notebook, timeout=60, kernel_name="python3")
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
            if cell.execution_count in (4, 8):
                # The person reads before running the next cell: the kernel is idle when the
                # task fails or blocks (run all sends the next cell at once, and a kernel may
                # read it first: then it is "between" the next two cells).
                time.sleep(0.6)
    texts = {
        cell.execution_count: "".join(o.get("text", "") for o in cell.outputs)
        for cell in notebook.cells
    }
    failures = {n for n, text in texts.items() if "failed: ValueError: late" in text}
    blocks = {n for n, text in texts.items() if re.search(r"loop was blocked for [\d.]+ s", text)}
    shown = "\n".join(f"[{n}] {text!r}" for n, text in texts.items())
    assert failures == {3, 5} and blocks == {7, 9, 11, 14, 16}, shown
    for n in (3, 5, 7, 9, 11, 14, 16):
        assert texts[n].count("failed: ValueError") + texts[n].count("loop was blocked") == 1
    for n in (3, 7, 11, 14, 16):  # in the cell that ran, not marked as anything else
        assert "──" not in texts[n], texts[n]
    for n in (5, 9):
        assert texts[n].startswith(
            f"── Between cells: after cell [{n - 1}] ended, before cell [{n}] ran ──\n"
        ), texts[n]
    assert "<cell 6>:3" in texts[7] and "<cell 8>:3" in texts[9] and "<cell 10>:3" in texts[11]
    assert "by task 'cell [14]'" in texts[14] and "by task 'cell [16]'" in texts[16]


def test_a_cells_own_work_is_reported_only_when_a_task_waited_for_it(kernel: Any) -> None:
    # A notebook's data work with nothing else on the loop held up nobody: each json.dumps
    # was reported with "Fix: await asyncio.to_thread(json.dumps, data)". With a task that
    # waits, the same line is a block. (Each record is written in turn: one json.dumps of
    # it all holds the interpreter lock throughout, and the watchdog, which can only look
    # as it returns, now and then found the step already over. 150,000 records take about
    # 0.3 s: over the 0.1 s threshold, and under the second after which a cell computing
    # alone gets its note on how to stop it.)
    made = execute(
        kernel, "import json\ndata = [{'a': i, 'b': str(i) * 20} for i in range(150_000)]"
    )
    work = "text = ''.join(json.dumps(record) for record in data)"
    alone = execute(kernel, work)
    execute(kernel, "waiting = asyncio.create_task(asyncio.sleep(30))")
    beside = execute(kernel, work)
    # The report comes through the loop once the block has ended: wait for it (a deadline,
    # not a fixed time: a busy machine delivered it after a 0.2 s wait had ended).
    later = execute(kernel, _UNTIL_A_BLOCK_IS_NOTED + "waiting.cancel()")
    assert "blocked" not in made.text + alone.text, made.text + alone.text
    report = beside.text + later.text
    assert re.search(rf"blocked for [\d.]+ s by task 'cell \[{beside.count}\]'", report), report
