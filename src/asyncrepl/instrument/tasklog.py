"""What the recorder keeps about each task: a small id, where and by whom it was created, its
run time, and how it ended. Live tasks are held weakly; finished ones become copies. A task
made the usual way is kept as a plain tuple until someone asks about it or it is freed: a
run of 100,000 tasks has no object of ours for each."""

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
from asyncrepl.instrument.ring import EAGER, IDLE, resumed
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

#: What the book keeps of a task made the usual way until someone asks about it: when it was
#: created, where (a Site), the id of the task that made it, its coroutine's code and name,
#: and the run time, step count and last step's end added up so far. A plain tuple of
#: numbers, strings and code, which the garbage collector stops tracking: 100,000 live tasks
#: with a record each (an object of 19 fields) made every full collection 24 ms longer.
Unseen = tuple[
    float, "Site | None", "int | None", "CodeType | None", str, float, int, "float | None"
]
#: What :meth:`TaskBook.freed` notes of a task freed unseen, to be settled later in a batch:
#: its id, its Unseen, when it was freed, its name, how it ended, and what it returned (a
#: plain number or None, else _NO_RESULT and the words, as a record keeps them). Nothing
#: the task held is kept alive: not a large result, not an exception and its frames.
_Gone = tuple[int, Unseen, float, str, TaskState, object, str]
#: Freed unseen tasks noted beyond what the histories keep before the oldest are forgotten
#: (those the histories would drop anyway: a burst of 100,000 makes records for the last few).
_GONE_BATCH = 4096
#: The weak set in which asyncio keeps every task the Task constructor made, done or not,
#: until it is freed (3.11: ``_all_tasks``; 3.12, 3.13: ``_scheduled_tasks``): how the book
#: finds the tasks it has not looked at. 3.14 keeps C tasks elsewhere; where a task is not
#: found in it, every task gets its record at once, as before.
_REGISTRY: Any = getattr(asyncio.tasks, "_all_tasks", None)  # an empty set is false: no `or`
if _REGISTRY is None:
    _REGISTRY = getattr(asyncio.tasks, "_scheduled_tasks", None)


class _Vanished:
    """What the record of a task freed unseen refers to: nothing, once made (a record is a
    weak reference, and the task is gone)."""


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
    ``limit`` finished ones; all of those also by task id, for adding up their steps. Tasks
    no one has asked about are kept apart, unseen (:data:`Unseen`): :meth:`record` gives one
    its record, :meth:`see_all` all of them (every query starts so), and one freed unseen
    is noted in a few field reads and settled later, straight to the forgotten when the
    history would not keep it.

    :param limit: how many finished tasks to keep.
    :param clock: the recorder's clock, for when a task ended.
    :param labeler: turns a cell's filename into ``<cell 3>`` (for who cancelled a task).
    """

    def __init__(self, limit: int, clock: Callable[[], float], labeler: LocationLabeler) -> None:
        if limit < 0:
            raise ValueError(f"finished_limit must be 0 or more, not {limit}")
        self._live: dict[int, TaskRecord] = {}
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
        #: Tasks made the usual way that no one has asked about yet, by task id (see
        #: :data:`Unseen`); :meth:`record` and :meth:`see_all` give them records.
        self._unseen: dict[int, Unseen] = {}
        self._gone: list[_Gone] = []  # freed unseen, not yet settled
        #: steps counted for those since they were noted: ``(run time, steps, last end)``
        self._gone_totals: dict[int, tuple[float, int, float]] = {}
        #: Whether asyncio's registry holds our tasks (checked with the first one).
        self._registry_works: bool | None = None if _REGISTRY is not None else False

    def record(self, task: AnyTask) -> TaskRecord | None:
        """The task's record, None if the book does not know the task; a task not looked at
        yet gets its record now.

        :param task: any task.
        """
        record = self._live.get(id(task))
        if record is None and self._unseen:
            unseen = self._unseen.pop(getattr(task, "_asyncrepl_id", 0), None)
            if unseen is not None:
                record = self._seen(task, unseen)
        return record

    def see_all(self) -> None:
        """Give every task not looked at yet its record (before a query reads the records):
        those freed since, and those alive, found in asyncio's registry of tasks."""
        self._settle()
        if not self._unseen:
            return
        for task in _registry_tasks():
            unseen = self._unseen.pop(getattr(task, "_asyncrepl_id", 0), None)
            if unseen is not None:
                self._seen(task, unseen)
                if not self._unseen:
                    return

    def _seen(self, task: AnyTask, unseen: Unseen) -> TaskRecord:
        """The record of ``task``, so far kept as ``unseen``."""
        created, site, parent_id, code, coro, run_time, steps, last_end = unseen
        task_id: int = task._asyncrepl_id  # type: ignore[attr-defined]
        record = new_record(task, task_id, coro, created, site, parent_id)
        record.code, record.run_time = code, run_time
        record.steps, record.last_end = steps, last_end
        self._live[id(task)] = self.by_id[task_id] = record
        return record

    def register(
        self,
        task: AnyTask,
        created: float,
        coro: str | None = None,
        site: Site | None = None,
        parent_id: int | None = None,
    ) -> TaskRecord:
        """A new record (call :meth:`record` first), with the task's asyncrepl id or a new one.

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
        try:
            code = coro.cr_code  # type: ignore[attr-defined]
        except AttributeError:
            code = coro_code(coro)
        if self._registry_works or (self._registry_works is None and self._check_registry(task)):
            self._unseen[task_id] = (created, site, parent_id, code, name, 0.0, 0, None)
            return
        record = new_record(task, task_id, name, created, site, parent_id)
        record.code = code
        self._live[id(task)] = self.by_id[task_id] = record

    def _check_registry(self, task: Task) -> bool:
        """Whether asyncio's registry of tasks holds ``task`` (a new task): the book keeps
        tasks unseen only where it can find them there."""
        try:
            self._registry_works = task in _REGISTRY
        except Exception:
            self._registry_works = False
        return self._registry_works

    def add_steps(
        self, stretches: Iterable[tuple[Sequence[float], Sequence[int], Sequence[float]]]
    ) -> None:
        """Add finished ring entries to their tasks' run time and steps. A million entries
        take C-level passes over the columns, and Python work only for each task.

        :param stretches: ``(starts, whos, ends)`` columns, from
            :meth:`~asyncrepl.instrument.ring.StepRing.stretches`.
        """
        from asyncrepl.windows import add_by_key  # with the first query, not at start

        # Only the tasks still known: at the end of a run of 100,000 tasks, most are gone.
        # (Not settled here: a query from another thread counts steps too.)
        gone = {entry[0] for entry in list(self._gone)}
        known = self.by_id.keys() | self._unseen.keys() | gone
        steps: collections.Counter[int] = collections.Counter()
        run_time: dict[int, float] = {}
        last_end: dict[int, float] = {}
        for starts, whos, ends in stretches:
            is_step = list(map(known.__contains__, whos))  # a step of task ``who`` starts
            owners = list(compress(whos, is_step))
            took = list(map(sub, compress(ends, is_step), compress(starts, is_step)))
            add_by_key(run_time, owners, took)
            steps.update(owners)
            last_end.update(zip(owners, compress(ends, is_step), strict=True))
            # A step cut by an eager one goes on (rare): its task is ``resumed(who)``.
            goes_on = [IDLE > who != EAGER for who in whos] if min(whos, default=0) < IDLE else ()
            for start, who, end in compress(zip(starts, whos, ends, strict=True), goes_on):
                task_id = resumed(who)  # resumed() is its own inverse
                if task_id not in known:
                    continue
                run_time[task_id] = run_time.get(task_id, 0.0) + end - start
                last_end[task_id] = max(last_end.get(task_id, end), end)
        get = self.by_id.get
        unseen = self._unseen
        for task_id, seconds in run_time.items():
            record = get(task_id)
            if record is not None:
                record.steps += steps[task_id]
                record.run_time += seconds
                record.last_end = last_end[task_id]
            elif (was := unseen.get(task_id)) is not None:
                totals = (was[5] + seconds, was[6] + steps[task_id], last_end[task_id])
                unseen[task_id] = was[:5] + totals
            elif task_id in gone:  # freed unseen, not settled yet
                before = self._gone_totals.get(task_id, (0.0, 0, 0.0))
                counted = before[1] + steps[task_id]
                self._gone_totals[task_id] = (before[0] + seconds, counted, last_end[task_id])

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
        """An asyncrepl task is being freed: note how it ended, and drop its live entry. A
        task no one looked at is noted as it is and settled later (a burst of 100,000 tasks
        is freed at once, and few are ever shown): a few field reads and an append.

        :param task: the task, still readable.
        """
        ours: Any = task  # asyncio's Future fields, read directly
        task_id: int = ours._asyncrepl_id
        unseen = self._unseen.pop(task_id, None)
        if unseen is None:
            self._freed_record(task)
            return
        result = ours._result
        if ours._state == "FINISHED" and ours._exception is None and type(result) in _KEPT_RESULTS:
            state, words = TaskState.DONE, ""
        elif not task.done():
            state, words, result = TaskState.CANCELLED, _DESTROYED, _NO_RESULT
        else:
            state, words = describe_end(task, None, self._labeler, task_id)
            result = _NO_RESULT
        gone = self._gone
        gone.append((task_id, unseen, self._clock(), task.get_name(), state, result, words))
        if len(gone) > _GONE_BATCH + 2 * self._limit:
            self._settle(only_forget=True)

    def _freed_record(self, task: AnyTask) -> None:
        """:meth:`freed` for a task that has its record."""
        record = self._live.pop(id(task), None)
        if record is None:
            return
        if record.ended is not None:  # noted when it ended: create_task may name it after
            named(record, task)
            return
        record.name = task.get_name()  # a task destroyed while pending is named too
        if not task.done():
            self._destroyed(record)
            return
        record.ended = self._clock()
        self._note_outcome(record, task)
        self._keep(record)

    def _settle(self, *, only_forget: bool = False) -> None:
        """The tasks freed unseen since the last time: those the finished histories would
        drop at once go straight to the origins of forgotten tasks, with no record made for
        them; the newest go into the histories (``only_forget``: stay noted).

        :param only_forget: only forget what is beyond the histories' reach.
        """
        gone, self._gone = self._gone, []
        if not gone:
            return
        users = [entry for entry in gone if entry[1][1] is not None]  # made at a user's line
        others = [entry for entry in gone if entry[1][1] is None]
        newest: list[_Gone] = []
        for batch in (users, others):
            cut = max(0, len(batch) - self._limit)
            for entry in batch[:cut]:
                self._gone_totals.pop(entry[0], None)
            if batch is users:  # straight to their origins
                self._remember(
                    (task_id, (unseen[4], unseen[1], False, state))
                    for task_id, unseen, _, _, state, _, _ in batch[:cut]
                )
            newest += batch[cut:]
        if only_forget:
            self._gone[0:0] = newest  # before any noted meanwhile (freed in another thread)
            return
        for entry in newest:
            self._keep(self._gone_record(entry))

    def _gone_record(self, gone: _Gone) -> TaskRecord:
        """The record of a task freed unseen (its weak reference refers to nothing)."""
        task_id, unseen, ended, name, state, result, words = gone
        created, site, parent_id, code, coro, run_time, steps, last_end = unseen
        record = new_record(_Vanished(), task_id, coro, created, site, parent_id)  # type: ignore[arg-type]
        more = self._gone_totals.pop(task_id, None)
        if more is not None:  # steps counted after it was freed
            run_time, steps, last_end = run_time + more[0], steps + more[1], more[2]
        record.code, record.run_time = code, run_time
        record.steps, record.last_end = steps, last_end
        record.ended, record.name = ended, name
        record.state, record.result, record.outcome = state, result, words
        self.by_id[task_id] = record
        return record

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
        self._settle()
        return itertools.chain(self.finished, self.others)

    def _keep(self, record: TaskRecord) -> None:
        """Into its finished history (see :attr:`finished`); the oldest there leaves it (and
        the book) once it is full. Tasks freed unseen before it go in first, in order."""
        if self._gone:
            self._settle()
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
        if record.by_user:
            origin = (record.coro, record.site, record.is_cell, record.state or TaskState.DONE)
            self._remember(((record.id, origin),))

    def _remember(self, left: Iterable[tuple[int, Origin]]) -> None:
        """User's tasks leave their origins behind as they leave the book.

        :param left: ``(task id, origin)`` of each, in the order they left.
        """
        last, forgotten, origins = self._last_origin, self.forgotten, self._origins
        for task_id, origin in left:
            if origin != last:  # the tasks of one line end alike: one object
                last = origins.setdefault(origin, origin)
            forgotten[task_id] = last
        self._last_origin = last
        self._trim_forgotten()

    def _trim_forgotten(self) -> None:
        """Keep the newest origins of forgotten tasks (now and then, as they pile up)."""
        if len(self.forgotten) > _ORIGINS_KEPT + _ORIGINS_KEPT // 4:
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
        """Records of tasks that are alive and not finished, with their tasks (from the
        loop's thread: those not looked at yet get their records)."""
        self.see_all()
        for record in list(self._live.values()):
            task = record.task()
            if task is not None and record.ended is None:
                yield record, task

    def __len__(self) -> int:
        return len(self._live) + len(self._unseen)


def _registry_tasks() -> list[AnyTask]:
    """A copy of asyncio's registry of tasks, taken as ``asyncio.all_tasks`` takes it
    (another thread may change the weak set while it is copied)."""
    for _ in range(1000):
        try:
            return list(_REGISTRY)
        except RuntimeError:
            continue
    return []


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
