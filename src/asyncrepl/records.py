"""Frozen records that every layer shares: what the recorder saw, what the checkers found.

Records hold copies of what is shown (names, labels, numbers), never live tasks or frames,
so keeping one never keeps a task, a coroutine or a cell's variables alive.

They are named tuples (change one with ``record._replace(field=...)``), not frozen
dataclasses: Python 3.11 compiles a dataclass's generated methods as the module is
imported, and these seven took 5 ms of the first cell's start (now 0.5 ms).
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from asyncrepl.labels import LocationLabeler, default_labeler

__all__ = [
    "FORGOTTEN",
    "BlockReport",
    "Finding",
    "Incident",
    "IncidentKind",
    "Location",
    "LocationLabeler",
    "Step",
    "Suspension",
    "TaskInfo",
    "TaskState",
    "default_labeler",
    "is_asyncios",
]


class Location(NamedTuple):
    """One line of source: where a task was created, suspended, or blocked.

    :param filename: the code object's real filename.
    :param lineno: 1-based line number.
    :param label: what a person reads, ``"<cell 3>:4"`` or ``"app.py:12"``.
    :param source: that source line, stripped, or ``""`` when it cannot be read.
    :param function: the function's qualified name, ``""`` at module level.
    """

    filename: str
    lineno: int
    label: str
    source: str = ""
    function: str = ""


class TaskState(enum.Enum):
    """Where a task is in its life."""

    RUNNING = "running"  # its step is on the loop right now
    SUSPENDED = "suspended"  # waiting at an await
    SCHEDULED = "scheduled"  # created, not started yet
    DONE = "done"  # returned a value
    FAILED = "failed"  # raised an exception
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (TaskState.DONE, TaskState.FAILED, TaskState.CANCELLED)


#: The outcome of a task that a timeline knows only from its steps: it finished so long ago
#: that the recorder no longer keeps its record (see ``finished_tasks``).
FORGOTTEN = "finished too long ago to be remembered by name"


class TaskInfo(NamedTuple):
    """A snapshot of one task, as ``%tasks`` shows it.

    :param id: the recorder's number for the task, stable for the session (not ``id()``).
    :param name: ``Task.get_name()``.
    :param coro: the coroutine's qualified name, ``"print_values"``.
    :param state: see :class:`TaskState`.
    :param created_at: where ``create_task`` (or ``gather`` ...) was called from user code.
    :param parent_id: the task that created it, if any.
    :param is_cell: True for the task that runs a REPL cell.
    :param frames: the await chain, outermost coroutine first, innermost last.
    :param awaiting: what it waits for, in words: ``"asyncio.sleep, 0.13 s left"``.
    :param awaiting_ids: ids of the tasks it waits for (gather children, an awaited task).
    :param created: monotonic time it was created (or first seen).
    :param ended: monotonic time it finished, None while it lives.
    :param run_time: seconds its steps held the loop.
    :param steps: how many times the loop ran it.
    :param outcome: for a finished task, the result repr, the exception, or who cancelled it.
    """

    id: int
    name: str
    coro: str
    state: TaskState
    created_at: Location | None = None
    parent_id: int | None = None
    is_cell: bool = False
    frames: tuple[Location, ...] = ()
    awaiting: str = ""
    awaiting_ids: tuple[int, ...] = ()
    created: float = 0.0
    ended: float | None = None
    run_time: float = 0.0
    steps: int = 0
    outcome: str = ""

    @property
    def by_user(self) -> bool:
        """Whether the user's code made this task (it was created from a line of user code:
        :attr:`created_at`), or it runs one of their cells. The one answer to "is this the
        user's task?": a kernel's tasks (``Kernel.shell_main``), the shell's own (the prompt)
        and tasks that existed before recording began are not."""
        return self.is_cell or self.created_at is not None


class Step(NamedTuple):
    """One run of a task (or a plain callback) on the loop.

    :param task_id: the recorder's task id; 0 for a plain callback (``call_soon``...).
    :param start: monotonic seconds when the loop started it.
    :param end: monotonic seconds when it gave the loop back.
    """

    task_id: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


class Finding(NamedTuple):
    """A problem found in source code, before it runs (codes ``AR1xx``).

    :param code: stable code, ``"AR101"``.
    :param slug: stable short name, ``"blocking-sleep"``.
    :param message: one sentence for the person who wrote the line.
    :param filename: the file (or cell filename) the line is in.
    :param line: 1-based line.
    :param col: 0-based column where the call starts.
    :param end_col: 0-based column where it ends (for the caret).
    :param source_line: the line itself, unstripped.
    :param fix: the corrected code, ``"await asyncio.sleep(1)"``, or ``""``.
    """

    code: str
    slug: str
    message: str
    filename: str
    line: int
    col: int
    end_col: int
    source_line: str = ""
    fix: str = ""


class BlockReport(NamedTuple):
    """The loop was held by one step for longer than the threshold (codes ``AR2xx``).

    :param code: ``"AR201"``.
    :param slug: ``"loop-blocked"``.
    :param started: monotonic time the step began.
    :param duration: seconds the loop was blocked.
    :param task_name: the task whose step blocked, None for a plain callback.
    :param location: the innermost frame of user code while it was stuck.
    :param call: the blocking call as written there, ``"time.sleep(1)"``, or ``""``.
    :param fix: the corrected code, or ``""``.
    :param still_blocked: True for the one interim note sent while a long block lasts.
    :param callee: the called function's ``module.qualname``, ``"asyncio.tasks.gather"``,
        when ``call`` could be named.
    :param recording: seconds of ``duration`` that asyncrepl spent recording the tasks made in
        the step (part of the block, but not the user's: without asyncrepl it is shorter).
    :param tasks_made: how many tasks the step made (counted with ``recording``).
    :param in_coroutine: the line is in a coroutine of the user's (or a function one
        called), not at a cell's top level: async code that blocks wherever it runs.
    """

    code: str
    slug: str
    started: float
    duration: float
    task_name: str | None = None
    location: Location | None = None
    call: str = ""
    fix: str = ""
    still_blocked: bool = False
    callee: str = ""
    recording: float = 0.0
    tasks_made: int = 0
    in_coroutine: bool = False

    @property
    def in_asyncio(self) -> bool:
        """The call is asyncio's own (``gather``, ``create_task``, ``loop.call_soon`` ...): it
        does not block, asyncio itself was busy (starting very many tasks, say), and running
        it in a thread would break it."""
        return is_asyncios(self.callee)


def is_asyncios(qualname: str) -> bool:
    """Whether ``module.qualname`` names asyncio's own function (``asyncio.tasks.gather``,
    ``_asyncio.Task``): asyncio itself, which must run on its loop, never in a thread.

    :param qualname: as :attr:`BlockReport.callee` gives it.
    """
    return qualname.partition(".")[0] in ("asyncio", "_asyncio")


class Suspension(NamedTuple):
    """A task waited at an ``await`` for a future, until the future was done and woke it.

    :param task_id: the task.
    :param step_start: when the step that the end of the wait woke started.
    :param location: the line of the task's own coroutine where it waited (for a task that
        awaits a helper coroutine, the line that awaits the helper); None when unknown.
    :param awaited: what it waited for: ``"a Future"`` (a sleep, a queue, an event, I/O...),
        ``"asyncio.gather"``, ``"Task 'worker-2'"``.
    """

    task_id: int
    step_start: float
    location: Location | None
    awaited: str


class IncidentKind(enum.Enum):
    """What kind of thing went wrong (or was flagged)."""

    EXCEPTION = "exception"  # a cell raised
    TASK_EXCEPTION = "task-exception"  # a background task ended with an exception
    WARNING = "warning"  # a Python warning, e.g. a coroutine never awaited
    FINDING = "finding"  # the static check flagged a line (a records.Finding)
    BLOCK = "block"  # the watchdog saw the loop blocked (a records.BlockReport)
    HINT = "hint"  # asyncrepl stepped in: asyncio.run() awaited, a coroutine not awaited


class Incident(NamedTuple):
    """One entry of the journal.

    :param kind: see :class:`IncidentKind`.
    :param payload: the exception, warning message, Finding or BlockReport.
    :param cell: the execution count of the cell it belongs to, 0 when unknown.
    :param code: the explanation key when the reporter already knows it (``"unawaited-coroutine"``).
    :param source: the cell's source, for showing and correcting the user's own line.
    :param where: the user's line it is about when the payload does not tell (where a task
        that failed was created), or None.
    """

    kind: IncidentKind
    payload: Any
    cell: int = 0
    code: str = ""
    source: str = ""
    where: Location | None = None
