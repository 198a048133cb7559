"""Which tasks a timeline draws and what each row is called: the user's tasks, the busiest
first when there are too many, their labels, lives and steps. Shared by the terminal chart,
its summary, the picture and the trace."""

from __future__ import annotations

import heapq
import operator
from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from typing import cast

from asyncrepl.records import TaskInfo, TaskState
from asyncrepl.windows import StepColumns, TaskColumns, Timeline

__all__ = [
    "CALLBACKS",
    "choose_rows",
    "lifetime",
    "lifetimes",
    "printable",
    "spans_by_task",
    "task_label",
    "task_outcome",
    "worth_a_row",
]

#: asyncio's own housekeeping at the end of ``asyncio.run``: not the user's work, not drawn.
_HOUSEKEEPING = ("BaseEventLoop.shutdown_asyncgens", "BaseEventLoop.shutdown_default_executor")

#: What the row of plain callbacks (``call_soon`` ...) is called.
CALLBACKS = "callbacks"


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\x1b``), so that a
    task name cannot break a row, move the cursor or change colours.

    :param text: a name from user code.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def task_label(task: TaskInfo) -> str:
    """What a row is called: the task's name, and its coroutine when the name is asyncio's own.

    :param task: the task.
    """
    if task.name in ("", "None"):  # Python 3.13.0 names every task of a task factory "None"
        return f"{task.coro} (#{task.id})"
    if task.name.startswith(("Task-", "Task #")) and task.coro not in ("", "?", task.name):
        return f"{task.coro} ({task.name})"
    return printable(task.name)


def fit_label(label: str, width: int) -> str:
    """A row's name in at most ``width`` characters. Its last word (the task's number:
    ``(Task-12)``, ``#4``) stays whole when it takes at most half: a long session passes ten
    thousand tasks (its prompt makes tasks too), and ``print_values_slowly (Task-1…`` would
    name no task where ``print_values_s… (Task-10235)`` does.

    :param label: from :func:`task_label`.
    :param width: the characters there are.
    """
    if len(label) <= width:
        return label
    head, space, tail = label.rpartition(" ")
    if space and len(tail) <= width // 2:
        return head[: width - len(tail) - 2] + "… " + tail
    return label[: width - 1] + "…"


def task_outcome(task: TaskInfo) -> str:
    """How a finished task ended, in words; ``""`` for a cell that returned, whose coroutine
    returns the shell's own record of the cell (an ``ExecutionResult``), nothing of the
    user's (a cell cancelled by Ctrl-C says so).

    :param task: the task.
    """
    return "" if task.is_cell and task.state is TaskState.DONE else task.outcome


def lifetime(task: TaskInfo, timeline: Timeline) -> tuple[float, float]:
    """When ``task`` lived, cut to the window (:func:`lifetimes` does the same for many).

    :param task: a task of ``timeline``.
    :param timeline: the window.
    """
    end = timeline.end if task.ended is None else task.ended
    return max(task.created, timeline.start), min(max(end, task.created), timeline.end)


def lifetimes(
    created: Sequence[float], ended: Sequence[float | None], timeline: Timeline
) -> tuple[list[float], list[float]]:
    """When each task lived, cut to the window, as :func:`lifetime` says, a column at a time:
    the starts, and the ends.

    :param created: when each task was created.
    :param ended: when each ended, None while it lives.
    :param timeline: the window.
    """
    start, end = timeline.start, timeline.end
    if None in ended:  # a task that lives on: to the window's end
        ends = [end if died is None else died for died in ended]
    else:
        ends = cast("list[float]", list(ended))
    # Where no life needs cutting (all started in the window, as the summary's do), max() and
    # min() would give back the times themselves: whole-column checks instead of Python calls
    # for each task.
    starts = list(created)
    if min(created, default=start) < start:
        starts = [max(born, start) for born in created]
    if max(ends, default=end) > end or not all(map(operator.ge, ends, created)):
        ends = [min(max(died, born), end) for died, born in zip(ends, created, strict=True)]
    return starts, ends


def spans_by_task(timeline: Timeline, task_ids: set[int]) -> dict[int, list[tuple[float, float]]]:
    """``(start, end)`` of each step of the tasks in ``task_ids`` (0: plain callbacks), by
    task, in time order; an empty list for a task without steps.

    :param timeline: the recorded window.
    :param task_ids: the tasks wanted.
    """
    return StepColumns.of(timeline.steps).spans_of(task_ids)


def worth_a_row(task: TaskInfo) -> bool:
    """Whether the task is worth a row: all but asyncio's own clean-up at the end of
    ``asyncio.run``. The tasks of an origin share the answer (see :meth:`TaskColumns.read`).

    :param task: a task of the window.
    """
    return task.coro not in _HOUSEKEEPING


def choose_rows(timeline: Timeline, max_rows: int) -> tuple[list[TaskInfo], int]:
    """The busiest ``max_rows`` tasks in the order they were created, and how many were left
    out. A long run's 100,000 tasks are ranked by their columns, and only the chosen ones
    become :class:`TaskInfo` objects.

    :param timeline: the recorded window.
    :param max_rows: at most this many rows.
    """
    tasks = TaskColumns.of(timeline.tasks)
    worth = tasks.read(worth_a_row)
    users, limit = worth.count(True), max(max_rows, 1)
    shown: Iterable[int] = compress(range(len(tasks)), worth)  # positions in tasks
    if users > limit:  # only then are some left out: the busiest, then the oldest
        run_time = StepColumns.of(timeline.steps).time_by_task()
        busiest = map(operator.neg, map(run_time.get, tasks.ids, repeat(0.0)))
        # The position last, as sorted() keeps equal keys in their order.
        ranked = zip(busiest, tasks.created, tasks.ids, range(len(tasks)), strict=True)
        top = heapq.nsmallest(limit, compress(ranked, worth))
        shown = (position for *_, position in top)
    chosen = sorted(map(tasks.__getitem__, shown), key=lambda t: (t.created, t.id))
    return chosen, users - len(chosen)
