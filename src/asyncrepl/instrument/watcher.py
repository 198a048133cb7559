"""One watched loop's record, as the recorder keeps it: the loop's own ring of entries and
of waits (an entry lasts until the next one of the same loop starts, so loops running at
once in several threads each need their own), its stage in the loop's recording round, and
task-factory calls turned into creation notes and, for eager tasks (3.12+), into the first
step that ran inside ``create_task``. It reaches the recorder only through
:class:`RecorderSide`, the recorder's public methods."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from asyncrepl import cparts
from asyncrepl.instrument import corosteps, install
from asyncrepl.instrument.ring import CALLBACK, EAGER, IDLE, StepRing, resumed, task_of
from asyncrepl.instrument.rounds import Stage
from asyncrepl.instrument.sites import Site, user_site, user_site_tables
from asyncrepl.instrument.tasklog import TaskBook
from asyncrepl.instrument.taskrecord import TaskRecord, coro_name
from asyncrepl.instrument.tasks import Task, next_task_id
from asyncrepl.instrument.waits import WaitLog

#: The note of a new task in C (``_tasknote.c``), where it was built (see :mod:`cparts`): it
#: notes the usual case as :meth:`LoopLog.task_made` does, and hands the rest to it. It reads
#: and writes these LoopLog fields by name: ``_held``, ``stage``, ``ring``, ``cut``.
TaskNote: Any = getattr(cparts.load("asyncrepl.instrument._tasknote"), "TaskNote", None)

__all__ = ["WAITS_SHARE", "LoopLog", "RecorderSide", "unrecordable_reason"]

log = logging.getLogger("asyncrepl")

AnyTask = asyncio.Task[Any]
#: How many of the last steps that made tasks keep what recording those took.
_OWN_STEPS = 8
_NO_OWN = (0.0, 0)
#: The ring of waits holds this many times fewer than the ring of entries (a wait takes at
#: least the callback that wakes the task and the step it wakes, and a round's end).
WAITS_SHARE = 8
#: From ``task_creating`` to ``task_created``: where the eager entry was staged (-1: none)
#: and who was running when ``create_task`` was called.
_Token = tuple[int, int]
_NO_TOKEN: _Token = (-1, IDLE)


class RecorderSide(Protocol):
    """What a loop's log needs from its recorder (``Recorder`` has these, public)."""

    #: every task the recorder knows, shared by its loops' logs.
    book: TaskBook

    def now(self) -> float:
        """The recorder's clock."""
        ...

    @property
    def clock(self) -> Callable[[], float]:
        """The clock itself (what :meth:`now` calls), for the recording round."""
        ...

    def task_id(self, task: AnyTask) -> int:
        """The task's id (a task seen for the first time gets one)."""
        ...

    def task_record(self, task: AnyTask) -> TaskRecord:
        """The task's record (made when it is seen for the first time)."""
        ...

    def task_finished(self, task: AnyTask, name: str | None = None) -> None:
        """``task`` is done: note how it ended (``name`` if it was named after that)."""
        ...


def _ran_eagerly(task: AnyTask) -> bool:
    """Whether the task's first step already ran inside ``create_task`` (3.12+ eager)."""
    if task.done():
        return True
    coro = task.get_coro()
    return bool(getattr(coro, "cr_suspended", False) or getattr(coro, "gi_suspended", False))


class LoopLog:
    """What one recorder recorded of one loop, and its hooks in the loop while watched.

    :param loop: the loop.
    :param side: the recorder.
    :param capacity: how many ring entries to keep at most.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, side: RecorderSide, capacity: int) -> None:
        self.loop = loop
        self.side = side
        self.ring = StepRing(capacity)
        self.waits = WaitLog(max(1, capacity // WAITS_SHARE))
        self.stage: Stage | None = None
        self.counted = 0  # ring entries before this one are in their tasks' totals
        self.attached_at = side.now()
        # Ring entries come from the loop's thread; a query from another thread counts them
        # too: one at a time.
        self.lock = threading.Lock()
        #: True when the loop's tasks time their own steps (a loop that is not asyncio's).
        self.by_tasks = False
        #: What recording the tasks made in each of the last steps that made tasks took:
        #: the step's start -> ``(seconds, tasks)``, one tuple so that another thread reads
        #: the two together. Several steps: the watchdog asks once a block has ended, and
        #: the next step may have made tasks by then (the REPL's prompt is a task).
        self.own: dict[float | None, tuple[float, int]] = {}
        #: The entry of the step that called ``create_task`` for a task that may start
        #: eagerly: its own first step and the entry that resumes the step after it belong
        #: to that step (see :meth:`holding`).
        self.cut: tuple[float, int] | None = None
        #: The entries staged and in the ring when the holding step was last looked up,
        #: and its start (see :meth:`_holding_start`).
        self._held: tuple[int, int, float | None] = (-2, -1, None)
        self._now = side.clock  # the clock itself: each task made reads it twice

    # -- watching ----------------------------------------------------------------------

    def start(self, *, by_tasks: bool = False) -> str | None:
        """Start recording the loop: through its round (:mod:`install`), or, ``by_tasks``,
        through its task factory (:mod:`corosteps`, for a loop that is not asyncio's).

        :param by_tasks: use the task factory.
        :returns: None when recording, else why not, in one line.
        """
        self.by_tasks = by_tasks
        if by_tasks:
            corosteps.watch(self.loop, self.link(self.loop), self._made_here)
            return None
        return install.watch(self.loop, self)

    def stop(self) -> None:
        """Stop recording the loop (what was recorded stays)."""
        if self.by_tasks:
            corosteps.unwatch(self.loop)
            self.unlink()
        else:
            install.unwatch(self.loop, self)

    @property
    def note(self) -> str | None:
        """What this log cannot hold, in one line, or None."""
        if not self.by_tasks:
            return None
        kind = type(self.loop)
        return corosteps.MISSING.format(kind=f"{kind.__module__}.{kind.__qualname__}")

    def link(self, loop: asyncio.AbstractEventLoop) -> Stage:
        if self.stage is None or not self.stage.open:
            side = self.side
            self.stage = Stage(side.clock, side.task_id, self.store, self.fail)
        return self.stage

    def unlink(self) -> None:
        if self.stage is not None:
            self.stage.flush()
            self.stage.open = False

    @property
    def watched(self) -> bool:
        """Whether the loop is still watched for this log."""
        if self.by_tasks:
            return corosteps.watching(self.loop)
        return self in install.watchers_of(self.loop)

    def fail(self) -> None:
        """Our own bug in the hot path: log it once and stop recording this loop; the loop
        goes on."""
        if not self.watched:
            return  # already switched off
        log.exception("asyncrepl: the loop recorder failed and is switched off")
        if self.stage is not None:  # what this round staged may be half-written: drop it
            self.stage.clear()
        self.stop()

    # -- the rings ---------------------------------------------------------------------

    def store(self, starts: list[float], whos: list[int], waits: list[float | int]) -> None:
        """Move the round's staged entries and waits to the rings (and empty the lists),
        counting the entries they will overwrite into their tasks' totals first."""
        with self.lock:
            ring = self.ring
            if waits:
                self.waits.extend(waits)
                waits.clear()
            if not starts:
                return
            chunk = max(1, ring.capacity // 2)
            for at in range(0, len(starts), chunk):  # once, unless the ring is small
                part_starts, part_whos = starts, whos
                if len(starts) > chunk:
                    part_starts, part_whos = starts[at : at + chunk], whos[at : at + chunk]
                self._count(ring.written + len(part_starts) - ring.capacity, part_starts[0])
                ring.extend(part_starts, part_whos)
            starts.clear()
            whos.clear()

    def resize(self, capacity: int) -> None:
        """Keep at most ``capacity`` ring entries from now on (the newest stay; those dropped
        are counted into their tasks' totals first).

        :param capacity: ring entries; the ring of waits takes an eighth of it.
        """
        with self.lock:
            self._count(self.ring.written - capacity)
            self.ring = self.ring.resized(capacity)
            self.waits = self.waits.resized(max(1, capacity // WAITS_SHARE))

    def _count(self, upto: int, next_start: float | None = None) -> None:
        """Add ring entries up to ``upto`` (exclusive) to their tasks' totals. The newest
        entry ends where ``next_start`` (the next entry, not in the ring yet) begins."""
        ring, book = self.ring, self.side.book
        lo, last = max(self.counted, ring.oldest), ring.written - 1
        hi = min(upto, last)
        if lo < hi:
            book.add_steps(ring.stretches(lo, hi))
            self.counted = hi
        if upto > last >= max(lo, self.counted) and next_start is not None:
            start, who = ring.at(last)
            book.add_steps([([start], [who], [next_start])])
            self.counted = last + 1

    def catch_up(self) -> None:
        """Before a query: staged entries into the ring (on the loop's own thread, or while
        it stands still), then everything that has ended into the tasks' totals."""
        stage, loop = self.stage, self.loop
        if stage is not None and stage.whos:
            owner = getattr(loop, "_thread_id", None)
            if not loop.is_running() or owner == threading.get_ident():
                stage.flush()
        with self.lock:
            self._count(self.ring.written - 1)

    def newest(self) -> tuple[float, int] | None:
        """The newest entry, staged or in the ring; safe from another thread."""
        stage = self.stage
        if stage is not None:
            count = len(stage.whos)  # the round appends the start first, then who
            if count:
                try:
                    return stage.starts[count - 1], stage.whos[count - 1]
                except IndexError:  # just moved to the ring
                    pass
        return self.ring.last()

    def holding(self) -> tuple[float, int] | None:
        """The entry of the step that holds the loop now, as a block is seen: the newest, but
        while a task's eager first step runs inside ``create_task`` (its entry staged, or
        taken back when the task does not start eagerly), and once the step that called
        ``create_task`` resumes, the entry of that step. Read from another thread, the
        staged and resumed entries looked like new steps: a cell that started 100,000 eager
        tasks held the loop for 2.6 s and was reported as blocked for 0.12 s."""
        newest = self.newest()
        if newest is None:
            return None
        # An eager entry or a resumed one is newest only inside the step that called
        # create_task (the round's next step or its end comes after it): that step is cut.
        cut = self.cut
        return cut if cut is not None and newest[1] < IDLE else newest

    # -- task-factory hooks ------------------------------------------------------------

    def task_creating(self) -> object:
        if self.stage is None or not self.stage.open:
            return None
        newest = self.newest()
        running = newest[1] if newest is not None else IDLE
        if running >= CALLBACK:  # a step of its own (not one that an eager step cut)
            self.cut = newest
            current = asyncio.current_task(self.loop)
            if current is not None:  # its record, for current_step() from another thread
                self.side.task_record(current)
        if running == EAGER:  # inside another eager first step: that task runs
            current = asyncio.current_task(self.loop)
            running = self.side.task_id(current) if current is not None else CALLBACK
        self.stage.starts.append(self.side.now())
        self.stage.whos.append(EAGER)  # if the task starts eagerly, this is its step
        return (len(self.stage.whos) - 1, running)

    def task_created(
        self,
        task: AnyTask | None,
        token: object,
        coro: object = None,
        parent: AnyTask | None = None,
        where: Site | None = None,
        name: str | None = None,
    ) -> None:
        began = self.side.now()
        self._task_created(task, token, coro, parent, where, name, began)
        if task is not None:
            self._count_own(began)

    def _task_created(
        self,
        task: AnyTask | None,
        token: object,
        coro: object,
        parent: AnyTask | None,
        where: Site | None,
        name: str | None,
        t0: float,
    ) -> None:
        if token is None and task is not None:  # the usual case: no eager first step
            self._note_created(task, coro, parent, where, t0)
            return
        at, running = token if isinstance(token, tuple) else _NO_TOKEN
        if task is None:
            self._resume(at, running, eager_id=None)
            return
        eager = at >= 0 and _ran_eagerly(task)
        if eager and self._staged(at):
            assert self.stage is not None
            t0 = self.stage.starts[at]
        record = self._note_created(task, coro, parent, where, t0)
        self._resume(at, running, eager_id=record.id if eager else None)
        if eager and task.done():
            # Noted now, in the order tasks end (the finished history keeps the newest). The
            # name create_task gives it afterwards: ours takes it when freed or shown; another
            # factory's task says nothing when freed, so its name is found now (``name``).
            self.side.task_finished(task, name)

    def _note_created(
        self, task: AnyTask, coro: object, parent: AnyTask | None, where: Site | None, t0: float
    ) -> TaskRecord:
        side = self.side
        book = side.book
        parent_id = None
        if parent is not None:
            parent_id = (book.record(parent) or side.task_record(parent)).id
        record = book.record(task)
        if record is None:
            record = book.register(task, t0, coro_name(coro), where, parent_id)
        else:  # already seen (asked about during its eager first step)
            record.site, record.parent_id, record.created = where, parent_id, t0
        if type(task) is not Task and not task.done():
            # A user's factory made it: no note comes when it is freed, so one when it ends
            # (else it would be taken for destroyed, unnamed, when it is collected).
            task.add_done_callback(self._ended)
        return record

    def made_note(self) -> Callable[[Task, object, AnyTask | None, FrameType], None]:
        """What create_task's short path calls for each new task: :meth:`task_made`, or
        where it was built, its C twin (a step that starts 100,000 tasks spent 1.8 µs a task
        here in Python), which hands it every case but the usual one."""
        if TaskNote is None:
            return self.task_made
        book = self.side.book
        kinds, boundaries, last_site = user_site_tables()
        return TaskNote(  # type: ignore[no-any-return]
            self,
            self.task_made,
            self._count_own,
            self._holding_start,
            self._now,
            self.own,
            book.records_by_task,
            book.unseen,
            book.unseen.created,
            book.unseen.births,
            book.freed_note,
            next_task_id,
            kinds,
            boundaries,
            last_site,
        )

    def task_made(
        self, task: Task, coro: object, parent: AnyTask | None, caller: FrameType
    ) -> None:
        """The short path of :meth:`task_created`, for a new asyncrepl task made by
        asyncio's own create_task while this is the loop's only watcher. Timed: a step that
        starts 100,000 tasks spends half its time here (and in the collector walking the
        records), which a block report must not put down to the user's code."""
        now = self._now
        began = now()
        self._add_new(task, coro, parent, user_site(caller), began)
        self._count_own(began, now() - began)

    def _count_own(self, began: float, took: float | None = None) -> None:
        """Add the time since ``began`` (``took``, when measured) to what recording the
        tasks of this step took, the step that holds the loop (one that started tasks
        eagerly included)."""
        if took is None:
            took = self.side.now() - began
        step = self._holding_start()
        own = self.own
        seconds, tasks = own.get(step, _NO_OWN)
        own[step] = (seconds + took, tasks + 1)
        if not tasks and len(own) > _OWN_STEPS:  # a step's first task: forget the oldest
            del own[next(iter(own))]

    def _holding_start(self) -> float | None:
        """The start of the step that holds the loop (see :meth:`holding`), looked up again
        only when an entry has been staged or moved since: a step that makes 100,000 tasks
        asks once for each."""
        stage = self.stage
        staged = len(stage.whos) if stage is not None else -1
        if staged != self._held[0] or self.ring.written != self._held[1] or self.cut is not None:
            holding = self.holding()
            self._held = staged, self.ring.written, holding[0] if holding is not None else None
        return self._held[2]

    def recording_in(self, start: float) -> tuple[float, int]:
        """How long recording the tasks made in the step that began at ``start`` took, and
        how many there were; ``(0.0, 0)`` for a step that made none, or one older than the
        last few that did (the watchdog asks as soon as a block ends, or while it lasts).
        Safe from another thread.

        :param start: a step's start, on the recorder's clock.
        """
        return self.own.get(start, _NO_OWN)

    def _add_new(
        self, task: Task, coro: object, parent: AnyTask | None, where: Site | None, at: float
    ) -> None:
        side = self.side
        book = side.book
        parent_id = None
        if parent is not None:
            parent_id = (book.record(parent) or side.task_record(parent)).id
        book.add_new(task, coro, at, where, parent_id)

    def _made_here(
        self, task: AnyTask, coro: object, parent: AnyTask | None, where: Site | None
    ) -> int:
        """A task made by the loop's task factory (:mod:`corosteps`): its id."""
        if type(task) is Task and self.side.book.record(task) is None:
            self._add_new(task, coro, parent, where, self.side.now())
            return task._asyncrepl_id
        record = self._note_created(task, coro, parent, where, self.side.now())
        return record.id

    def adopt(self, task: AnyTask) -> None:
        """``task`` was there before the loop was recorded: if it is not asyncrepl's, note
        its name and outcome when it ends (from the loop's thread, or while it stands still).

        :param task: a task of the loop.
        """
        owner = getattr(self.loop, "_thread_id", None)
        safe = not self.loop.is_running() or owner == threading.get_ident()
        if safe and type(task) is not Task and not task.done():
            task.add_done_callback(self._ended)

    def _ended(self, task: AnyTask) -> None:
        """A done callback on a task that is not asyncrepl's: note its name and outcome."""
        self.side.task_finished(task)

    def _staged(self, at: int) -> bool:
        """Whether our eager entry is still staged at ``at`` (not moved to the ring)."""
        stage = self.stage
        return stage is not None and at < len(stage.whos) and stage.whos[at] == EAGER

    def _resume(self, at: int, running: int, eager_id: int | None) -> None:
        """After ``create_task``: name the eager step's task (or drop the entry), and let the
        step that called ``create_task`` go on."""
        if at < 0 or self.stage is None:
            return
        whos = self.stage.whos
        staged = self._staged(at)
        if staged and eager_id is None and at == len(whos) - 1:  # nothing ran: take it back
            del whos[at], self.stage.starts[at]
            return
        task_id = task_of(running)
        self.stage.starts.append(self.side.now())
        whos.append(IDLE if task_id is None else resumed(task_id))
        # Named only now, with the resumed entry after it: named first, it was the newest
        # entry for a moment, and another thread took it for a new step (a block of 2.5 s
        # that started 100,000 eager tasks was reported in parts).
        if staged:
            whos[at] = eager_id if eager_id is not None else CALLBACK

    def task_cancelling(
        self, task: AnyTask, by: AnyTask | None, where: Site | None, msg: Any
    ) -> None:
        side = self.side
        by_id = side.task_id(by) if by is not None else None
        by_name = by.get_name() if by is not None else None
        side.task_record(task).cancel = (by_id, by_name, where, msg)


def unrecordable_reason(loop: asyncio.AbstractEventLoop) -> str | None:
    """Why ``loop`` cannot be recorded at all, in one line, or None: a loop whose round
    cannot be watched is still recorded through its tasks, if it takes a task factory.

    :param loop: any loop.
    """
    reason = install.unwatchable_reason(loop)
    if reason is None or (
        isinstance(loop, asyncio.AbstractEventLoop) and corosteps.can_watch(loop)
    ):
        return None
    return reason
