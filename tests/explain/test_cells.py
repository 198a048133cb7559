"""``%explain`` after a cell that went well: what it did on the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from asyncrepl.explain import explain_cell
from asyncrepl.explain.cells import turns
from asyncrepl.instrument.recorder import Recorder
from asyncrepl.records import Location, Step, TaskInfo, TaskState
from asyncrepl.windows import Timeline

CELL = TaskInfo(1, "cell [3]", "<cell>", TaskState.RUNNING, is_cell=True, created=0.0)
WHERE = Location("f", 4, "<cell 3>:4", "task1 = asyncio.create_task(print_values([1, 3, 5], 0.2))")


def tutorial_timeline(left_running: bool = False) -> Timeline:
    """The tutorial's two tasks: steps at 0, 0.2, 0.4, 0.6 and at 0, 0.3, 0.6."""
    one = TaskInfo(
        2,
        "Task-2",
        "print_values",
        TaskState.DONE,
        created_at=WHERE,
        created=0.0,
        ended=0.6,
        run_time=0.002,
        steps=4,
    )
    two = TaskInfo(
        3,
        "Task-3",
        "print_values",
        TaskState.SUSPENDED if left_running else TaskState.DONE,
        created=0.0,
        ended=None if left_running else 0.6,
        run_time=0.001,
        steps=3,
    )
    starts = [(0.0, 2), (0.001, 3), (0.2, 2), (0.3, 3), (0.4, 2), (0.6, 2), (0.6001, 3)]
    steps = tuple(Step(task, t, t + 0.0005) for t, task in starts)
    return Timeline(0.0, 0.61, tasks=(CELL, one, two), steps=steps)


def test_tasks_that_kept_the_loop_busy_saved_little() -> None:
    tutorial = tutorial_timeline()
    # The same two tasks, but computing: their steps fill 90% of the window.
    busy = tuple(Step(task, t, t + 0.0915) for t, task in ((n * 0.1, 2 + n % 2) for n in range(6)))
    found = explain_cell(replace(tutorial, steps=busy), 3)
    assert found.what == (
        "It created 2 tasks and ran for 0.61 s. They took turns on a loop busy 90% of the time, "
        "so running them concurrently saved little: concurrency saves time while tasks wait."
    )


def test_tasks_turns_and_time_saved() -> None:
    found = explain_cell(tutorial_timeline(), 3)
    assert found.title == "What cell [3] did on the event loop"
    assert found.what == (
        "It created 2 tasks and ran for 0.61 s. They ran concurrently: "
        "0.61 s instead of 1.2 s one after another."
    )
    assert found.details[0] == f"Created 'Task-2' (print_values) at <cell 3>:4: `{WHERE.source}`"
    assert found.details[2] == "They took 6 turns on the loop: " + " → ".join(
        ["Task-2", "Task-3"] * 3
    )
    assert not any("Still running" in line for line in found.details)


def test_a_task_that_made_the_others_is_not_counted_twice() -> None:
    """``asyncio.run(main())``: ``main`` lives as long as its children; it is not extra work."""
    base = tutorial_timeline()
    main = TaskInfo(4, "Task-1", "main", TaskState.DONE, created=0.0, ended=0.6)
    children = tuple(t._replace(parent_id=4) for t in base.tasks if not t.is_cell)
    found = explain_cell(replace(base, tasks=(CELL, main, *children)), 3)
    assert found.what.startswith("It created 3 tasks and ran for 0.61 s.")
    assert found.what.endswith("0.61 s instead of 1.2 s one after another.")


def test_tasks_left_running() -> None:
    found = explain_cell(tutorial_timeline(left_running=True), 3)
    assert found.details[-1] == (
        "Still running after the cell: 'Task-3' (print_values). See them with `%tasks`."
    )


def test_cell_without_tasks() -> None:
    found = explain_cell(Timeline(0.0, 1.0, tasks=(CELL,)), 5)
    assert "created no tasks" in found.what and "asyncio.gather()" in found.why


def test_turns_merge_consecutive_steps() -> None:
    steps = tuple(Step(i, float(n), n + 0.1) for n, i in enumerate([2, 2, 3, 0, 3, 2]))
    assert turns(Timeline(0, 9, steps=steps), {2, 3}) == [2, 3, 2]


def test_with_the_real_recorder() -> None:
    async def print_values(values: list[int], delay: float) -> float:
        for _ in values:
            await asyncio.sleep(delay)
        return delay

    recorder = Recorder()

    async def main() -> Timeline:
        assert recorder.attach(asyncio.get_running_loop()) is None
        start = recorder.now()
        await asyncio.gather(print_values([1, 3, 5], 0.02), print_values([2, 4], 0.03))
        timeline: Timeline = recorder.timeline(start, recorder.now())
        recorder.detach()
        return timeline

    found = explain_cell(asyncio.run(main()), 1)
    assert found.what.startswith("It created 2 tasks")
    assert "They ran concurrently" in found.what
