"""The watchdog thread: notices a loop step that runs longer than the threshold, samples the
loop thread's stack while it is stuck, and reports the block once when it ends."""

from __future__ import annotations

import asyncio
import collections
import logging
import sys
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, Protocol

from asyncrepl.records import BlockReport, LocationLabeler, Step, default_labeler
from asyncrepl.watchdog.frames import (
    FrameFacts,
    UserFiles,
    frame_facts,
    repl_work,
    snapshot,
    user_frame,
)
from asyncrepl.watchdog.reports import summarise

__all__ = ["BlockSource", "Watchdog"]

log = logging.getLogger("asyncrepl")

#: Calls that wait for the person to type a line after their prompt.
_READS_THE_KEYBOARD = frozenset({"builtins.input", "getpass.getpass"})


class BlockSource(Protocol):
    """What the watchdog needs from the recorder (``asyncrepl.instrument.recorder.Recorder``).

    ``current_step`` must be readable from another thread without locks: the start time of
    the step running on the loop now and its task, or None between steps. A source may also
    have ``steps(start, end)`` (the exact end of a step), ``recording_in(start)`` (what
    recording the tasks a step made took, in seconds, and how many: not the user's time)
    and ``collector_in(start, end)`` (the garbage collector's pauses in seconds: no line's).
    """

    def current_step(self) -> tuple[float, asyncio.Task[Any] | None] | None: ...

    def now(self) -> float: ...


@dataclass(eq=False, repr=False)  # state, told apart by identity (see session.Session)
class _Block:
    """The step the loop is stuck in, and what the samples saw so far."""

    start: float
    task_name: str | None
    last_seen: float
    #: Seconds of the block each sample stands for (the time since the look before it).
    counts: dict[FrameFacts, float] = field(default_factory=dict)
    #: Seconds all the samples stand for, the user's and the others.
    sampled: float = 0.0
    last: FrameFacts | None = None
    noted: bool = False
    #: What recording the tasks the step made had taken when a part of it was last reported
    #: (seconds, tasks): the next part counts only what came after.
    recorded: tuple[float, int] = (0.0, 0)
    #: Where what is not reported yet begins: the step's start, or the moment
    #: :meth:`Watchdog.settle` reported the block so far while its step went on.
    begins: float = -1.0

    def __post_init__(self) -> None:
        if self.begins < 0:
            self.begins = self.start

    def users(self) -> bool:
        """Whether the user's code ran for most of the sampled time: only then is the
        block theirs to fix (not IPython's, an import's, or asyncrepl's own work)."""
        return bool(self.counts) and sum(self.counts.values()) * 2 >= self.sampled


class Watchdog:
    """Watches a loop through a :class:`BlockSource` from a daemon thread.

    When one step holds the loop longer than ``threshold`` seconds, it samples the loop
    thread's stack (``sys._current_frames()``) every ``sample_interval`` while the step lasts,
    and when the step ends calls ``on_report`` once with a :class:`~asyncrepl.records.BlockReport`
    naming the user's line and call. A block still going on after ``still_blocked_after``
    seconds gets one interim report with ``still_blocked=True``.

    A report that a learner cannot act on is worse than none, so a block is reported only
    when a frame of the user's code (a cell, a file of theirs) was running for most of the
    sampled time, and not inside the REPL's own work: a call of ``repl_entries`` (IPython's
    magics: ``%timeit`` runs the user's code a million times on purpose) or the import
    machinery (see :func:`~asyncrepl.watchdog.frames.repl_work`). A block of IPython formatting
    its first traceback, of the first Tab completion, or of a plain callback into library
    code is not reported and not kept.

    ``on_report`` is called **from the watchdog thread** (so that the interim note can be
    delivered while the loop is stuck): it must be quick and thread-safe, e.g. print above
    the prompt or hand the report to the loop with ``call_soon_threadsafe``. If it raises, it
    is logged once and not called again; :meth:`reports` keeps working.

    :param source: the recorder, or anything with ``current_step()`` and ``now()``.
    :param threshold: seconds a step may hold the loop before it counts as a block.
    :param still_blocked_after: seconds after which a block gets its one interim note;
        None for no note.
    :param poll_interval: seconds between looks while the loop is healthy
        (default ``threshold / 4``).
    :param sample_interval: seconds between stack samples during a block
        (default ``threshold / 5``, at most 10 ms).
    :param on_report: receives each report (see above), or None to only keep them.
    :param labeler: turns cell filenames into ``<cell 3>``.
    :param history: how many final reports :meth:`reports` keeps.
    :param quiet_repeats: seconds during which another block of the same task at the same
        line and call is kept (in :meth:`reports`) but not passed to ``on_report`` again: a
        coroutine that blocks in a loop gets one report, not a storm.
    :param repl_entries: code objects of the REPL's own work (``run_line_magic``): a sample
        with one of them anywhere on the stack is not the user's.
    :param on_stuck: called from the watchdog's thread with the step's task (None for a
        plain callback) when a block of the user's code is first seen, and with
        ``(None, False)`` when it ends: the shell lets Ctrl-C through meanwhile.
    """

    def __init__(
        self,
        source: BlockSource,
        *,
        threshold: float = 0.1,
        still_blocked_after: float | None = 1.0,
        poll_interval: float | None = None,
        sample_interval: float | None = None,
        on_report: Callable[[BlockReport], None] | None = None,
        labeler: LocationLabeler = default_labeler,
        history: int = 1000,
        quiet_repeats: float = 10.0,
        repl_entries: Collection[CodeType] = (),
        on_stuck: Callable[[asyncio.Task[Any] | None, bool], None] | None = None,
    ) -> None:
        if not threshold > 0:
            raise ValueError(f"threshold must be a positive number of seconds, not {threshold!r}")
        self.source = source
        self.threshold = threshold
        self.still_blocked_after = still_blocked_after
        self.poll_interval = poll_interval or threshold / 4
        self.sample_interval = sample_interval or min(threshold / 5, 0.01)
        self.on_report = on_report
        self.quiet_repeats = quiet_repeats
        self.repl_entries = frozenset(repl_entries)
        self.on_stuck = on_stuck
        #: ``threading.get_ident()`` of the loop's thread: set by :meth:`start`, or by a
        #: caller that drives :meth:`look` itself.
        self.loop_thread_id = 0
        self._delivered: dict[tuple[object, ...], float] = {}
        self._user = UserFiles(labeler)
        self._reports: collections.deque[BlockReport] = collections.deque(maxlen=history)
        self._lock = threading.Lock()
        #: one look at a time: the thread's, or :meth:`settle` from the loop's thread
        self._looking = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stuck = False
        self._block: _Block | None = None
        self._facts: dict[tuple[object, ...], FrameFacts] = {}
        self._failed = False
        self._gil_wait = sys.getswitchinterval() / 2
        self._waited = 0.0
        self._starved = False
        self._looked: float | None = None
        self._interval = self.poll_interval

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, loop_thread_id: int) -> None:
        """Start watching; the loop runs in the thread ``loop_thread_id``.

        :param loop_thread_id: ``threading.get_ident()`` of the loop's thread.
        """
        if self.running:
            raise RuntimeError("the watchdog is already running")
        self.loop_thread_id = loop_thread_id
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="asyncrepl-watchdog", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop watching and wait for the thread to end. A block whose step has ended is
        reported first; one still in progress (the loop stuck right now) is dropped.

        :param timeout: seconds to wait for the thread.
        """
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None

    def reports(self, start: float | None = None, end: float | None = None) -> list[BlockReport]:
        """Final reports of blocks that overlap ``[start, end]`` (the source's clock), oldest
        first: what ``Timeline.blocks`` holds.

        :param start: the window's start, None for no bound.
        :param end: the window's end, None for no bound.
        """
        with self._lock:
            found = list(self._reports)
        return [
            report
            for report in found
            if (end is None or report.started <= end)
            and (start is None or report.started + report.duration >= start)
        ]

    def look(self, waited: float | None = None) -> float:
        """One look at the loop: what the watchdog's thread does each interval. Returns the
        seconds until the next look.

        :param waited: seconds since the previous look, as the thread measured its own wait;
            None takes them from the source's clock (``source.now()``), so that a test can
            drive the watchdog on a clock of its own while the loop's thread
            (:attr:`loop_thread_id`) sits at a known line.
        """
        with self._looking:
            return self._look(waited)

    def _look(self, waited: float | None) -> float:
        step = self.source.current_step()
        now = self.source.now()
        last, self._looked = self._looked, now
        if waited is None:
            waited = self._interval if last is None else now - last
        self._waited = waited
        # A late look means the loop thread held the interpreter lock all along: a long
        # builtin call (``sum(range(10**8))``) that this look sees just returning.
        self._starved = waited - self._interval > self.threshold / 2
        try:
            self._interval = self._tick(step, now)
        except Exception:
            self._drop_block()
            self._interval = self.poll_interval
            self._log_failure()
        return self._interval

    def settle(self, *, so_far: bool = False) -> None:
        """Report a block whose step has ended since the last look now, not at the next look
        (up to ``poll_interval`` later). For the loop's own thread at a moment that needs
        every report of a block that is over, a kernel's cell starting or ending; then
        ``on_report`` is called in that thread.

        :param so_far: also report the block of the step running now, up to now (a kernel's
            cell that held the loop itself has ended, though the kernel's step goes on);
            what that step does from now on is watched as a block of its own.
        """
        with self._looking:
            block = self._block
            if block is None:
                return
            try:
                step = self.source.current_step()
                if step is None or step[0] != block.start:
                    self._finish(block, self.source.now())
                elif so_far:
                    self._report_so_far(block, self.source.now())
            except Exception:
                self._drop_block()
                self._log_failure()

    def _report_so_far(self, block: _Block, now: float) -> None:
        if block.users():
            self._report_part(block, now - block.begins)
        block.counts, block.sampled, block.last = {}, 0.0, None
        block.noted, block.begins = True, now

    def _run(self) -> None:
        interval = self.poll_interval
        while True:
            # The wait alone is timed: the look itself may wait for the interpreter lock
            # (the loop thread took it), and that is not the loop thread starving this one.
            began = time.perf_counter()
            if self._stop.wait(interval):
                break
            interval = self.look(time.perf_counter() - began)
        try:
            self._last_look()
        except Exception:
            self._log_failure()
        self._drop_block()

    def _last_look(self) -> None:
        """On stop: report a block whose step has ended since the last look."""
        block = self._block
        if block is None:
            return
        step = self.source.current_step()
        if step is None or step[0] != block.start:
            self._finish(block, self.source.now())
        self._drop_block()

    def _drop_block(self) -> None:
        self._block = None
        self._facts.clear()
        self._set_stuck(None, stuck=False)

    def _set_stuck(self, task: asyncio.Task[Any] | None, *, stuck: bool) -> None:
        """Tell ``on_stuck`` that a block of the user's code began or ended."""
        if stuck == self._stuck or self.on_stuck is None:
            return
        self._stuck = stuck
        try:
            self.on_stuck(task, stuck)
        except Exception:
            self.on_stuck = None
            log.exception("asyncrepl: the blocked-loop handler failed; it is switched off")

    def _log_failure(self) -> None:
        if not self._failed:
            self._failed = True
            log.exception("asyncrepl: the blocking detector failed (it keeps going)")

    def _tick(self, step: tuple[float, asyncio.Task[Any] | None] | None, now: float) -> float:
        """One look at the loop; returns the seconds until the next."""
        block = self._block
        if block is not None:
            if step is not None and step[0] == block.start:
                self._sample(block)
                block.last_seen = now
                if block.users():
                    self._set_stuck(step[1], stuck=True)
                if self._due_for_note(block, now):
                    block.noted = True
                    self._deliver(self._summary(block, now - block.start, still=True))
                return self._next_look(block)
            self._finish(block, now)
        if step is None or now - step[0] < self.threshold:
            return self.poll_interval
        task = step[1]
        self._block = _Block(step[0], task.get_name() if task is not None else None, now)
        self._sample(self._block)
        if self._block.users():
            self._set_stuck(task, stuck=True)
        return self._next_look(self._block)

    def _next_look(self, block: _Block) -> float:
        """Samples come often while they may still be needed: a block noted already, or
        one that is the REPL's own work so far (``%timeit`` timing the user's code, which
        every sample slows down), is only looked at as a healthy loop is."""
        return self.poll_interval if block.noted or not block.users() else self.sample_interval

    def _due_for_note(self, block: _Block, now: float) -> bool:
        after = self.still_blocked_after
        return (
            not block.noted
            and after is not None
            and now - block.start >= after
            and block.users()
            # ``input()`` waits for the person, who is typing after its prompt: a note there
            # would break into the line they type (the report comes when they are done).
            and (block.last is None or block.last.callee not in _READS_THE_KEYBOARD)
        )

    def _sample(self, block: _Block) -> None:
        """One look at the loop thread's stack, weighted by the time since the last look."""
        states = snapshot(sys._current_frames().get(self.loop_thread_id))
        step = self.source.current_step()
        if step is None or step[0] != block.start:
            return  # the step ended since the look began: this stack is another's
        block.sampled += self._waited
        index = user_frame(states, self._user)
        if index is None or repl_work(states, self.repl_entries):
            return  # not the user's code: nothing to point at, nothing they should fix
        state = states[index]
        key = (state.code, state.lasti, index == 0)
        facts = self._facts.get(key)
        if facts is None:
            facts = self._facts[key] = frame_facts(states, index, self._user)
        del states, state  # never keep the user's frames (and their variables) alive
        if facts.innermost and facts.call and not self._starved and self._gil_busy():
            # Python code between short calls (a CPU-bound loop), not one long call.
            facts = facts._replace(call="", callee="")
        block.counts[facts] = block.counts.get(facts, 0.0) + self._waited
        block.last = facts

    def _gil_busy(self) -> bool:
        """Whether the loop thread holds the interpreter lock (runs Python code): getting it
        back takes about a switch interval then, and nothing while it waits in a builtin.

        Measured on a busy machine (2 cores, load 4): one try in six comes back at once
        though the loop thread computes (it was not running just then), and this thread is
        now and then slow to run again though the loop thread sleeps. So, where the loop
        thread's CPU clock can be read, a slow try counts only if the loop thread ran
        meanwhile, and one such try of three settles it."""
        clock = _cpu_clock(self.loop_thread_id)
        for _ in range(3 if clock is not None else 1):
            used = time.clock_gettime(clock) if clock is not None else 0.0
            began = time.perf_counter()
            time.sleep(0)
            if time.perf_counter() - began <= self._gil_wait:
                continue
            if clock is None or time.clock_gettime(clock) - used > self._gil_wait / 2:
                return True
        return False

    def _finish(self, block: _Block, now: float) -> None:
        self._drop_block()
        if not block.users():
            return
        end = self._step_end(block.start, now)
        if end is None:
            end = (block.last_seen + now) / 2  # it ended between the last two looks
        self._report_part(block, max(end - block.begins, block.last_seen - block.begins))

    def _report_part(self, block: _Block, duration: float) -> None:
        """Report the block from ``block.begins``, ``duration`` long, unless it is under the
        threshold once asyncrepl's own share (recording the tasks the step made) is left out.
        """
        recording, made = self._recording_since(block)
        if duration - recording < self.threshold:
            return  # mostly asyncrepl's own work, recording the tasks the step made
        report = self._summary(block, duration, still=False)
        # Python's garbage collector runs inside whatever line is running when it falls due:
        # not held against a line that made no tasks and did not call it (the collections a
        # line's many new tasks bring on are that line's).
        collected = 0.0 if made else self._collector_in(block.begins, duration)
        if report.callee != "gc.collect" and duration - recording - collected < self.threshold:
            return
        if made:
            report = report._replace(recording=min(recording, duration), tasks_made=made)
        self._keep_and_deliver(report)

    def _recording_since(self, block: _Block) -> tuple[float, int]:
        """What recording the tasks made in the block's step took, and how many, since the
        part of it reported last (a kernel reports a cell's part of its step when the cell
        ends): from the source's ``recording_in``, as the Recorder gives it."""
        recording_in: Callable[[float], tuple[float, int]] | None = getattr(
            self.source, "recording_in", None
        )
        if recording_in is None:
            return 0.0, 0
        seconds, made = recording_in(block.start)
        seconds_before, made_before = block.recorded
        block.recorded = (seconds, made)
        return max(0.0, seconds - seconds_before), max(0, made - made_before)

    def _collector_in(self, begins: float, duration: float) -> float:
        """Seconds of ``duration`` from ``begins`` that Python's garbage collector paused
        everything (it runs inside whatever step is running, and the stack sampled after it
        is the next line to run, not a cause): from the source's ``collector_in``."""
        collector_in: Callable[[float, float], float] | None = getattr(
            self.source, "collector_in", None
        )
        return collector_in(begins, begins + duration) if collector_in is not None else 0.0

    def _keep_and_deliver(self, report: BlockReport) -> None:
        with self._lock:
            self._reports.append(report)
        self._deliver(report)

    def _step_end(self, start: float, now: float) -> float | None:
        """The exact end of the step, when the source records steps (the Recorder does)."""
        steps: Callable[[float, float], list[Step]] | None = getattr(self.source, "steps", None)
        if steps is None:
            return None
        for step in reversed(steps(start, now)):
            if step.start == start:
                return step.end
        return None

    def _summary(self, block: _Block, duration: float, *, still: bool) -> BlockReport:
        return summarise(
            block.counts,
            block.last,
            started=block.begins,
            duration=duration,
            task_name=block.task_name,
            still_blocked=still,
        )

    def _deliver(self, report: BlockReport) -> None:
        callback = self.on_report
        if callback is None or self._repeated(report):
            return
        try:
            callback(report)
        except Exception:
            self.on_report = None
            log.exception("asyncrepl: the block report handler failed; it is switched off")

    def _repeated(self, report: BlockReport) -> bool:
        """Whether the same task blocked at the same line and call less than
        ``quiet_repeats`` ago (a new cell running it again is a new task: reported)."""
        if report.location is None:
            return False
        where = report.location
        site = (report.task_name, where.filename, where.lineno, report.call, report.still_blocked)
        now = self.source.now()
        last = self._delivered.get(site)
        if last is not None and now - last < self.quiet_repeats:
            return True
        if len(self._delivered) > 1000:  # forget old sites rather than grow without end
            self._delivered.clear()
        self._delivered[site] = now
        return False


def _cpu_clock(thread_id: int) -> int | None:
    """The CPU-time clock of the thread ``thread_id`` (POSIX), or None."""
    try:
        return time.pthread_getcpuclockid(thread_id)
    except (AttributeError, OSError, OverflowError):
        return None
