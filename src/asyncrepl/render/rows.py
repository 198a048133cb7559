"""Which tasks a timeline draws and what each row is called: the user's tasks, the busiest
first when there are too many, their labels, lives and steps. Shared by the terminal chart,
its summary, the picture and the trace."""

from __future__ import annotations

from asyncrepl.records import StepColumns, TaskInfo, TaskState, Timeline

__all__ = [
    "CALLBACKS",
    "choose_rows",
    "lifetime",
    "printable",
    "spans_by_task",
    "task_label",
    "task_outcome",
    "users_tasks",
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


def task_outcome(task: TaskInfo) -> str:
    """How a finished task ended, in words; ``""`` for a cell that returned, whose coroutine
    returns the shell's own record of the cell (an ``ExecutionResult``), nothing of the
    user's (a cell cancelled by Ctrl-C says so).

    :param task: the task.
    """
    return "" if task.is_cell and task.state is TaskState.DONE else task.outcome


def lifetime(task: TaskInfo, timeline: Timeline) -> tuple[float, float]:
    """When ``task`` lived, cut to the window.

    :param task: a task of ``timeline``.
    :param timeline: the window.
    """
    end = timeline.end if task.ended is None else task.ended
    return max(task.created, timeline.start), min(max(end, task.created), timeline.end)


def spans_by_task(timeline: Timeline, task_ids: set[int]) -> dict[int, list[tuple[float, float]]]:
    """``(start, end)`` of each step of the tasks in ``task_ids`` (0: plain callbacks), by
    task, in time order; an empty list for a task without steps.

    :param timeline: the recorded window.
    :param task_ids: the tasks wanted.
    """
    return StepColumns.of(timeline.steps).spans_of(task_ids)


def users_tasks(timeline: Timeline) -> list[TaskInfo]:
    """The tasks worth a row: all but asyncio's own clean-up at the end of ``asyncio.run``.

    :param timeline: the recorded window.
    """
    return [task for task in timeline.tasks if task.coro not in _HOUSEKEEPING]


def choose_rows(timeline: Timeline, max_rows: int) -> tuple[list[TaskInfo], int]:
    """The busiest ``max_rows`` tasks in the order they were created, and how many were left out.

    :param timeline: the recorded window.
    :param max_rows: at most this many rows.
    """
    run_time: dict[int, float] = {}
    if len(timeline.tasks) > max(max_rows, 1):  # only then are some left out: rank them
        run_time = StepColumns.of(timeline.steps).time_by_task()
    ranked = sorted(
        users_tasks(timeline), key=lambda t: (-run_time.get(t.id, 0.0), t.created, t.id)
    )
    chosen = sorted(ranked[: max(max_rows, 1)], key=lambda t: (t.created, t.id))
    return chosen, len(ranked) - len(chosen)
