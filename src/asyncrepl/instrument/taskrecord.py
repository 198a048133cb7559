"""The recorder's notes on one task (:class:`TaskRecord`), and the small readings of a task
that making and keeping them needs: its coroutine's name and code, its state while alive."""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import Callable
from types import CodeType
from typing import Any

from asyncrepl.instrument.endings import CancelNote, describe_end, returned
from asyncrepl.instrument.sites import Site, site_location
from asyncrepl.records import Location, LocationLabeler, TaskInfo, TaskState

__all__ = [
    "DESTROYED",
    "KEPT_RESULTS",
    "NO_RESULT",
    "TaskRecord",
    "coro_code",
    "coro_name",
    "how_it_ended",
    "live_state",
    "named",
    "new_record",
]

AnyTask = asyncio.Task[Any]

#: ``TaskRecord.result`` of a task that returned nothing kept as it is (see ``outcome``).
NO_RESULT = object()
#: Results a finished record keeps as they are: immutable, and holding nothing else alive.
KEPT_RESULTS = frozenset({type(None), int, float, bool})
#: The outcome of a task freed before it finished.
DESTROYED = "destroyed while still pending: nothing kept a reference to it"


class TaskRecord(weakref.ref):  # type: ignore[type-arg]
    """The recorder's notes on one task. The record is itself the weak reference to its task
    (``record.task()``): one object for each live task, not two, for the collector to walk
    at every full collection (100,000 live tasks made it walk 100,000 more). Made by
    :func:`new_record`, which sets every field once.

    A record is told apart by identity (a weak reference's own ``==`` and ``hash`` go by the
    task, and fail once it is gone)."""

    __slots__ = (
        "cancel", "cell", "code", "coro", "created", "ended", "id", "info", "is_cell",
        "last_end", "location", "name", "outcome", "parent_id", "result", "run_time", "site",
        "state", "steps",
    )  # fmt: skip
    id: int
    coro: str
    created: float
    site: Site | None
    parent_id: int | None
    name: str  # filled in when the task ends; live tasks are asked
    location: Location | None  # built from site on demand
    run_time: float
    steps: int
    is_cell: bool
    cell: int
    ended: float | None  # when the recorder saw it had ended
    last_end: float | None  # when its last recorded step ended
    state: TaskState | None  # set when it ends
    outcome: str  # how it ended, in words (see ``result``)
    #: what it returned, when that is a plain number or None: the words are written only
    #: when shown (most finished tasks never are).
    result: object
    cancel: CancelNote | None  # who cancelled it
    info: TaskInfo | None  # the finished copy, made once
    code: CodeType | None  # the coroutine's code: where its waits were (``waits.py``)

    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__
    #: The task, None once it is gone.
    task: Callable[[], AnyTask | None] = weakref.ref.__call__  # type: ignore[assignment]

    @property
    def by_user(self) -> bool:
        """Whether the user's code made the task (a line of theirs, a site) or it runs a cell:
        the record's side of :attr:`TaskInfo.by_user`."""
        return self.site is not None or self.is_cell

    def created_at(
        self, labeler: LocationLabeler, known: dict[Site, Location] | None = None
    ) -> Location | None:
        """Where the user's code created the task, labelled (built once).

        :param known: see :func:`~asyncrepl.instrument.sites.site_location`.
        """
        if self.location is None and self.site is not None:
            self.location = site_location(self.site, labeler, known)
        return self.location

    def end_time(self) -> float | None:
        """When the task ended: the end of its last step, else when that was noticed."""
        if self.ended is None or self.last_end is None:
            return self.ended
        return min(self.ended, self.last_end)

    def task_info(
        self,
        labeler: LocationLabeler,
        state: TaskState,
        name: str,
        known: dict[Site, Location] | None = None,
    ) -> TaskInfo:
        """A :class:`TaskInfo` copy of what is known (no await chain: see ``snapshot.py``).

        :param known: see :func:`~asyncrepl.instrument.sites.site_location`.
        """
        return TaskInfo(
            id=self.id,
            name=name,
            coro=self.coro,
            state=state,
            created_at=self.created_at(labeler, known),
            parent_id=self.parent_id,
            is_cell=self.is_cell,
            created=self.created,
            ended=self.end_time(),
            run_time=self.run_time,
            steps=self.steps,
            outcome=self.outcome if self.result is NO_RESULT else returned(self.result),
        )


def new_record(
    task: AnyTask,
    task_id: int,
    coro: str,
    created: float,
    site: Site | None,
    parent_id: int | None,
    callback: Callable[[TaskRecord], None] | None = None,
) -> TaskRecord:
    """A record of ``task``, every field set (a slot has no default to fall back on).

    :param callback: called when the task is gone, for a task that does not say so itself.
    """
    record: TaskRecord = _new_ref(TaskRecord, task, callback)
    record.id, record.coro, record.created = task_id, coro, created
    record.site, record.parent_id = site, parent_id
    record.name, record.location, record.run_time, record.steps = "", None, 0.0, 0
    record.is_cell, record.cell, record.ended, record.last_end = False, 0, None, None
    record.state, record.outcome, record.result, record.cancel = None, "", NO_RESULT, None
    record.info = record.code = None
    return record


_new_ref = weakref.ref.__new__


def coro_name(coro: object) -> str:
    """The coroutine's qualified name, ``"print_values"``."""
    return str(getattr(coro, "__qualname__", None) or type(coro).__name__)


def coro_code(coro: object) -> CodeType | None:
    """The code of a coroutine or generator, None for anything else."""
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    return code if isinstance(code, CodeType) else None


def named(record: TaskRecord, task: AnyTask) -> None:
    """A finished record takes its task's name now: an eager task finishes inside
    ``create_task``, which names it afterwards (and anyone may rename a task later).

    :param record: a finished task's record.
    :param task: its task, still alive.
    """
    name = task.get_name()
    if name != record.name:
        record.name, record.info = name, None


def live_state(task: AnyTask, record: TaskRecord, current: AnyTask | None) -> TaskState:
    """RUNNING for the task on the loop now, SCHEDULED for one not started, else SUSPENDED."""
    if task is current:
        return TaskState.RUNNING
    coro = task.get_coro()
    if inspect.iscoroutine(coro):
        started = inspect.getcoroutinestate(coro) != inspect.CORO_CREATED
    else:
        started = record.steps > 0
    return TaskState.SUSPENDED if started else TaskState.SCHEDULED


def how_it_ended(
    task: AnyTask, cancel: CancelNote | None, labeler: LocationLabeler, own_id: int
) -> tuple[TaskState, object, str]:
    """How the done ``task`` ended, as a record keeps it: ``(state, result, words)``. A plain
    number or None it returned is kept as it is (its words are written when shown, ""),
    anything else is put in words now (its result is then NO_RESULT).

    :param cancel: who cancelled it, when known.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param own_id: the task's id, to say "cancelled itself".
    """
    ours: Any = task  # asyncio's Future fields, read directly
    try:
        result, failed = ours._result, ours._exception is not None  # None when it failed
    except AttributeError:  # a future of another kind
        result, failed = NO_RESULT, True
    if type(result) in KEPT_RESULTS and not failed and not task.cancelled():
        return TaskState.DONE, result, ""
    state, words = describe_end(task, cancel, labeler, own_id)
    return state, NO_RESULT, words
