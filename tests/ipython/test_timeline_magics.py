"""``%timeline`` in IPython's in-process shell with asyncrepl loaded: the real recorder on the
live loop, cells run as a person runs them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from asyncrepl.ipython.state import settings_of
from asyncrepl.ipython.timeline_magics import NO_RECORDER, TimelineMagics
from asyncrepl.render.timeline import GLYPHS
from asyncrepl.session import Session

PRINT_VALUES = """\
async def print_values(values, delay):
    for item in values:
        print(item)
        await asyncio.sleep(delay)
    return delay
"""
TUTORIAL = "await asyncio.gather(print_values([1, 3, 5], 0.2), print_values([2, 4], 0.3))"
QUICK = "await asyncio.gather(print_values([1], 0.01), print_values([2], 0.01))"


def cell(ip: Any, source: str) -> int:
    """Run one numbered cell, as typed at the prompt; its number."""
    number = int(ip.execution_count)
    result = ip.run_cell(source, store_history=True)
    result.raise_error()
    return number


def run_offsets(text: str, name: str) -> list[float]:
    """Seconds from the window's start of each run in the row ``name`` of a printed chart."""
    lines = text.splitlines()
    span = float(lines[0].rsplit("(", 1)[1].split()[0])
    axis = next(line for line in lines if "┴" in line)
    origin = axis.index("┴")
    columns = len(axis.rstrip()) - origin
    row = next(line for line in lines if line.startswith(name))
    runs = [i for i, c in enumerate(row) if c == GLYPHS["run"] and row[i - 1] != c]
    return [(i - origin) * span / columns for i in runs]


@pytest.fixture
def tutorial(arip: Any, capsys: pytest.CaptureFixture[str]) -> Iterator[int]:
    """The tutorial's two print_values gathered in one cell; that cell's number."""
    cell(arip, PRINT_VALUES)
    number = cell(arip, TUTORIAL)
    capsys.readouterr()
    yield number


@pytest.fixture
def quick(arip: Any, capsys: pytest.CaptureFixture[str]) -> Iterator[int]:
    """Two short print_values gathered in one cell; that cell's number."""
    cell(arip, PRINT_VALUES)
    number = cell(arip, QUICK)
    capsys.readouterr()
    yield number


def test_the_tutorial_cell(
    arip: Any, tutorial: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trace = tmp_path / "trace.json"
    cell(arip, f"%timeline --export {trace}")
    out = capsys.readouterr().out
    assert out.startswith(f"Timeline of cell {tutorial} (0.6")
    # Past Task-9999 (the suite's earlier tasks move the counter) the name is cut to fit:
    # "print_valu… (Task-10234)".
    rows = r"^print_valu(?:es|…) \((?:Task-|#)\d+\)"
    first, second = re.findall(rows, out, flags=re.MULTILINE)
    assert run_offsets(out, first) == pytest.approx([0, 0.2, 0.4, 0.6], abs=0.04)
    assert run_offsets(out, second) == pytest.approx([0, 0.3, 0.6], abs=0.04)
    assert re.search(r"Ran concurrently: 0\.6\d? s instead of 1\.2 s one after another", out)
    assert f"Wrote a trace for Perfetto (ui.perfetto.dev) or chrome://tracing: {trace}" in out
    events = json.loads(trace.read_text())["traceEvents"]
    tracks = {e["args"]["name"]: e["tid"] for e in events if e["name"] == "thread_name"}
    for name, expected in ((first, [0, 0.2, 0.4, 0.6]), (second, [0, 0.3, 0.6])):
        task = name.rsplit(" ", 1)[1]  # "(Task-12)": the row's name may be cut before it
        tid = next(t for label, t in tracks.items() if label.startswith("print_values " + task))
        starts = [e["ts"] / 1e6 for e in events if e.get("cat") == "step" and e["tid"] == tid]
        assert [s - starts[0] for s in starts] == pytest.approx(expected, abs=0.02)


def test_cell_task_and_last_choose_the_window(
    arip: Any, quick: int, capsys: pytest.CaptureFixture[str]
) -> None:
    later = cell(arip, "await asyncio.sleep(0.01, 'x')")
    capsys.readouterr()
    arip.run_line_magic("timeline", "")
    assert capsys.readouterr().out.startswith(f"Timeline of cell {later} (")
    arip.run_line_magic("timeline", f"--cell {quick} --task print_values")
    out = capsys.readouterr().out
    assert out.startswith(f"Timeline of cell {quick}, task print_values (")
    rows = [line for line in out.splitlines()[1:] if line.endswith(GLYPHS["done"])]
    assert len(rows) == 2 and all(row.startswith("print_values (") for row in rows)
    arip.run_line_magic("timeline", "--last 30 --task print_values")
    out = capsys.readouterr().out
    assert out.startswith("Timeline of the last 30 s, task print_values (30 s)\nprint_values")
    arip.run_line_magic("timeline", "--all")
    assert capsys.readouterr().out.startswith("Timeline of the whole session (")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--cell 9999", r"^Cell 9999 was not recorded\. Recorded cells: .*\d\.$"),
        ("--cell two", r"^`--cell two` needs a cell number, as in `In \[3\]`"),
        ("--last abc", r"^`--last abc` needs a number of seconds above 0: try `%timeline"),
        ("--last -1", r"^`--last -1` needs a number of seconds above 0"),
        ("--last inf", r"needs a number of seconds above 0"),
        ("--all --last 3", r"^Pick one of `--cell N`, `--last SECONDS` and `--all`\.$"),
        ("--task print_valeus", r"^No task `print_valeus` ran in cell \d+: did you mean `print"),
        ("--export t.txt", r"^`t.txt` has no known export type"),
        ("--export nowhere/t.json", r"^Cannot write `nowhere/t.json`: the folder `nowhere`"),
        ("--bogus", r"unrecognized arguments: --bogus"),
    ],
)
def test_mistakes_are_one_line_usage_errors(
    arip: Any,
    quick: int,
    line: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    if "--task" in line:
        line += f" --cell {quick}"
    with pytest.raises(UsageError, match=message) as info:
        arip.run_line_magic("timeline", line)
    assert "\n" not in str(info.value)
    assert capsys.readouterr().out == ""
    assert list(tmp_path.iterdir()) == []


def test_the_threshold_setting_marks_blocking_steps(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    cell(arip, "import time")
    # Set on the settings object, not with %config, which would also change the shell's config.
    settings = settings_of(arip)
    settings.blocking_threshold = 0.05
    try:
        cell(arip, "await asyncio.sleep(0); time.sleep(0.12)")
        capsys.readouterr()
        arip.run_line_magic("timeline", "")
    finally:
        settings.blocking_threshold = 0.1
    out = capsys.readouterr().out
    assert GLYPHS["block"] * 3 in out
    assert "⚠ 1 step held the loop longer than 50 ms" in out


def test_without_a_recorder_it_says_why(ip: Any) -> None:
    magics = TimelineMagics(ip, session=Session())
    with pytest.raises(UsageError) as info:
        magics.timeline("")
    assert str(info.value) == NO_RECORDER


def test_help_is_written_for_users() -> None:
    doc = TimelineMagics.timeline.__doc__ or ""
    assert "In [1]:" in doc and "%timeline --cell 1 --task print_values" in doc


@pytest.mark.jupyter
def test_in_jupyter_the_chart_is_a_picture() -> None:
    pytest.importorskip("ipykernel")
    manager_module = pytest.importorskip("jupyter_client.manager")
    manager, client = manager_module.start_new_kernel(kernel_name="python3", startup_timeout=60)
    shown: list[dict[str, Any]] = []

    def keep(msg: dict[str, Any]) -> None:
        if msg["msg_type"] in ("display_data", "error", "stream"):
            shown.append(msg["content"])

    try:
        for code in ("%load_ext asyncrepl", PRINT_VALUES, QUICK, "%timeline"):
            reply = client.execute_interactive(code, timeout=30, output_hook=keep)
            assert reply["content"]["status"] == "ok", shown
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    [picture] = [content["data"] for content in shown if "data" in content]
    assert picture["text/html"].startswith("<div><svg")
    assert "print_values (" in picture["text/html"]
    # The kernel's cells are timed too, so the last cell is the default scope there as well.
    assert picture["text/plain"].startswith("Timeline of cell ")


def test_tasks_no_user_code_created_are_left_out(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Like the prompt's own tasks: started by the loop calling library code, not by a cell."""
    cell(
        arip,
        "async def mine():\n    await asyncio.sleep(0.01)\n"
        "async def machinery():\n    await asyncio.sleep(0.01)\n"
        "asyncio.get_running_loop().call_soon(asyncio.ensure_future, machinery())\n"
        "await asyncio.gather(mine(), asyncio.sleep(0.03))",
    )
    capsys.readouterr()
    cell(arip, "%timeline")
    out = capsys.readouterr().out
    assert re.search(r"^mine", out, re.MULTILINE)
    assert "machinery" not in out


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_quoted_export_path_with_spaces(
    arip: Any, quick: int, tmp_path: Path, quote: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "my charts"
    folder.mkdir()
    target = folder / "run 1.json"
    arip.run_line_magic("timeline", f"--cell {quick} --export {quote}{target}{quote}")
    assert f"chrome://tracing: {target}\n" in capsys.readouterr().out
    assert json.loads(target.read_text())["traceEvents"]
    with pytest.raises(UsageError, match=r"has a quote that is not closed"):
        arip.run_line_magic("timeline", f'--export "{target}')


def test_the_last_cell_is_the_last_that_ran_the_users_code(
    arip: Any, tutorial: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``%timeline`` then ``%timeline --export``: both are about the tutorial's cell, not the
    cell that ran ``%timeline`` (nor a shell command or ``clear`` in between)."""
    cell(arip, "%timeline")
    cell(arip, "!true")
    trace = tmp_path / "t.json"
    cell(arip, f"%timeline --export {trace}")
    out = capsys.readouterr().out
    assert out.count(f"Timeline of cell {tutorial} (0.6") == 2
    names = {e.get("name") for e in json.loads(trace.read_text())["traceEvents"]}
    assert any("print_values" in str(name) for name in names)


def test_the_saving_counts_only_the_cells_own_tasks(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A task from an earlier cell sleeps through the tutorial's cell: "instead of 1.2 s"
    still counts only the two print_values the cell started."""
    cell(arip, PRINT_VALUES)
    cell(arip, "sleeper = asyncio.create_task(asyncio.sleep(30), name='sleeper')")
    try:
        cell(arip, TUTORIAL)
        capsys.readouterr()
        cell(arip, "%timeline")
        out = capsys.readouterr().out
    finally:
        cell(arip, "sleeper.cancel()")
    assert re.search(r"Ran concurrently: 0\.6\d? s instead of 1\.2 s one after another", out), out


def test_tasks_too_old_to_be_remembered_are_counted_and_said(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """2,000 tasks of one cell and a history of 500 finished ones: the chart counts all of
    them, and says why the 1,500 or more that left the history are drawn as ``Task #N``."""
    arip.run_line_magic("config", "AsyncREPL.finished_tasks = 500")
    number = cell(
        arip,
        "async def spin():\n"
        "    for _ in range(10):\n"
        "        await asyncio.sleep(0)\n"
        "await asyncio.gather(*(spin() for _ in range(2000)))",
    )
    capsys.readouterr()
    cell(arip, f"%timeline --cell {number}")
    out = capsys.readouterr().out
    assert "these 2000 tasks" in out  # the spins, all of them
    assert re.search(r"^spin \(Task #\d+\)", out, re.MULTILINE)  # known from its origin
    note = re.search(r"^([\d,]+) tasks finished too long ago to be remembered by name", out, re.M)
    assert note and int(note[1].replace(",", "")) >= 1500  # the history may hold older cells'
