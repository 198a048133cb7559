"""The %tasks renderings, from hand-made snapshots."""

from __future__ import annotations

import asyncio
import os

import pytest
from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_to_text

from asyncrepl.records import Location, Suspension, TaskInfo, TaskState
from asyncrepl.render.rows import task_label
from asyncrepl.render.tasks import (
    EMPTY,
    render_task_detail,
    render_task_tree,
    render_tasks,
    tasks_table_view,
    where_suspended,
)

SLEEP = Location(
    os.path.join(os.path.dirname(asyncio.__file__), "tasks.py"),
    649,
    "tasks.py:649",
    "return await future",
    "sleep",
)


def cell_line(cell: int, line: int, source: str, function: str = "worker") -> Location:
    return Location(f"/tmp/ipykernel/{cell}.py", line, f"<cell {cell}>:{line}", source, function)


CELL = TaskInfo(
    id=1,
    name="cell [5]",
    coro="run_cell_async",
    state=TaskState.RUNNING,
    is_cell=True,
    frames=(cell_line(5, 1, "%tasks", "<module>"),),
    created=9.0,
)
WORKER = TaskInfo(
    id=2,
    name="worker-1",
    coro="worker",
    state=TaskState.SUSPENDED,
    created_at=cell_line(3, 4, "w = asyncio.create_task(worker(1), name='worker-1')"),
    parent_id=1,
    frames=(cell_line(2, 2, "await asyncio.sleep(delay)"), SLEEP),
    awaiting="asyncio.sleep, 0.13 s left",
    created=7.5,
    run_time=0.012,
    steps=12,
)
MAIN = TaskInfo(
    id=3,
    name="main",
    coro="main",
    state=TaskState.SUSPENDED,
    frames=(cell_line(2, 9, "await asyncio.gather(a, b)", "main"),),
    awaiting="gather of 2 (0 done)",
    awaiting_ids=(4, 5),
    created=8.0,
)
CHILDREN = [
    TaskInfo(id=i, name=f"Task-{i}", coro="fetch", state=TaskState.SUSPENDED, parent_id=3)
    for i in (4, 5)
]
FAILED = TaskInfo(
    id=6,
    name="broken",
    coro="parse",
    state=TaskState.FAILED,
    outcome="ValueError: bad line",
    created=1.0,
    ended=2.5,
)


def text(fragments: StyleAndTextTuples) -> str:
    return fragment_list_to_text(fragments)


def test_table_lists_the_cell_first_then_by_creation() -> None:
    out = text(render_tasks([WORKER, MAIN, CELL], now=10.0, width=200))
    lines = out.splitlines()
    assert lines[0] == "3 tasks: 2 suspended, 1 running"
    assert lines[1].split() == [
        "id", "name", "state", "coroutine", "where", "awaits", "age", "run", "steps",
    ]  # fmt: skip
    assert [line.split()[1] for line in lines[2:]] == ["cell", "worker-1", "main"]
    assert "cell [5]" in lines[2] and "(this cell)" in lines[2]
    assert "<cell 2>:2  await asyncio.sleep(delay)" in lines[3]  # the user's line, not asyncio's
    assert "asyncio.sleep, 0.13 s left" in lines[3]
    assert lines[3].split()[-5:] == ["2.5", "s", "12", "ms", "12"]  # age, run time, steps


def test_without_a_recorder_the_recorded_columns_show_a_dash() -> None:
    out = text(render_tasks([WORKER], recorded=False, width=200)).splitlines()
    assert out[2].split()[-3:] == ["-", "-", "-"]


@pytest.mark.parametrize("width", [50, 64, 80, 100, 120, 200])
def test_table_fits_the_width(width: int) -> None:
    long = TaskInfo(
        id=7,
        name="a-task-with-a-very-long-name-indeed-" * 2,
        coro="Module.Class.method.<locals>.inner",
        state=TaskState.SUSPENDED,
        frames=(cell_line(12, 30, "await something_with_a_long_name(" + "x, " * 30 + ")"),),
        awaiting="Queue.get() (an awaiting text that goes on and on and on)",
        created=100.0,
    )
    out = text(render_tasks([CELL, WORKER, long], width=width))
    assert all(len(line) <= width for line in out.splitlines()), out
    row = out.splitlines()[-1]
    assert "..." in row
    assert row.split()[1].startswith("a-task")


def test_narrow_tables_keep_where_and_what_it_awaits() -> None:
    header = text(render_tasks([CELL, WORKER], width=80)).splitlines()[1].split()
    assert header == ["id", "name", "state", "where", "awaits"]
    row = text(render_tasks([CELL, WORKER], width=80)).splitlines()[3]
    assert row.endswith("asyncio.sleep, 0.13 s left")


def test_all_adds_finished_tasks_with_their_outcome() -> None:
    fragments = render_tasks([WORKER], finished=[FAILED], width=200)
    out = text(fragments).splitlines()
    assert out[0] == "1 task: 1 suspended; 1 finished recently (at the end)"
    assert "ValueError: bad line" in out[-1] and "failed" in out[-1]
    assert " 1.5 s " in out[-1]  # it lived from 1.0 to 2.5
    assert ("class:ar.error", "failed") in fragments


def test_all_without_a_recorder_says_why_nothing_finished_shows() -> None:
    out = text(render_tasks([WORKER], finished=[], recorded=False, width=200))
    assert out.splitlines()[-1] == (
        "Finished tasks are not known: asyncrepl is not recording this loop."
    )


def test_an_empty_loop_gives_one_friendly_line() -> None:
    assert text(render_tasks([])) == EMPTY
    assert text(render_tasks([CELL])) == EMPTY  # the cell asking does not count
    assert text(render_tasks([CELL], finished=[FAILED])) != EMPTY
    assert text(render_task_tree([])) == EMPTY


def test_ten_thousand_tasks_are_summarised() -> None:
    infos = [
        TaskInfo(
            id=i,
            name=f"Task-{i}",
            coro="worker" if i % 5 < 3 else "fetch",
            state=TaskState.SUSPENDED,
            awaiting="asyncio.sleep, 1.00 s left",
            created=float(i),
        )
        for i in range(1, 10_001)
    ]
    out = text(render_tasks(infos, width=100, limit=40)).splitlines()
    assert out[0] == "10,000 tasks: 10,000 suspended"
    assert out[1] == "Most of them run: 6,000 `worker`, 4,000 `fetch`. The first 40 are below."
    rows = out[3:-1]
    assert len(rows) == 40 and rows[0].split()[0] == "1" and rows[-1].split()[0] == "40"
    assert out[-1] == "... and 9,960 more. `%tasks NAME` shows one in depth."


def test_detail_shows_the_chain_the_awaiters_and_the_parent() -> None:
    waiting = TaskInfo(id=8, name="boss", coro="boss", state=TaskState.SUSPENDED, awaiting_ids=(2,))
    out = text(render_task_detail(WORKER, [CELL, WORKER, waiting], now=10.0, width=120))
    assert out.splitlines() == [
        "Task 'worker-1' (id 2): suspended",
        "  coroutine    worker",
        "  awaits       asyncio.sleep, 0.13 s left",
        "  created at   <cell 3>:4  w = asyncio.create_task(worker(1), name='worker-1')",
        "  parent       Task 'cell [5]' (id 1)",
        "  time         2.5 s old, ran 12 ms on the loop in 12 steps",
        "  awaits tasks -",
        "  awaited by   Task 'boss' (id 8)",
        "Await chain, outermost first:",
        "  <cell 2>:2  worker  await asyncio.sleep(delay)",
        "  tasks.py:649  sleep  return await future",
        "  → asyncio.sleep, 0.13 s left",
    ]


def test_detail_without_a_recorder_and_of_a_finished_task() -> None:
    out = text(render_task_detail(FAILED, [], recorded=False)).splitlines()
    assert out[0] == "Task 'broken' (id 6): failed"
    assert "  outcome      ValueError: bad line" in out
    assert "  created at   - (asyncrepl is not recording this loop)" in out
    assert not any(line.startswith("  time") for line in out)


def test_a_finished_tasks_time_is_how_long_it_lived() -> None:
    # Its age stopped when it ended: "1.5 s old" read as its age now.
    out = text(render_task_detail(FAILED, [], now=100.0)).splitlines()
    assert "  time         lived 1.5 s, ran 0 µs on the loop in 0 steps" in out


def test_detail_groups_waits_at_one_place_for_one_thing() -> None:
    here = Location("f", 2, "<cell 2>:2", "await asyncio.sleep(delay)", "worker")
    there = Location("f", 5, "<cell 2>:5", "await other", "worker")
    waits = [
        *(Suspension(2, float(n), here, "a Future") for n in range(3)),
        Suspension(2, 3.0, there, "Task 'other'"),
        Suspension(2, 4.0, None, "a Future"),
    ]
    out = text(render_task_detail(WORKER, [], waits=waits, width=120)).splitlines()
    at = out.index("  waited       3 times for a Future at <cell 2>:2  await asyncio.sleep(delay)")
    assert out[at + 1 : at + 3] == [
        "               once for Task 'other' at <cell 2>:5  await other",
        "               once for a Future",
    ]
    many = [Suspension(2, float(n), here if n % 2 else there, "a Future") for n in range(9)]
    out = text(render_task_detail(WORKER, [], waits=many, width=120)).splitlines()
    assert "  waited       4 earlier waits, then:" in out


def test_detail_lines_fit_the_width() -> None:
    out = text(render_task_detail(WORKER, [CELL], width=40))
    assert all(len(line) <= 40 for line in out.splitlines())
    assert "  created at   <cell 3>:4  w = asynci..." in out.splitlines()


def test_tree_nests_awaited_tasks_then_created_ones() -> None:
    orphan = TaskInfo(id=9, name="orphan", coro="job", state=TaskState.SCHEDULED, parent_id=99)
    out = text(render_task_tree([*CHILDREN, MAIN, WORKER, CELL, orphan], width=200)).splitlines()
    assert out == [
        "cell [5] (this cell) run_cell_async  running: running now",
        "└─ worker-1 worker  suspended: asyncio.sleep, 0.13 s left",
        "orphan job  scheduled: not started yet",
        "main main  suspended: gather of 2 (0 done)",
        "├─ Task-4 fetch  suspended: -",
        "└─ Task-5 fetch  suspended: -",
    ]


def test_tree_survives_tasks_awaiting_each_other_and_is_limited() -> None:
    a = TaskInfo(id=1, name="a", coro="a", state=TaskState.SUSPENDED, awaiting_ids=(2,))
    b = TaskInfo(id=2, name="b", coro="b", state=TaskState.SUSPENDED, awaiting_ids=(1,))
    out = text(render_task_tree([a, b])).splitlines()
    assert out == ["a a  suspended: -", "└─ b b  suspended: -"]
    many = [TaskInfo(id=i, name=f"t{i}", coro="c", state=TaskState.SCHEDULED) for i in range(50)]
    lines = text(render_task_tree(many, limit=10)).splitlines()
    assert len(lines) == 11 and lines[-1] == "... and 40 more tasks."


def test_html_is_an_escaped_table_and_repr_is_the_text() -> None:
    view = tasks_table_view([CELL, WORKER], now=10.0, width=200)
    html = view._repr_html_()
    assert "<table" in html and html.count("<tr>") == 3
    assert '<span class="ar-cell">&lt;cell 2&gt;:2</span>' in html
    assert "<th>awaits</th>" in html
    assert repr(view) == text(render_tasks([CELL, WORKER], now=10.0, width=200))
    empty = tasks_table_view([])
    assert "No tasks are running" in empty._repr_html_() and repr(empty) == EMPTY


def test_where_suspended_prefers_the_users_line() -> None:
    assert where_suspended(WORKER) == WORKER.frames[0]
    only_asyncio = TaskInfo(id=1, name="q", coro="get", state=TaskState.SUSPENDED, frames=(SLEEP,))
    assert where_suspended(only_asyncio) == SLEEP
    assert where_suspended(CHILDREN[0]) is None


def test_only_finished_tasks_say_none_is_running() -> None:
    """``%tasks -a`` with nothing live (the cell asking is left out): no ``0 tasks: ;``."""
    first = text(render_tasks([], finished=[FAILED], width=200)).splitlines()[0]
    assert first == "No task is running; 1 finished recently (at the end)"


def test_a_name_with_control_characters_cannot_break_the_table() -> None:
    odd = TaskInfo(7, "evil\x1b[2J\nname", "work", TaskState.SUSPENDED, awaiting="a Future")
    text = fragment_list_to_text(render_tasks([odd]))
    assert "\x1b" not in text and "evil\\x1b[2J\\nname" in text
    assert len(text.splitlines()) == 3  # the summary, the header and one row
    assert task_label(odd) == "evil\\x1b[2J\\nname"
