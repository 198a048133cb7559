"""What the recorder keeps about each task: a small id, where and by whom it was created, its
run time, and how it ended. Live tasks are held weakly; finished ones become copies."""

from __future__ import annotations

import asyncio
import collections
import inspect
import itertools
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress
from operator import sub
from types import CodeType
from typing import Any

from asyncrepl.instrument.endings import CancelNote, describe_end, returned
from asyncrepl.instrument.ring import CALLBACK, EAGER, IDLE, resumed
from asyncrepl.instrument.sites import Site, site_location
from asyncrepl.instrument.tasks import Task, add_freed_note, next_task_id, task_number
from asyncrepl.records import Location, LocationLabeler, TaskInfo, TaskState

__all__ = [
    "Origin",
    "TaskBook",
    "TaskRecord",
    "coro_code",
    "coro_name",
    "live_state",
    "named",
]

AnyTask = asyncio.Task[Any]

#: What is still known of a finished task once it has left the history: its coroutine's name,
#: where the user's code created it, whether it ran a cell, and how it ended. Only a user's
#: task is remembered so (see :attr:`TaskInfo.by_user`); equal origins are one object.
Origin = tuple[str, "Site | None", bool, TaskState]
#: At most this many origins of forgotten tasks are kept, the newest.
_ORIGINS_KEPT = 100_000

_NO_ORIGIN: Origin = ("", None, False, TaskState.DONE)  # no task has an empty name
_NO_RESULT = object()
#: Results a finished record keeps as they are: immutable, and holding nothing else alive.
_KEPT_RESULTS = frozenset({type(None), int, float, bool})
_DESTROYED = "destroyed while still pending: nothing kept a reference to it"


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
            outcome=self.outcome if self.result is _NO_RESULT else returned(self.result),
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
    record.state, record.outcome, record.result, record.cancel = None, "", _NO_RESULT, None
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


class TaskBook:
    """Every task the recorder knows: live ones by ``id()`` (a weak reference drops the entry
    when the task dies, so an ``id()`` is never reused while it is in here), and the last
    ``limit`` finished ones; all of those also by task id, for adding up their steps.

    :param limit: how many finished tasks to keep.
    :param clock: the recorder's clock, for when a task ended.
    :param labeler: turns a cell's filename into ``<cell 3>`` (for who cancelled a task).
    """

    def __init__(self, limit: int, clock: Callable[[], float], labeler: LocationLabeler) -> None:
        if limit < 0:
            raise ValueError(f"finished_limit must be 0 or more, not {limit}")
        self._live: dict[int, TaskRecord] = {}
        self.lookup = self._live.get  # ``lookup(id(task))``
        self.by_id: dict[int, TaskRecord] = {}
        #: The finished history: the user's tasks (made by their code, or running a cell)
        #: and, apart, the others (the REPL's own, a library's made from a loop callback):
        #: a prompt_toolkit task for each key pressed filled one shared history, so that
        #: 500 keys later a finished task of the user's was gone from %tasks and the chart.
        self.finished: collections.deque[TaskRecord] = collections.deque()
        self.others: collections.deque[TaskRecord] = collections.deque()
        self._limit = limit
        self._clock = clock
        self._labeler = labeler
        #: task id -> :data:`Origin`, for the user's tasks that left the finished history
        self.forgotten: dict[int, Origin] = {}
        self._origins: dict[Origin, Origin] = {}
        self._last_origin: Origin = _NO_ORIGIN  # the one that left last
        self._freed_note = self.freed  # one bound method, so a task is told about it once

    def register(
        self,
        task: AnyTask,
        created: float,
        coro: str | None = None,
        site: Site | None = None,
        parent_id: int | None = None,
    ) -> TaskRecord:
        """A new record (call :attr:`lookup` first), with the task's asyncrepl id or a new one.

        :param task: the task, seen for the first time.
        :param created: when it was created (or first seen).
        :param coro: its coroutine's name, when the task may already have dropped it.
        :param site: where the user's code created it.
        :param parent_id: the id of the task that created it.
        """
        key = id(task)
        coro = coro or coro_name(task.get_coro())
        if type(task) is Task:  # it has an id, and says when it is freed
            record = new_record(task, task_number(task), coro, created, site, parent_id)
            add_freed_note(task, self._freed_note)
        else:
            record = new_record(
                task, next_task_id(), coro, created, site, parent_id, lambda _: self.forget(key)
            )
        if not task.done():  # 3.12.1 crashes in get_coro() of an eager task already done
            record.code = coro_code(task.get_coro())
        self._live[key] = self.by_id[record.id] = record
        return record

    def add_new(
        self, task: Task, coro: object, created: float, site: Site | None, parent_id: int | None
    ) -> None:
        """A record for an asyncrepl task just made, that no recorder has seen yet (the
        usual case, kept short: see :meth:`register` for the others).

        :param task: the new task.
        :param coro: its coroutine.
        :param created: when it was created.
        :param site: where the user's code created it.
        :param parent_id: the id of the task that created it.
        """
        task._asyncrepl_id = task_id = next_task_id()
        task._asyncrepl_freed = self._freed_note
        try:
            name = coro.__qualname__  # type: ignore[attr-defined]
        except AttributeError:
            name = coro_name(coro)
        record = new_record(task, task_id, name, created, site, parent_id)
        try:
            record.code = coro.cr_code  # type: ignore[attr-defined]
        except AttributeError:
            record.code = coro_code(coro)
        self._live[id(task)] = self.by_id[task_id] = record

    def add_steps(
        self, stretches: Iterable[tuple[Sequence[float], Sequence[int], Sequence[float]]]
    ) -> None:
        """Add finished ring entries to their tasks' run time and steps. A million entries
        take C-level passes over the columns, and Python work only for each task.

        :param stretches: ``(starts, whos, ends)`` columns, from
            :meth:`~asyncrepl.instrument.ring.StepRing.stretches`.
        """
        from asyncrepl.windows import add_by_key  # with the first query, not at start

        steps: collections.Counter[int] = collections.Counter()
        run_time: dict[int, float] = {}
        last_end: dict[int, float] = {}
        for starts, whos, ends in stretches:
            is_step = list(map(CALLBACK.__lt__, whos))  # a step of task ``who`` starts
            owners = list(compress(whos, is_step))
            took = list(map(sub, compress(ends, is_step), compress(starts, is_step)))
            add_by_key(run_time, owners, took)
            steps.update(owners)
            last_end.update(zip(owners, compress(ends, is_step), strict=True))
            # A step cut by an eager one goes on (rare): its task is ``resumed(who)``.
            goes_on = [IDLE > who != EAGER for who in whos] if min(whos, default=0) < IDLE else ()
            for start, who, end in compress(zip(starts, whos, ends, strict=True), goes_on):
                task_id = resumed(who)  # resumed() is its own inverse
                run_time[task_id] = run_time.get(task_id, 0.0) + end - start
                last_end[task_id] = max(last_end.get(task_id, end), end)
        get = self.by_id.get
        for task_id, seconds in run_time.items():
            record = get(task_id)
            if record is not None:
                record.steps += steps[task_id]
                record.run_time += seconds
                record.last_end = last_end[task_id]

    def finish(self, record: TaskRecord, task: AnyTask, end: float) -> None:
        """Note how ``task`` ended and keep a copy in the finished history.

        :param record: its record.
        :param task: the task, now done.
        :param end: when its last step ended.
        """
        if record.ended is not None:
            return
        record.ended = end
        if not record.name:
            record.name = task.get_name()
        self._note_outcome(record, task)
        self._keep(record)

    def freed(self, task: AnyTask) -> None:
        """An asyncrepl task is being freed: note how it ended, and drop its live entry.

        :param task: the task, still readable.
        """
        record = self._live.pop(id(task), None)
        if record is None:
            return
        if record.ended is not None:  # noted when it ended: create_task may name it after
            named(record, task)
            return
        if not task.done():
            self._destroyed(record)
            return
        record.ended = self._clock()
        record.name = task.get_name()
        self._note_outcome(record, task)
        self._keep(record)

    def _note_outcome(self, record: TaskRecord, task: AnyTask) -> None:
        """How the done ``task`` ended: a plain number or None it returned is kept as it is
        (the words are written when shown), anything else in words now."""
        ours: Any = task  # asyncio's Future fields, read directly
        try:
            result, failed = ours._result, ours._exception is not None  # None when it failed
        except AttributeError:  # a future of another kind
            result, failed = _NO_RESULT, True
        if type(result) in _KEPT_RESULTS and not failed and not task.cancelled():
            record.state, record.result = TaskState.DONE, result
        else:
            record.state, record.outcome = describe_end(
                task, record.cancel, self._labeler, record.id
            )

    @property
    def limit(self) -> int:
        """How many finished tasks are kept."""
        return self._limit

    @limit.setter
    def limit(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"finished_limit must be 0 or more, not {limit}")
        self._limit = limit
        for history in (self.finished, self.others):
            while len(history) > limit:  # the oldest go first
                self._leave(history.popleft())

    def all_finished(self) -> Iterator[TaskRecord]:
        """The finished tasks kept, the user's and the others."""
        return itertools.chain(self.finished, self.others)

    def _keep(self, record: TaskRecord) -> None:
        """Into its finished history (see :attr:`finished`); the oldest there leaves it (and
        the book) once it is full."""
        history = self.finished if record.by_user else self.others
        if len(history) >= self._limit:
            if not self._limit:
                self._leave(record)
                return
            self._leave(history.popleft())
        history.append(record)

    def _leave(self, record: TaskRecord) -> None:
        """``record`` leaves the book; a user's task leaves its :data:`Origin` behind."""
        if self.by_id.get(record.id) is record:
            del self.by_id[record.id]
        if not record.by_user:
            return
        origin = (record.coro, record.site, record.is_cell, record.state or TaskState.DONE)
        if origin != self._last_origin:  # the tasks of one line end alike: one object
            self._last_origin = self._origins.setdefault(origin, origin)
        self.forgotten[record.id] = self._last_origin
        if len(self.forgotten) > _ORIGINS_KEPT + _ORIGINS_KEPT // 4:  # now and then: the newest
            newest = list(self.forgotten.items())[-_ORIGINS_KEPT:]
            self.forgotten = dict(newest)
            self._origins = {origin: origin for _, origin in newest}
            self._last_origin = _NO_ORIGIN

    def forget(self, key: int) -> None:
        """The task died: drop its live entry; one that never finished goes to the history.

        :param key: ``id(task)``.
        """
        record = self._live.pop(key, None)
        if record is not None and record.ended is None:
            self._destroyed(record)

    def _destroyed(self, record: TaskRecord) -> None:
        record.ended = self._clock()
        record.state = TaskState.CANCELLED
        record.outcome = _DESTROYED
        record.name = record.name or f"Task #{record.id}"
        self._keep(record)

    def live(self) -> Iterator[tuple[TaskRecord, AnyTask]]:
        """Records of tasks that are alive and not finished, with their tasks."""
        for record in list(self._live.values()):
            task = record.task()
            if task is not None and record.ended is None:
                yield record, task

    def __len__(self) -> int:
        return len(self._live)


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
