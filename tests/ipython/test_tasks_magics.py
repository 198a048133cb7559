"""%tasks through IPython's in-process shell with asyncrepl loaded: every cell runs on the
live loop, so tasks made in one cell are there in the next."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from IPython.core.error import UsageError
from traitlets.config import Config

from asyncrepl.ipython.state import session_of
from asyncrepl.ipython.tasks_magics import TaskBoard, TasksMagics
from asyncrepl.render.tasks import EMPTY
from asyncrepl.session import Session


def run(ip: Any, cell: str) -> Any:
    result = ip.run_cell(cell, store_history=True)
    if result.error_in_exec is not None and not isinstance(result.error_in_exec, UsageError):
        raise result.error_in_exec
    return result


@pytest.fixture
def workers(arip: Any) -> Any:
    """Three tasks asleep in a cell's function, and two awaited through gather."""
    run(
        arip,
        "async def worker(delay):\n"
        "    await asyncio.sleep(delay)\n"
        "async def boss():\n"
        "    return await asyncio.gather(worker(40), worker(41))\n",
    )
    run(
        arip,
        "w1 = asyncio.create_task(worker(30), name='worker-1')\n"
        "w2 = asyncio.create_task(worker(31), name='worker-2')\n"
        "b = asyncio.create_task(boss(), name='boss')",
    )
    run(arip, "await asyncio.sleep(0.01)")
    yield arip
    run(arip, "for t in (w1, w2, b): t.cancel()")
    run(arip, "await asyncio.gather(w1, w2, b, return_exceptions=True)")


def out_of(ip: Any, capsys: pytest.CaptureFixture[str], cell: str) -> str:
    capsys.readouterr()
    run(ip, cell)
    return capsys.readouterr().out


def test_the_table_shows_each_task_where_it_waits(
    workers: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = out_of(workers, capsys, "%tasks").splitlines()
    assert lines[0].startswith("5 tasks: 5 suspended")
    assert not any("(this cell)" in line for line in lines)  # the cell running %tasks: not listed
    worker = next(line for line in lines if "worker-1" in line)
    assert "<cell " in worker and "asyncio.sleep" in worker and "suspended" in worker


def test_where_is_the_users_line_for_a_task_of_library_code(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``create_task(asyncio.sleep(30))`` waits inside asyncio: "where" is the user's line
    that created it, not ``tasks.py:649``."""
    cell = int(arip.execution_count)
    run(arip, "x = 1\nnap = asyncio.create_task(asyncio.sleep(30), name='nap')")
    try:
        row = next(line for line in out_of(arip, capsys, "%tasks").splitlines() if "nap" in line)
    finally:
        run(arip, "nap.cancel()")
    assert f"<cell {cell}>:2" in row and "tasks.py" not in row


def test_detail_shows_the_await_chain(workers: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out = out_of(workers, capsys, "%tasks worker-1").splitlines()
    assert out[0].startswith("Task 'worker-1' (id ") and out[0].endswith("suspended")
    chain = out[out.index("Await chain, outermost first:") + 1 :]
    assert chain[0].endswith("worker  await asyncio.sleep(delay)")
    assert chain[-1].startswith("  → asyncio.sleep, ")


def test_detail_shows_what_the_task_waited_for_before(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        arip,
        "async def ticks(n):\n"
        "    for _ in range(n):\n"
        "        await asyncio.sleep(0.001)\n"
        "    await asyncio.sleep(30)\n",
    )
    run(arip, "t = asyncio.create_task(ticks(3), name='ticks')")
    try:
        run(arip, "await asyncio.sleep(0.05)")
        out = out_of(arip, capsys, "%tasks ticks").splitlines()
    finally:
        run(arip, "t.cancel()")
    waited = next(line for line in out if line.startswith("  waited"))
    assert "3 times for asyncio.sleep at <cell " in waited
    # the line, cut to the width (how much of it fits depends on the cell number's digits)
    assert re.search(r"<cell \d+>:3  await asyncio\.sl", waited), waited


def test_tree_puts_gather_children_under_the_boss(
    workers: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = out_of(workers, capsys, "%tasks --tree").splitlines()
    boss = next(i for i, line in enumerate(out) if line.startswith("boss "))
    assert out[boss].endswith("gather of 2 (0 done)")
    assert out[boss + 1].startswith("├─ ") and out[boss + 2].startswith("└─ ")
    assert "worker" in out[boss + 1] and "worker" in out[boss + 2]


def test_unknown_names_and_ids_are_usage_errors(workers: Any) -> None:
    with pytest.raises(UsageError, match=r"No task is called `wroker-1`\. Did you mean `worker-1`"):
        workers.run_line_magic("tasks", "wroker-1")
    # An id no task reaches (a smaller one may be a live task's Task-N name: then a hint).
    missing = r"^No task has id 99999999\. `%tasks` lists the live ones\.$"
    with pytest.raises(UsageError, match=missing):
        workers.run_line_magic("tasks", "99999999")
    with pytest.raises(UsageError, match="unrecognized arguments"):
        workers.run_line_magic("tasks", "--bogus")


def test_cancel_asks_the_task_to_stop_at_its_next_await(
    workers: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    out = out_of(workers, capsys, "%tasks --cancel worker-2")
    assert out.startswith("Cancel requested: Task 'worker-2' (id ")
    assert out.rstrip().endswith("stops at its next `await`, where it gets `CancelledError`.")
    run(workers, "await asyncio.sleep(0)")
    assert workers.user_ns["w2"].cancelled() and not workers.user_ns["w1"].done()
    if session_of(workers).recorder is None:  # a finished task is forgotten
        with pytest.raises(UsageError, match="No task is called `worker-2`"):
            workers.run_line_magic("tasks", "--cancel worker-2")
    else:  # the recorder remembers how it ended
        again = out_of(workers, capsys, "%tasks --cancel worker-2")
        assert re.search(
            r"already ended: cancelled( by Task '[^']+' at <cell \d+>:\d+)?\.$", again.rstrip()
        )


def test_cancel_refuses_the_cell_itself_and_ambiguous_names(workers: Any) -> None:
    cell = f"cell [{workers.execution_count}]"
    with pytest.raises(UsageError, match="runs this cell, so it cannot cancel itself"):
        run(workers, f'%tasks --cancel "{cell}"').raise_error()
    run(workers, "twins = [asyncio.create_task(worker(9), name='twin') for _ in range(2)]")
    with pytest.raises(UsageError, match=r"^2 tasks are called `twin` \(ids \d+, \d+\)"):
        workers.run_line_magic("tasks", "--cancel twin")
    run(workers, "for t in twins: t.cancel()")


def test_without_a_recorder_all_says_finished_tasks_are_unknown(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    magics = TasksMagics(ip, session=Session())
    capsys.readouterr()
    magics.tasks("-a")
    out = capsys.readouterr().out
    assert out.rstrip().endswith(
        "Finished tasks are not known: asyncrepl is not recording this loop."
    )


def test_an_empty_loop_gives_one_line() -> None:
    board = TaskBoard(Session())
    loop = asyncio.new_event_loop()
    try:
        shown: asyncio.Future[Any] = loop.create_future()
        # A plain callback, not a task: the loop runs and has no tasks at all.
        loop.call_soon(lambda: shown.set_result(board.table(finished=False, width=80)))
        assert repr(loop.run_until_complete(shown)) == EMPTY
    finally:
        loop.close()


def test_the_row_limit_is_a_setting(
    ip: Any, workers: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = Config()
    config.TasksMagics.limit = 2
    ip.config.merge(config)
    try:
        magics = TasksMagics(ip, session=Session())
        assert magics.limit == 2
        capsys.readouterr()
        magics.tasks("")  # outside a cell: IPython's loop, with the five tasks and no cell
        out = capsys.readouterr().out.splitlines()
        assert out[-1] == "... and 3 more. `%tasks NAME` shows one in depth."
    finally:
        del ip.config.TasksMagics


@pytest.mark.jupyter
def test_in_jupyter_the_table_is_html() -> None:
    manager = pytest.importorskip("jupyter_client.manager")
    km, kc = manager.start_new_kernel(kernel_name="python3")
    try:

        def execute(code: str) -> list[dict[str, Any]]:
            msg_id = kc.execute(code)
            found = []
            while True:
                msg = kc.get_iopub_msg(timeout=20)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return found
                found.append(msg)

        execute("%load_ext asyncrepl")
        execute("import asyncio\nt = asyncio.create_task(asyncio.sleep(30), name='sleepy')")
        shown = [m for m in execute("%tasks") if m["msg_type"] == "display_data"]
        assert len(shown) == 1
        data = shown[0]["content"]["data"]
        assert "<table" in data["text/html"] and ">sleepy<" in data["text/html"]
        assert "asyncio.sleep, " in data["text/plain"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_with_the_recorder_rows_show_age_run_time_and_steps(
    workers: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert session_of(workers).recorder is not None, "the extension should record the loop"
    monkeypatch.setenv("COLUMNS", "200")
    lines = out_of(workers, capsys, "%tasks").splitlines()
    assert lines[1].split()[-3:] == ["age", "run", "steps"]
    worker = next(line for line in lines if " worker-1 " in line).split()
    assert worker[-1].isdigit() and int(worker[-1]) >= 1  # it ran once, up to its sleep
    assert worker[-2] in ("µs", "ms")  # a short step


def test_with_the_recorder_detail_shows_where_it_was_created(
    workers: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = out_of(workers, capsys, "%tasks worker-1").splitlines()
    created = next(line for line in out if line.startswith("  created at"))
    assert created.endswith(":1  w1 = asyncio.create_task(worker(30), name='worker-1')")
    assert "<cell " in created
    parent = next(line for line in out if line.startswith("  parent"))
    assert parent.startswith("  parent       Task 'cell [")


def test_all_shows_what_became_of_finished_tasks(
    arip: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    run(
        arip,
        "async def forever():\n    await asyncio.Event().wait()\n"
        "ok = asyncio.create_task(asyncio.sleep(0, result=42), name='answer')\n"
        "stopped = asyncio.create_task(forever(), name='stopped')",
    )
    run(arip, "await asyncio.sleep(0)\nstopped.cancel()\nawait asyncio.sleep(0)")
    out = out_of(arip, capsys, "%tasks -a").splitlines()
    answer = [line for line in out if " answer " in line]
    assert len(answer) == 1 and " done " in answer[0] and " returned 42 " in answer[0]
    assert any(" stopped " in line and "cancelled" in line for line in out)
    assert not any(" done " in line and "cell [" in line for line in out)  # cells are not shown


def test_cancel_runs_a_stopped_loop_briefly_to_see_the_end(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        arip,
        "async def forever():\n    await asyncio.Event().wait()\n"
        "async def stubborn():\n"
        "    while not calm:\n"
        "        try:\n"
        "            await asyncio.sleep(10)\n"
        "        except asyncio.CancelledError:\n"
        "            pass\n"
        "calm = False\n"
        "stuck = asyncio.create_task(forever(), name='stuck')\n"
        "mule = asyncio.create_task(stubborn(), name='mule')",
    )
    run(arip, "await asyncio.sleep(0)")
    # Called between cells, as plain IPython would: the loop is not running.
    magics = TasksMagics(arip, session=Session())
    magics.cancel_wait = 0.05
    capsys.readouterr()
    magics.tasks("--cancel stuck")
    assert re.fullmatch(r"Task 'stuck' \(id \d+\) was cancelled\.\n", capsys.readouterr().out)
    assert arip.user_ns["stuck"].cancelled()
    magics.tasks("--cancel mule")
    out = capsys.readouterr().out
    assert out.startswith("Cancel requested: Task 'mule' (id ")
    assert out.endswith("has not stopped after 0.05 s. It may be catching `CancelledError`.\n")
    run(arip, "calm = True\nmule.cancel()\nawait asyncio.gather(mule, return_exceptions=True)")
    assert arip.user_ns["mule"].done()


def test_an_earlier_cell_is_not_this_cell_and_returned_nothing_of_yours(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    number = int(arip.execution_count)
    arip.run_cell("await asyncio.sleep(0.001)", store_history=True)
    arip.run_cell("x = 1", store_history=True)
    out = out_of(arip, capsys, f'%tasks "cell [{number}]"')
    assert out.startswith(f"Task 'cell [{number}]' (id ") and ": done\n" in out, out
    assert "this cell" not in out and "ExecutionResult" not in out
    assert re.search(rf"waited +once for asyncio.sleep at <cell {number}>:1", out), out
