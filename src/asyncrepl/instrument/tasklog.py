"""The recorder's book of tasks: a record for each task it knows (``taskrecord.py``), live ones
held weakly, the last finished ones kept as copies, the origins of those forgotten; tasks no
one has asked about yet are kept apart, with no record of their own (``unseen.py``)."""

from __future__ import annotations

import asyncio
import collections
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress
from typing import Any

from asyncrepl.instrument.ring import EAGER, IDLE, resumed
from asyncrepl.instrument.sites import Site
from asyncrepl.instrument.taskrecord import (
    DESTROYED,
    TaskRecord,
    coro_code,
    coro_name,
    how_it_ended,
    named,
    new_record,
)
from asyncrepl.instrument.tasks import Task, add_freed_note, next_task_id, task_number
from asyncrepl.instrument.unseen import GONE_BATCH, Gone, UnseenTasks, make_freed_note
from asyncrepl.records import LocationLabeler, TaskState

__all__ = ["Origin", "TaskBook"]

AnyTask = asyncio.Task[Any]

#: What is still known of a finished task once it has left the history: its coroutine's name,
#: where the user's code created it, whether it ran a cell, and how it ended. Only a user's
#: task is remembered so (see :attr:`TaskInfo.by_user`); equal origins are one object.
Origin = tuple[str, "Site | None", bool, TaskState]
#: At most this many origins of forgotten tasks are kept, the newest.
_ORIGINS_KEPT = 100_000

_NO_ORIGIN: Origin = ("", None, False, TaskState.DONE)  # no task has an empty name


def _origins_of(gone: list[Gone]) -> Iterator[tuple[int, Origin]]:
    """``(task id, origin)`` of each of ``gone`` (made at a user's line): the tasks of one
    birth that ended alike share one origin tuple (a burst of 100,000 has one or two)."""
    last_birth: object = None
    last_state: object = None
    origin: Origin = _NO_ORIGIN
    for entry in gone:
        birth, state = entry[2], entry[6]
        if birth is not last_birth or state is not last_state:
            origin = (birth[3], birth[0], False, state)
            last_birth, last_state = birth, state
        yield entry[0], origin


class TaskBook:
    """Every task the recorder knows: live ones by ``id()`` (a weak reference drops the entry
    when the task dies, so an ``id()`` is never reused while it is in here), and the last
    ``limit`` finished ones; all of those also by task id, for adding up their steps. Tasks
    no one has asked about are kept apart (:class:`UnseenTasks`): :meth:`record` gives one
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
        #: Tasks made the usual way that no one has asked about yet: :meth:`record` and
        #: :meth:`see_all` give them records.
        self.unseen = UnseenTasks(clock, labeler)
        #: What each task is told to call when it is freed: one object, so that a task is
        #: told about it once (:meth:`freed`, or its C twin: see make_freed_note).
        self._freed_note = make_freed_note(
            self.unseen, self.freed, self._settle_some, self._gone_batch()
        )

    def record(self, task: AnyTask) -> TaskRecord | None:
        """The task's record, None if the book does not know the task; a task not looked at
        yet gets its record now.

        :param task: any task.
        """
        record = self._live.get(id(task))
        if record is None and self.unseen:
            record = self.unseen.take(task)
            if record is not None:
                self._add_live(task, record)
        return record

    def see_all(self) -> None:
        """Give every task not looked at yet its record (before a query reads the records):
        those freed since, and those alive."""
        self._settle()
        for record in self.unseen.take_alive():
            self._add_live(record.task(), record)

    def _add_live(self, task: Any, record: TaskRecord) -> None:
        self._live[id(task)] = self.by_id[record.id] = record

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
        if self.unseen.add(task, task_id, created, site, parent_id, code, name):
            return
        record = new_record(task, task_id, name, created, site, parent_id)
        record.code = code
        self._add_live(task, record)

    def add_steps(
        self, stretches: Iterable[tuple[Sequence[float], Sequence[int], Sequence[float]]]
    ) -> None:
        """Add finished ring entries to their tasks' run time and steps. A million entries
        take C-level passes over the columns, and Python work only for each task.

        :param stretches: ``(starts, whos, ends)`` columns, from
            :meth:`~asyncrepl.instrument.ring.StepRing.stretches`.
        """
        from asyncrepl.windows import tally  # with the first query, not at start

        # Only the tasks still known: at the end of a run of 100,000 tasks, most are gone.
        # (Nothing is settled here: a query from another thread counts steps too.)
        known = self.by_id.keys() | self.unseen.ids()
        steps: dict[int, int] = {}
        run_time: dict[int, float] = {}
        last_end: dict[int, float] = {}
        for starts, whos, ends in stretches:
            counted = tally(whos, starts, ends)  # waits (IDLE) and callbacks are not known
            for task_id, seconds, count, last in zip(
                counted.ids, counted.total, counted.count, counted.last, strict=True
            ):
                if task_id in known:
                    run_time[task_id] = run_time.get(task_id, 0.0) + seconds
                    steps[task_id] = steps.get(task_id, 0) + count
                    last_end[task_id] = last
            # A step cut by an eager one goes on (rare): its task is ``resumed(who)``.
            goes_on = [IDLE > who != EAGER for who in whos] if min(whos, default=0) < IDLE else ()
            for start, who, end in compress(zip(starts, whos, ends, strict=True), goes_on):
                task_id = resumed(who)  # resumed() is its own inverse
                if task_id not in known:
                    continue
                run_time[task_id] = run_time.get(task_id, 0.0) + end - start
                last_end[task_id] = max(last_end.get(task_id, end), end)
        get = self.by_id.get
        for task_id, seconds in run_time.items():
            record = get(task_id)
            if record is not None:
                record.steps += steps.get(task_id, 0)
                record.run_time += seconds
                record.last_end = last_end[task_id]
            else:
                self.unseen.count(task_id, seconds, steps.get(task_id, 0), last_end[task_id])

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
        if not self.unseen.freed(task):
            self._freed_record(task)
        elif len(self.unseen.gone) > self._gone_batch():
            self._settle(only_forget=True)

    @property
    def records_by_task(self) -> dict[int, TaskRecord]:
        """The records of the live tasks that have one, by ``id(task)`` (the same dict for
        the book's life)."""
        return self._live

    @property
    def freed_note(self) -> Callable[[AnyTask], None]:
        """What each task of the book is told to call when it is freed."""
        return self._freed_note

    def _gone_batch(self) -> int:
        """How many tasks freed unseen may wait before those beyond the histories' reach are
        forgotten."""
        return GONE_BATCH + 2 * self._limit

    def _settle_some(self) -> None:
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
        gone = self.unseen.take_gone()
        if not gone:
            return
        users = [entry for entry in gone if entry[2][0] is not None]  # made at a user's line
        others = [entry for entry in gone if entry[2][0] is None]
        newest: list[Gone] = []
        for batch in (users, others):
            cut = max(0, len(batch) - self._limit)
            self.unseen.forget(batch[:cut])
            if batch is users:  # straight to their origins
                self._remember(_origins_of(batch[:cut]))
            newest += batch[cut:]
        if only_forget:
            self.unseen.put_back(newest)
            return
        for entry in newest:
            record = self.unseen.gone_record(entry)
            self.by_id[record.id] = record
            self._keep(record)

    def _note_outcome(self, record: TaskRecord, task: AnyTask) -> None:
        """How the done ``task`` ended (see :func:`how_it_ended`)."""
        ending = how_it_ended(task, record.cancel, self._labeler, record.id)
        record.state, record.result, record.outcome = ending

    @property
    def limit(self) -> int:
        """How many finished tasks are kept."""
        return self._limit

    @limit.setter
    def limit(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"finished_limit must be 0 or more, not {limit}")
        self._limit = limit
        if hasattr(self._freed_note, "batch"):  # the C note
            self._freed_note.batch = self._gone_batch()
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
        if self.unseen.gone:
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
        record.outcome = DESTROYED
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
        return len(self._live) + len(self.unseen)
