"""Tasks the recorder has not been asked about yet. A task made the usual way gets no record of
its own until someone asks about it: what was noted as it was made is a plain tuple, which
the garbage collector stops tracking (100,000 live tasks with a record each, an object of 19
fields, made every full collection 24 ms longer). A query finds the live ones through the
weak set in which asyncio keeps its tasks; one freed unseen is noted in a few field reads
(freeing 100,000 at once ran 2.4 µs of Python for each when each had its record), and the
book settles those later."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from types import CodeType
from typing import Any

from asyncrepl import cparts
from asyncrepl.instrument.sites import Site
from asyncrepl.instrument.taskrecord import (
    DESTROYED,
    KEPT_RESULTS,
    NO_RESULT,
    TaskRecord,
    how_it_ended,
    new_record,
)
from asyncrepl.records import LocationLabeler, TaskState

__all__ = ["GONE_BATCH", "Gone", "Unseen", "UnseenTasks", "make_freed_note"]

#: The note of a task freed unseen in C (``_freednote.c``), where it was built (see
#: :mod:`cparts`): it notes the usual case as :meth:`UnseenTasks.freed` does, and hands the
#: rest to the book's own note.
FreedNote: Any = getattr(cparts.load("asyncrepl.instrument._freednote"), "FreedNote", None)

AnyTask = asyncio.Task[Any]

#: What is noted of a task as it is made: when it was created, where (a Site), the id of the
#: task that made it, its coroutine's code and name, and the run time, step count and last
#: step's end added up so far.
Unseen = tuple[
    float, "Site | None", "int | None", "CodeType | None", str, float, int, "float | None"
]
#: What the tasks made at one place by one parent share: where (a Site), the parent's id, the
#: coroutine's code and name; one tuple for all of them.
Birth = tuple["Site | None", "int | None", "CodeType | None", str]
#: Steps counted for an unseen task: its run time, how many, when the last ended.
Counted = tuple[float, int, "float | None"]
_NOTHING_COUNTED: Counted = (0.0, 0, None)
#: What is noted of a task freed unseen: its id, when it was created, its Birth, the steps
#: counted for it so far, when it was freed, its name, how it ended, and what it returned (a
#: plain number or None, else NO_RESULT and the words, as a record keeps them). Nothing the
#: task held is kept alive: not a large result, not an exception and its frames.
Gone = tuple[int, float, Birth, Counted, float, str, TaskState, object, str]
#: Freed unseen tasks noted beyond what the histories keep before the book forgets the oldest
#: (those the histories would drop anyway: a burst of 100,000 makes records for the last few).
GONE_BATCH = 4096
#: The weak set in which asyncio keeps every task the Task constructor made, done or not,
#: until it is freed (3.11: ``_all_tasks``; 3.12, 3.13: ``_scheduled_tasks``). 3.14 keeps C
#: tasks elsewhere: where the first task is not found in it, every task gets its record.
_REGISTRY: Any = getattr(asyncio.tasks, "_all_tasks", None)  # an empty set is false: no `or`
if _REGISTRY is None:
    _REGISTRY = getattr(asyncio.tasks, "_scheduled_tasks", None)


class _Vanished:
    """What the record of a task freed unseen refers to: nothing, once made (a record is a
    weak reference, and the task is gone)."""


class UnseenTasks:
    """The tasks of one book that no one has asked about yet, alive (:attr:`created` and
    :attr:`births`, by task id) and freed (:attr:`gone`, in the order they were freed, until
    the book settles them).

    :param clock: the recorder's clock, for when a task was freed.
    :param labeler: turns a cell's filename into ``<cell 3>`` (for how a task ended).
    """

    def __init__(self, clock: Callable[[], float], labeler: LocationLabeler) -> None:
        self._clock = clock
        self._labeler = labeler
        #: The live unseen, by id: when each was made, and its birth (no object for each
        #: task: a new tuple for each made the collector run 148 more young collections, and
        #: one more full one, in a run of 100,000 tasks).
        self.created: dict[int, float] = {}
        self.births: dict[int, Birth] = {}
        #: (``_tasknote.c`` reads and writes it, and ``_registry_works``, by name)
        self._last_birth: Birth = (None, None, None, "")
        #: steps counted for the live unseen since they were made
        self._counted: dict[int, Counted] = {}
        self.gone: list[Gone] = []
        #: steps counted for the gone since they were noted: ``(run time, steps, last end)``
        self._gone_totals: dict[int, tuple[float, int, float]] = {}
        #: Whether asyncio's registry holds our tasks (checked with the first one).
        self._registry_works: bool | None = None if _REGISTRY is not None else False

    def add(
        self,
        task: AnyTask,
        task_id: int,
        created: float,
        site: Site | None,
        parent_id: int | None,
        code: CodeType | None,
        name: str,
    ) -> bool:
        """Keep a new task unseen. False where asyncio's registry does not hold our tasks:
        the task then needs its record now.

        :param task: the new task.
        :param task_id: its id.
        """
        if self._registry_works or (self._registry_works is None and self._check(task)):
            birth = self._last_birth  # usually the last task's: made on the same line
            last_site, last_parent, last_code, last_name = birth
            if (
                last_site is not site
                or last_code is not code
                or last_parent != parent_id
                or last_name != name
            ):
                birth = self._last_birth = (site, parent_id, code, name)
            self.created[task_id] = created
            self.births[task_id] = birth
            return True
        return False

    def _pop(self, task_id: int) -> Unseen | None:
        """What was noted of the live unseen task ``task_id``, which is not unseen any more."""
        created = self.created.pop(task_id, None)
        if created is None:
            return None
        site, parent_id, code, name = self.births.pop(task_id)
        run_time, steps, last_end = self._counted.pop(task_id, _NOTHING_COUNTED)
        return created, site, parent_id, code, name, run_time, steps, last_end

    def _check(self, task: AnyTask) -> bool:
        try:
            self._registry_works = task in _REGISTRY
        except Exception:
            self._registry_works = False
        return self._registry_works

    def take(self, task: AnyTask) -> TaskRecord | None:
        """The record of ``task`` if it was unseen (it is not any more), else None."""
        unseen = self._pop(getattr(task, "_asyncrepl_id", 0))
        return None if unseen is None else _record(task, unseen)

    def take_alive(self) -> Iterator[TaskRecord]:
        """The records of the unseen tasks still alive (asyncio's registry holds them, done
        or not), which are not unseen any more."""
        if not self.created:
            return
        for task in _registry_tasks():
            unseen = self._pop(getattr(task, "_asyncrepl_id", 0))
            if unseen is not None:
                yield _record(task, unseen)
                if not self.created:
                    return

    def freed(self, task: AnyTask) -> bool:
        """Note how ``task``, being freed, ended, if it was unseen (else False).

        :param task: an asyncrepl task, still readable.
        """
        task_id: int = task._asyncrepl_id  # type: ignore[attr-defined]
        created = self.created.pop(task_id, None)  # (not _pop: 100,000 are freed at once)
        if created is None:
            return False
        birth = self.births.pop(task_id)
        counted = (
            self._counted.pop(task_id, _NOTHING_COUNTED) if self._counted else _NOTHING_COUNTED
        )
        if task.done():
            state, result, words = how_it_ended(task, None, self._labeler, task_id)
        else:
            state, result, words = TaskState.CANCELLED, NO_RESULT, DESTROYED
        name = task.get_name()
        self.gone.append(
            (task_id, created, birth, counted, self._clock(), name, state, result, words)
        )
        return True

    def ids(self) -> set[int]:
        """The ids of the unseen, alive or gone."""
        return self.created.keys() | {entry[0] for entry in list(self.gone)}

    def count(self, task_id: int, seconds: float, steps: int, last_end: float) -> None:
        """Add counted steps to an unseen task, alive or gone (else do nothing).

        :param task_id: the task.
        :param seconds: their run time.
        :param steps: how many.
        :param last_end: when the last of them ended.
        """
        if task_id in self.created:
            was = self._counted.get(task_id, _NOTHING_COUNTED)
            self._counted[task_id] = (was[0] + seconds, was[1] + steps, last_end)
            return
        before = self._gone_totals.get(task_id, (0.0, 0, 0.0))
        self._gone_totals[task_id] = (before[0] + seconds, before[1] + steps, last_end)

    def take_gone(self) -> list[Gone]:
        """The gone, to be settled (:meth:`put_back` those that are not yet)."""
        gone, self.gone = self.gone, []
        return gone

    def put_back(self, gone: list[Gone]) -> None:
        """Gone taken out and not settled: before any noted meanwhile (freed in another
        thread)."""
        self.gone[0:0] = gone

    def forget(self, gone: Iterable[Gone]) -> None:
        """Gone that leave no record: drop the steps counted for them."""
        totals = self._gone_totals
        if totals:  # usually none: steps are counted at a query
            for entry in gone:
                totals.pop(entry[0], None)

    def gone_record(self, gone: Gone) -> TaskRecord:
        """The record of a task freed unseen (its weak reference refers to nothing)."""
        task_id, created, birth, counted, ended, name, state, result, words = gone
        more = self._gone_totals.pop(task_id, None)
        if more is not None:  # steps counted after it was freed
            counted = (counted[0] + more[0], counted[1] + more[1], more[2])
        record = _record(_Vanished(), (created, *birth, *counted), task_id)
        record.ended, record.name = ended, name
        record.state, record.result, record.outcome = state, result, words
        return record

    def __len__(self) -> int:
        return len(self.created)


def make_freed_note(
    unseen: UnseenTasks,
    note: Callable[[AnyTask], None],
    settle: Callable[[], None],
    batch: int,
) -> Callable[[AnyTask], None]:
    """What a task of the book is told to call when it is freed: ``note``, the book's own (which
    calls :meth:`UnseenTasks.freed`), or where the C note was built, that note, which does what
    ``note`` does for a task freed unseen that returned a plain value (100,000 tasks freed at
    once: 1.3 µs a task in Python) and calls ``note`` for any other.

    :param unseen: the book's unseen tasks.
    :param note: the book's note.
    :param settle: settles the tasks freed unseen beyond what the histories keep.
    :param batch: how many tasks freed unseen may wait before ``settle`` is called; the C
        note's ``batch`` attribute changes it.
    """
    if FreedNote is None:
        return note
    return FreedNote(  # type: ignore[no-any-return]
        unseen, unseen._clock, KEPT_RESULTS, TaskState.DONE, _NOTHING_COUNTED, note, settle, batch
    )


def _record(task: Any, unseen: Unseen, task_id: int | None = None) -> TaskRecord:
    """A record of ``task`` from what was noted of it."""
    created, site, parent_id, code, coro, run_time, steps, last_end = unseen
    task_id = task._asyncrepl_id if task_id is None else task_id
    record = new_record(task, task_id, coro, created, site, parent_id)
    record.code, record.run_time = code, run_time
    record.steps, record.last_end = steps, last_end
    return record


def _registry_tasks() -> list[AnyTask]:
    """A copy of asyncio's registry of tasks, taken as ``asyncio.all_tasks`` takes it
    (another thread may change the weak set while it is copied)."""
    for _ in range(1000):
        try:
            return list(_REGISTRY)
        except RuntimeError:
            continue
    return []
