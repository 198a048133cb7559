"""What a cell did on the event loop, from the recorder's timeline: the tasks it created, how
they took turns, the time saved by running them concurrently, and tasks left running."""

from __future__ import annotations

from asyncrepl.durations import format_duration
from asyncrepl.explain.entries import Explanation
from asyncrepl.records import TaskInfo
from asyncrepl.windows import BUSY_LOOP, StepColumns, Timeline

__all__ = ["explain_cell", "turns"]

#: How many turns to list before "...".
MAX_TURNS = 12


def _name(task: TaskInfo) -> str:
    return task.name or f"task {task.id}"  # a record without a name still reads well


def _short(task: TaskInfo) -> str:
    return f"'{_name(task)}' ({task.coro})"


def turns(timeline: Timeline, task_ids: set[int]) -> list[int]:
    """The order in which tasks ran, each run of consecutive steps of one task counted once.

    :param timeline: the recorded window.
    :param task_ids: the tasks to follow; other steps are skipped.
    """
    order: list[int] = []
    for task_id in StepColumns.of(timeline.steps).task_ids:
        if task_id in task_ids and (not order or order[-1] != task_id):
            order.append(task_id)
    return order


def explain_cell(timeline: Timeline, cell: int) -> Explanation:
    """Explain what cell ``cell`` did on the loop, over the window ``timeline`` covers.

    :param timeline: ``recorder.timeline(start, end)`` over the cell's window.
    :param cell: the cell's execution count.
    """
    start, end = timeline.start, timeline.end
    wall = max(end - start, 0.0)
    made = [t for t in timeline.tasks if not t.is_cell and start <= t.created <= end]
    title = f"What cell [{cell}] did on the event loop"
    if not made:
        return Explanation(
            key="cell",
            title=title,
            what=f"It ran for {format_duration(wall)} and created no tasks.",
            why="Without tasks, each `await` runs one coroutine at a time. To run coroutines "
            "concurrently, wrap them in tasks with `asyncio.create_task()` or pass them to "
            "`asyncio.gather()`.",
        )
    details = [f"Created {_short(t)} at {_created(t)}" for t in made]
    by_id = {t.id: t for t in made}
    order = turns(timeline, set(by_id))
    if len(order) > 1:
        shown = [_name(by_id[i]) for i in order[:MAX_TURNS]]
        more = " → ..." if len(order) > MAX_TURNS else ""
        details.append(f"They took {len(order)} turns on the loop: {' → '.join(shown)}{more}")
    loop_busy = StepColumns.of(timeline.steps).busy(start, end)
    what = _summary(made, wall, end, loop_busy)
    busy = sum(t.run_time for t in made)
    details.append(
        f"The tasks held the loop for {format_duration(busy)} in all; the rest of the time they "
        "were waiting at an `await`."
    )
    left = [t for t in made if t.ended is None and not t.state.finished]
    if left:
        names = ", ".join(_short(t) for t in left)
        details.append(f"Still running after the cell: {names}. See them with `%tasks`.")
    return Explanation(
        key="cell",
        title=title,
        what=what,
        why="While one task waits at an `await`, the event loop runs another: that is how "
        "tasks take turns in one thread.",
        details=tuple(details),
    )


def _summary(made: list[TaskInfo], wall: float, end: float, loop_busy: float) -> str:
    """How many tasks, how long, and the time saved by running them concurrently (little,
    when the loop was busy computing most of the time: ``loop_busy`` seconds of ``wall``)."""
    # A task that made others (``main`` under ``asyncio.run``) lives as long as they do:
    # "one after another" counts only the tasks doing the work.
    parents = {t.parent_id for t in made}
    workers = [t for t in made if t.id not in parents]
    lifetimes = sum((t.ended if t.ended is not None else end) - t.created for t in workers)
    plural = "s" if len(made) != 1 else ""
    what = f"It created {len(made)} task{plural} and ran for {format_duration(wall)}."
    if len(workers) > 1 and lifetimes > wall * 1.05 and loop_busy <= wall * BUSY_LOOP:
        what += (
            f" They ran concurrently: {format_duration(wall)} instead of "
            f"{format_duration(lifetimes)} one after another."
        )
    elif len(workers) > 1 and lifetimes > wall * 1.05:
        what += (
            f" They took turns on a loop busy {loop_busy / wall:.0%} of the time, so running "
            "them concurrently saved little: concurrency saves time while tasks wait."
        )
    return what


def _created(task: TaskInfo) -> str:
    where = task.created_at
    if where is None:
        return "an unknown place"
    return f"{where.label}: `{where.source}`" if where.source else where.label
