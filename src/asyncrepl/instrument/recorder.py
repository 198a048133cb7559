"""The loop recorder: for every task of one event loop, its id, name, coroutine, where and by
whom it was created, each step the loop ran (start and end), and how it ended."""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Collection
from itertools import repeat
from typing import TYPE_CHECKING, Any, NamedTuple

from asyncrepl.durations import format_duration
from asyncrepl.instrument import install
from asyncrepl.instrument.collector import CollectorPauses
from asyncrepl.instrument.ring import CALLBACK, EAGER, IDLE, merge_windows, task_of
from asyncrepl.instrument.sites import Site, site_location
from asyncrepl.instrument.suspensions import suspensions_of
from asyncrepl.instrument.tasklog import Origin, TaskBook
from asyncrepl.instrument.taskrecord import TaskRecord, live_state, named
from asyncrepl.instrument.waits import mark_cell_coroutine
from asyncrepl.instrument.watcher import LoopLog, unrecordable_reason
from asyncrepl.records import (
    FORGOTTEN,
    Location,
    LocationLabeler,
    Suspension,
    TaskInfo,
    TaskState,
    default_labeler,
)

if TYPE_CHECKING:  # the query side, loaded with the first query (see steps)
    from asyncrepl.windows import StepColumns, TaskColumns, Timeline

__all__ = ["Recorder", "TaskStats"]

log = logging.getLogger("asyncrepl")

AnyTask = asyncio.Task[Any]

#: The origin of a task that left the finished history without one: not the user's.
_UNKNOWN_ORIGIN: Origin = ("?", None, False, TaskState.DONE)


class TaskStats(NamedTuple):
    """What the recorder knows about one task (``snapshot.py`` adds the await chain).

    :param id: the recorder's small number for the task.
    :param name: ``Task.get_name()``.
    :param coro: the coroutine's qualified name.
    :param created_at: where user code created it, None when unknown or not user code.
    :param parent_id: the task that was running when it was created.
    :param created: when it was created (or first seen), on the recorder's clock.
    :param run_time: seconds its steps held the loop.
    :param steps: how many times the loop ran it.
    :param is_cell: True for the task that runs a REPL cell.
    :param cell: that cell's number, 0 otherwise.
    """

    id: int
    name: str
    coro: str
    created_at: Location | None
    parent_id: int | None
    created: float
    run_time: float
    steps: int
    is_cell: bool
    cell: int


class Recorder:
    """Records event loops: one loop it reports on (:attr:`loop`, where ``%tasks`` and the
    watchdog look), and any others it follows at the same time, each in its own thread.
    Each loop's steps go into its own ring buffer (12 bytes a step), and what a task waited
    for when woken into another (32 bytes a wait, an eighth as many); finished tasks into
    one bounded history of copies; live tasks are held weakly. Each task's run time and
    step count are added up from the rings when asked, and before a ring overwrites steps
    not yet counted.

    :param capacity: how many ring entries to keep for each loop, each a step or the loop
        waiting between rounds (the default holds at least a million steps).
    :param finished_limit: how many finished tasks to remember.
    :param clock: a monotonic clock in seconds.
    :param labeler: turns a REPL cell's filename into ``<cell 3>``.
    """

    def __init__(
        self,
        *,
        capacity: int = 1 << 21,
        finished_limit: int = 1000,
        clock: Callable[[], float] = time.perf_counter,
        labeler: LocationLabeler = default_labeler,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1 entry, not {capacity}")
        self.labeler = labeler
        self._capacity = capacity
        self._clock = clock
        #: every task recorded, live and finished, of all the loops.
        self.book = TaskBook(finished_limit, clock, labeler)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._logs: dict[asyncio.AbstractEventLoop, LoopLog] = {}  # every loop recorded
        self._lock = threading.Lock()  # loops start in several threads at once
        #: the garbage collector's long pauses while recording (they run inside steps).
        self.collector = CollectorPauses(clock)

    # -- watching ----------------------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop) -> str | None:
        """Start recording ``loop`` and report on it (leaving the loop reported on before, if
        any; the loops only followed stay followed).

        :param loop: the loop, running or not.
        :returns: None when recording, else one line saying why the loop cannot be watched.
        """
        if loop is self._loop:
            return None
        reason = unrecordable_reason(loop)
        if reason is not None:
            return reason
        if self._loop is not None:
            self._leave(self._loop)
            self._loop = None
        reason = self.follow(loop)
        if reason is None:
            self._loop = loop
        return reason

    def follow(self, loop: asyncio.AbstractEventLoop) -> str | None:
        """Record ``loop`` too, keeping the loops recorded already (a loop in another thread,
        say). Safe to call from the loop's own thread while other loops run.

        :param loop: the loop, running or not.
        :returns: None when recording, else one line saying why the loop cannot be watched.
        """
        reason = unrecordable_reason(loop)
        if reason is not None:
            return reason
        with self._lock:
            log = self._logs.get(loop)
            if log is None:
                log = self._logs[loop] = LoopLog(loop, self, self._capacity)
            reason = log.start(by_tasks=install.unwatchable_reason(loop) is not None)
        if reason is None:
            self.collector.listen()
        if reason is None and not loop.is_closed():
            for task in sorted(asyncio.all_tasks(loop), key=_creation_order):
                if self.book.record(task) is None:
                    self._first_seen(task)  # which adopts it
                else:
                    log.adopt(task)
        return reason

    def following(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether ``loop`` is being recorded now.

        :param loop: any loop.
        """
        log = self._logs.get(loop)
        return log is not None and log.watched

    def detach(self) -> None:
        """Stop recording every loop; asyncio's own loop methods come back when no other
        recorder needs them. What was recorded stays readable."""
        for loop in list(self._logs):
            self._leave(loop)
        self._loop = None
        self.collector.stop()

    def _leave(self, loop: asyncio.AbstractEventLoop) -> None:
        log = self._logs.get(loop)
        if log is None or not log.watched:
            return
        log.stop()
        log.catch_up()
        self._sweep()

    @property
    def capacity(self) -> int:
        """How many ring entries are kept for each loop (``%config AsyncREPL.recorder_steps``).
        Setting it resizes the rings now: the newest entries stay, the run time and step
        counts of tasks whose entries are dropped stay counted."""
        return self._capacity

    @capacity.setter
    def capacity(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1 entry, not {capacity}")
        self._capacity = capacity
        for log in self._all_logs():
            log.resize(capacity)

    @property
    def finished_limit(self) -> int:
        """How many finished tasks are remembered (``%config AsyncREPL.finished_tasks``).
        Lowering it forgets the oldest at once; raising it keeps more from now on."""
        return self.book.limit

    @finished_limit.setter
    def finished_limit(self, limit: int) -> None:
        self.book.limit = limit

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop being recorded, None when detached."""
        return self._loop

    def now(self) -> float:
        """The recorder's clock."""
        return self._clock()

    @property
    def clock(self) -> Callable[[], float]:
        """The clock itself, for the hot path: each step reads it, and a call through
        :meth:`now` cost a Python call more a step."""
        return self._clock

    # -- tasks -------------------------------------------------------------------------

    def task_record(self, task: AnyTask) -> TaskRecord:
        """The task's record, made when the task is seen for the first time.

        :param task: any task.
        """
        return self._ensure(task)

    def task_finished(self, task: AnyTask, name: str | None = None) -> None:
        """``task`` is done: note how it ended (once; later calls change nothing).

        :param task: a done task.
        :param name: its name, when it was named after it finished (an eager task).
        """
        self._finish(self._ensure(task), task, self._clock(), name)

    def task_id(self, task: AnyTask) -> int:
        """The task's id, stable for the recorder's life; a task seen for the first time
        gets the next one.

        :param task: any task.
        """
        return self._ensure(task).id

    def stats(self, task: AnyTask) -> TaskStats:
        """What is recorded about ``task``.

        :param task: any task; one seen for the first time gets an id.
        """
        self._catch_up()
        record = self._ensure(task)
        return TaskStats(
            id=record.id,
            name=task.get_name(),
            coro=record.coro,
            created_at=record.created_at(self.labeler),
            parent_id=record.parent_id,
            created=record.created,
            run_time=record.run_time,
            steps=record.steps,
            is_cell=record.is_cell,
            cell=record.cell,
        )

    def mark_cell_task(self, task: AnyTask, cell: int) -> None:
        """Remember that ``task`` runs REPL cell ``cell``; its waits are noted where the
        cell's own code waited, not in the shell's coroutine that runs it.

        :param task: the cell's task.
        :param cell: the cell's execution count.
        """
        record = self._ensure(task)
        record.is_cell = True
        record.cell = cell
        mark_cell_coroutine(task.get_coro())

    def suspensions(self, task: AnyTask | int) -> list[Suspension]:
        """What ``task`` waited for, and where, each time a future woke it, oldest first (a
        step that only yielded, ``await asyncio.sleep(0)``, is not a wait; the wait going on
        now is not here yet: see ``%tasks``).

        :param task: a task, or its id.
        """
        self._catch_up()
        task_id = task if isinstance(task, int) else self.task_id(task)
        waits = sorted(wait for log in self._all_logs() for wait in log.waits.of_task(task_id))
        found = [(start, task_id, where, what) for start, where, what in waits]
        return suspensions_of(self.book, self.labeler, found)

    def with_waits(self, timeline: Timeline) -> Timeline:
        """``timeline`` with what its tasks waited for before each step that woke them
        (for an export: a long window holds many).

        :param timeline: from :meth:`timeline`.
        """
        self._catch_up()
        ids = {task.id for task in timeline.tasks}
        found = sorted(
            wait
            for log in self._all_logs()
            for wait in log.waits.between(timeline.start, timeline.end)
        )
        waits = suspensions_of(self.book, self.labeler, [w for w in found if w[1] in ids])
        return dataclasses.replace(timeline, waits=tuple(waits))

    def finished(self) -> list[TaskInfo]:
        """The recently finished tasks, oldest first: at most ``finished_limit`` of the user's,
        and as many made outside the user's code (see :attr:`TaskBook.finished`)."""
        self._catch_up()
        self._sweep()
        places: dict[Site, Location] = {}
        infos = [self._finished_info(record, places) for record in self.book.all_finished()]
        return sorted(infos, key=lambda info: info.ended or 0.0)

    # -- steps -------------------------------------------------------------------------

    def steps(
        self,
        start: float | None = None,
        end: float | None = None,
        task_ids: Collection[int] | None = None,
    ) -> StepColumns:
        """The recorded steps overlapping ``[start, end]``, in time order.

        :param start: window start on the recorder's clock, None for the oldest kept.
        :param end: window end, None for now.
        :param task_ids: only the steps of these tasks (0: plain callbacks).
        """
        from asyncrepl.windows import StepColumns  # the query side: not a recording's cost

        self._catch_up()
        windows = [log.ring.window(start, end, task_ids) for log in self._all_logs()]
        windows = [window for window in windows if window.task_ids]
        if len(windows) < 2:
            return windows[0] if windows else StepColumns()
        return merge_windows(windows)

    def timeline(
        self,
        start: float | None = None,
        end: float | None = None,
        task_ids: Collection[int] | None = None,
    ) -> Timeline:
        """The tasks that ran or lived in ``[start, end]`` and their steps, for ``%timeline``.

        :param start: window start on the recorder's clock, None for the oldest step kept.
        :param end: window end, None for now.
        :param task_ids: only these tasks (and plain callbacks if 0 is among them).
        """
        self._catch_up()
        self._sweep()
        end = self._clock() if end is None else end
        steps = self.steps(start, end, task_ids)
        if start is None:
            logs = self._all_logs()
            oldest = [log.ring.oldest_start() for log in logs]
            attached = [log.attached_at for log in logs]
            start = min(x for x in (*oldest, *attached, end) if x is not None)
        places: dict[Site, Location] = {}  # many tasks share a line: label it once
        known = self._infos_between(start, end, task_ids, places)
        tasks = self._tasks_of(known, steps, places)
        notes = self._log_notes(start)
        from asyncrepl.windows import Timeline

        pauses = self.collector.between(start, end)
        return Timeline(
            start=start, end=end, tasks=tasks, steps=steps, notes=notes, collector=pauses
        )

    def _tasks_of(
        self, known: dict[int, TaskInfo], steps: StepColumns, places: dict[Site, Location]
    ) -> TaskColumns:
        """The ``known`` tasks and those of ``steps`` the recorder no longer keeps, in id
        order. Those lived from their first step to their last, as far as is known, and are
        known by their origin alone: a long run's 100,000 tasks share a few origins, so
        they share a few TaskInfos, and their own are made only when read.

        :param known: the tasks recorded, by id.
        :param steps: the window's steps.
        :param places: the labelled sites so far (filled in here).
        """
        # Each task's last step, and (only for those the recorder no longer keeps) its first.
        counted = steps.tally()
        ended: dict[int, float | None] = dict(zip(counted.ids, counted.last, strict=True))
        missing = ended.keys() - known.keys() - {CALLBACK}
        created: dict[int, float] = {}
        if missing:
            created = dict(zip(counted.ids, counted.first, strict=True))
        created.update((task_id, info.created) for task_id, info in known.items())
        ended.update((task_id, info.ended) for task_id, info in known.items())
        ids = sorted([*known, *missing])
        infos = list(known.values())
        info_at = self._shared_infos(ids, infos, places) if missing else [0] * len(ids)
        for at, task_id in enumerate(known):  # the known have their own
            info_at[bisect.bisect_left(ids, task_id)] = at
        from asyncrepl.windows import TaskColumns

        return TaskColumns(
            ids,
            list(map(created.__getitem__, ids)),
            list(map(ended.__getitem__, ids)),
            infos,
            info_at,
        )

    def _shared_infos(
        self, ids: list[int], infos: list[TaskInfo], places: dict[Site, Location]
    ) -> list[int]:
        """For each of ``ids``, the index in ``infos`` of the TaskInfo that the tasks of its
        origin share (appended to ``infos``); the caller gives the known ones their own.

        :param ids: the tasks, known or not.
        :param infos: the TaskInfos so far.
        :param places: the labelled sites so far (filled in here).
        """
        origins = list(map(self.book.forgotten.get, ids, repeat(_UNKNOWN_ORIGIN)))
        # The book keeps one object for each origin: told apart by identity, they are not
        # hashed 100,000 times (a TaskState hashes in Python).
        shared: dict[int, int] = {}
        for key, origin in dict(zip(map(id, origins), origins, strict=True)).items():
            shared[key] = len(infos)
            infos.append(self._origin_info(origin, places))
        return list(map(shared.__getitem__, map(id, origins)))

    def _origin_info(self, origin: Origin, places: dict[Site, Location]) -> TaskInfo:
        """What the tasks of one origin share, known only from their steps (see
        :class:`~asyncrepl.windows.TaskColumns`).

        :param places: the labelled sites so far (filled in here).
        """
        coro, site, is_cell, state = origin
        where = None if site is None else site_location(site, self.labeler, places)
        return TaskInfo(0, "", coro, state, created_at=where, is_cell=is_cell, outcome=FORGOTTEN)

    def _log_notes(self, start: float) -> tuple[str, ...]:
        """A line for each loop whose ring no longer holds steps from ``start`` on, and for
        each loop whose record lacks something (a loop that is not asyncio's)."""
        notes = [log.note for log in self._all_logs() if log.note is not None]
        for log in self._all_logs():
            oldest = log.ring.oldest_start()
            if log.ring.oldest > 0 and oldest is not None and oldest > start:
                notes.append(
                    f"Steps before {format_duration(oldest - start)} into this window were "
                    f"dropped: the recorder keeps the last {log.ring.capacity:,} entries of a loop "
                    "(recorder_steps)."
                )
        return tuple(notes)

    def current_step(self) -> tuple[float, AnyTask | None] | None:
        """The step running on the loop now: its start and its task (None for a plain
        callback), or None between steps. Safe to call from another thread."""
        log = self._own_log()
        if log is None or log.stage is None:
            return None
        entry = log.holding()
        if entry is None:
            return None
        start, who = entry
        if who == IDLE:
            return None
        if who == EAGER:  # an eager first step: its task is the loop's current task
            return start, asyncio.current_task(log.loop)
        task_id = task_of(who) or 0
        record = self.book.by_id.get(task_id)
        if record is not None:
            return start, record.task()
        # A task the book has not looked at yet (see TaskBook.record): the loop's own.
        current = asyncio.current_task(log.loop)
        return start, current if getattr(current, "_asyncrepl_id", None) == task_id else None

    def recording_in(self, start: float) -> tuple[float, int]:
        """How long the recorder took to record the tasks made in the step of its loop that
        began at ``start``, and how many there were (``(0.0, 0)`` for a step that made none,
        or one older than the last few that did): the watchdog tells that part of a block
        apart. Safe from another thread.

        :param start: the step's start, as :meth:`current_step` gave it.
        """
        log = self._own_log()
        return log.recording_in(start) if log is not None else (0.0, 0)

    def collector_in(self, start: float, end: float) -> float:
        """Seconds within ``[start, end]`` that Python's garbage collector paused everything
        (its pauses of a millisecond or more). Safe from another thread.

        :param start: on the recorder's clock.
        :param end: on the recorder's clock.
        """
        pauses = self.collector.between(start, end)
        return sum(min(end, stop) - max(start, begin) for begin, stop in pauses)

    def kept_waiting(self, start: float, end: float) -> bool:
        """Whether the step of the watched loop that ran from ``start`` to ``end`` kept anyone
        waiting. A step that runs a cell (its task, or the kernel's own task that runs a cell
        without an ``await``): another task of the user's alive when it ended (made before
        it or by it, and not finished); a cell that computes, or writes a file, with nothing
        else on the loop held up nobody. A step of a task of the user's in the background,
        or of a callback, held up the prompt, or the kernel between cells, besides. From the
        loop's thread.

        :param start: the step's start (a block report's ``started``).
        :param end: its end.
        """
        # The step running at ``start``: ended, or going on (a kernel reports a cell's part
        # of its step when the cell ends, and the step runs on).
        self.book.see_all()
        steps = self.steps(start, end)
        step = next((s for s in steps if s.start == start), None) or next(
            (s for s in steps if s.start < start < s.end), None
        )
        running: TaskRecord | None = None
        if step is not None:
            running = self.book.by_id.get(step.task_id) if step.task_id else None
        elif (now := self.current_step()) is not None and now[0] <= start and now[1] is not None:
            running = self.book.record(now[1])
        if running is None or (running.by_user and not running.is_cell):
            return True  # a callback, or a task of the user's in the background
        for record in list(self.book.by_id.values()):
            if record is running or not record.by_user or record.created > end:
                continue
            ended = record.end_time()
            if ended is None:  # alive, or done since and not yet noted (a task still held)
                task = record.task()
                if task is None:
                    continue
                if task.done():  # it ended with its last step (or before it ever ran)
                    ended = record.created if record.last_end is None else record.last_end
            if ended is None or ended > end:
                return True
        return False

    def _own_log(self) -> LoopLog | None:
        """The log of the loop given to :meth:`attach` (the one the watchdog watches)."""
        loop = self._loop
        return self._logs.get(loop) if loop is not None else None

    # -- inside ------------------------------------------------------------------------

    def _ensure(self, task: AnyTask) -> TaskRecord:
        return self.book.record(task) or self._first_seen(task)

    def _first_seen(self, task: AnyTask) -> TaskRecord:
        record = self.book.register(task, self._clock())
        # A task made outside create_task (``asyncio.Task(coro)``, a pure-Python task) says
        # nothing when it ends or is freed: its end is noted when it comes (else, freed before
        # a query, it read "destroyed while still pending" though it had returned).
        log = self._logs.get(task.get_loop())
        if log is not None:
            log.adopt(task)
        return record

    def _finish(
        self, record: TaskRecord, task: AnyTask, end: float, name: str | None = None
    ) -> None:
        if name is not None:
            record.name = name
        self.book.finish(record, task, end)

    def _finished_info(self, record: TaskRecord, places: dict[Site, Location]) -> TaskInfo:
        task = record.task()
        if task is not None:  # still alive: it may have been named since it ended
            named(record, task)
        if record.info is None:
            state = record.state or TaskState.DONE
            record.info = record.task_info(self.labeler, state, record.name, places)
        return record.info

    def _sweep(self) -> None:
        """Catch up at a query: tasks that finished unseen, tasks never seen yet."""
        for record, task in self.book.live():
            if task.done():
                self._finish(record, task, self._clock())
        for loop in self._watched_loops():
            if not loop.is_closed():
                for task in asyncio.all_tasks(loop):
                    self._ensure(task)

    def _watched_loops(self) -> list[asyncio.AbstractEventLoop]:
        return [log.loop for log in self._all_logs() if log.watched]

    def _all_logs(self) -> list[LoopLog]:
        return list(self._logs.values())

    def _infos_between(
        self,
        start: float,
        end: float,
        task_ids: Collection[int] | None,
        places: dict[Site, Location],
    ) -> dict[int, TaskInfo]:
        running = {asyncio.current_task(loop) for loop in self._watched_loops()}
        infos: dict[int, TaskInfo] = {}
        for record, task in self.book.live():
            if record.created <= end and (task_ids is None or record.id in task_ids):
                state = live_state(task, record, task if task in running else None)
                infos[record.id] = record.task_info(self.labeler, state, task.get_name(), places)
        for record in self.book.all_finished():
            ended = record.end_time()
            ended = end if ended is None else ended
            wanted = task_ids is None or record.id in task_ids
            if wanted and record.created <= end and ended >= start:
                infos[record.id] = self._finished_info(record, places)
        return infos

    def _catch_up(self) -> None:
        """Before a query: each loop's staged entries into its ring (when that is safe), and
        everything that has ended into the tasks' totals."""
        for log in self._all_logs():
            log.catch_up()


def _creation_order(task: AnyTask) -> tuple[int, str]:
    """Default names ``Task-N`` carry asyncio's creation counter."""
    match = re.fullmatch(r"Task-(\d+)", task.get_name())
    return (int(match.group(1)) if match else 1 << 62, task.get_name())
