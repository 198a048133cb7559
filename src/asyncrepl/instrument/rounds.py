"""The recorder's hot path: the watched loop's ``_run_once``, one round of the loop that runs
the ready handles itself and notes, for each, the moment it starts and who it runs, and for a
task's wake-up, where the task waited and for what. It does what asyncio's own round does in
the same order (expired timers, I/O poll, due timers, then each ready handle once), calling
each callback directly, as ``Handle._run`` would but without its starred call; what that
saves pays for the clock (``benchmarks/recorder.py`` measures it all)."""

from __future__ import annotations

import asyncio
import heapq
import operator
import sys
from asyncio import base_events, events, format_helpers
from collections.abc import Callable
from dataclasses import dataclass, field
from types import CoroutineType, GetSetDescriptorType, MethodType
from typing import Any

from asyncrepl import cparts
from asyncrepl.instrument.ring import CALLBACK, IDLE
from asyncrepl.instrument.sites import add_boundary
from asyncrepl.instrument.waits import (
    CALL_WHATS,
    FUTURE,
    UNKNOWN_PLACE,
    awaited_code,
    coroutine_wait,
)

__all__ = [
    "STAGE_LIMIT",
    "Stage",
    "begin_all",
    "callback_task",
    "idle_all",
    "make_round",
    "report_callback_error",
]

#: The round's inner loop in C (``_readyrun.c``), where it was built (see :mod:`cparts`);
#: None elsewhere, and the same loop runs in Python.
run_ready: Callable[[int, tuple[Any, ...]], bool] | None = getattr(
    cparts.load("asyncrepl.instrument._readyrun"), "run_ready", None
)

_BUILTIN = type(len)
_FUTURE = asyncio.Future  # the C Future: what most waits are for
_COROUTINE = CoroutineType
#: The task classes: asyncio's C Task (and so asyncrepl's), and the pure-Python one.
_TASKS: Any = (asyncio.Task, getattr(asyncio.tasks, "_PyTask", asyncio.Task))
#: Handles whose ``_run`` is asyncio's plain one, which the round does itself; any other
#: (3.14's ``_ThreadSafeHandle`` takes a lock in it) runs through its own ``_run``.
_HANDLE, _TIMER = events.Handle, events.TimerHandle
#: The only other handle asyncio's own loop makes (3.14+, for call_soon_threadsafe).
_LOCKED: Any = getattr(events, "_ThreadSafeHandle", None)


def _coro_wait_fields(task: Any) -> tuple[int, Any]:
    """Where the task's coroutine is suspended (``f_lasti``) and what it awaits."""
    coro = task.get_coro()
    return coro.cr_frame.f_lasti, coro.cr_await


#: What a task's wake-up reads of its coroutine, as :func:`_coro_wait_fields` does: through
#: the C Task's ``_coro`` field in one C call where it has one (3.11 to 3.13), the wake-up
#: workload's 0.03x; otherwise by asking the task.
_WAIT_FIELDS: Callable[[Any], tuple[int, Any]] = (
    operator.attrgetter("_coro.cr_frame.f_lasti", "_coro.cr_await")
    if isinstance(vars(asyncio.Task).get("_coro"), GetSetDescriptorType)
    else _coro_wait_fields
)
_DEBUG_ARG = sys.version_info >= (3, 13)  # _format_callback_source(..., debug=) since 3.13
#: asyncio's own limits for a round (the same names in 3.11 to 3.13).
_MAX_TIMEOUT: float = getattr(base_events, "MAXIMUM_SELECT_TIMEOUT", 24 * 3600)
_MIN_TIMERS: int = getattr(base_events, "_MIN_SCHEDULED_TIMER_HANDLES", 100)
_CANCELLED_SHARE: float = getattr(base_events, "_MIN_CANCELLED_TIMER_HANDLES_FRACTION", 0.5)
#: Staged entries beyond which a round's end moves them to the ring even if more callbacks
#: are ready (otherwise that happens when the loop is about to wait).
STAGE_LIMIT = 4096
#: Waits are moved in larger batches (a move costs the same for a few as for thousands):
#: when more than this many items (four a wait) are staged, or when someone asks.
WAITS_LIMIT = 4 * 1024


@dataclass(eq=False, repr=False)  # state, told apart by identity (see session.Session)
class Stage:
    """One recorder's side of a watched loop: its clock, the entries staged this round, and
    where they go at the end of a round."""

    clock: Callable[[], float]
    #: the id of a task that is not an asyncrepl ``Task`` (looked up, or given one).
    task_id: Callable[[Any], int]
    #: moves staged entries and waits to the rings: ``store(starts, whos, waits)``; empties
    #: the lists.
    store: Callable[[list[float], list[int], list[float | int]], None]
    #: our own code failed: log it once and stop recording (the loop goes on).
    fail: Callable[[], None]
    starts: list[float] = field(default_factory=list)  #: when each staged entry started
    whos: list[int] = field(default_factory=list)  #: who it runs (see ``ring.task_of``)
    #: what woken tasks waited for: four items a wait, ``start, who, where, what`` (see
    #: ``waits.py``), flat so that noting one makes no tuple
    waits: list[float | int] = field(default_factory=list)
    open: bool = True  #: false once the recorder has let go of the loop

    def who(self, task: Any) -> int:
        """The entry code for a step of ``task`` (None: a plain callback)."""
        if task is None:
            return CALLBACK
        try:
            return task._asyncrepl_id  # type: ignore[no-any-return]
        except AttributeError:  # any other task: looked up by id()
            return self.task_id(task)

    def begin(self, task: Any, handle: Any) -> None:
        """The step of ``task`` that ``handle`` runs starts (the careful path)."""
        start = self.clock()
        who = self.who(task)
        self.starts.append(start)
        self.whos.append(who)
        if task is not None:
            self.note_wake(task, handle, start, who)

    def note_wake(self, task: Any, handle: Any, start: float, who: int) -> None:
        """If ``handle`` (one of ``task``'s callbacks) wakes it, the future it waited for
        being done, note where its coroutine waited and for what (the careful path's, and a
        pure-Python Task's, way of what the fast path does inline)."""
        if handle._args:  # a wake-up, with the future (a step is called with nothing)
            coro = task.get_coro()
            awaited = getattr(coro, "cr_await", None)
            what = awaited_code(handle._args[0], self.task_id, awaited, coro)
            self.waits += (start, who, suspended_at(task), what)

    def round_ended(self, ready: Any) -> None:
        """The round is over: note that the loop turns to waiting, and move the staged
        entries to the ring when it is about to wait (or too many are staged)."""
        if not self.open:
            self.clear()
            return
        self.starts.append(self.clock())
        self.whos.append(IDLE)
        if not ready or len(self.starts) > STAGE_LIMIT:
            self.flush(waits=len(self.waits) > WAITS_LIMIT)

    def flush(self, *, waits: bool = True) -> None:
        """Move the staged entries (and the waits, unless told not to) to the rings now."""
        if self.starts or (waits and self.waits):
            self.store(self.starts, self.whos, self.waits if waits else [])

    def clear(self) -> None:
        """Drop what is staged."""
        self.starts.clear()
        self.whos.clear()
        self.waits.clear()


def suspended_at(task: Any) -> int:
    """Where the task's own coroutine is suspended: its frame's ``f_lasti`` (a line when
    shown), or UNKNOWN_PLACE for a coroutine that is not Python's own."""
    try:
        return int(task.get_coro().cr_frame.f_lasti)
    except Exception:
        return UNKNOWN_PLACE


def callback_task(callback: Any) -> Any:
    """The task whose step or wake-up ``callback`` is, None for a plain callback. The C Task's
    step is a small wrapper object, its wake-up a builtin; the Python Task's are bound
    methods: all name the task as ``__self__``, so that is what is asked (never type names,
    which a new Python may change)."""
    task = getattr(callback, "__self__", None)
    return task if isinstance(task, _TASKS) else None


def report_callback_error(handle: Any, exc: BaseException) -> None:
    """What ``Handle._run`` does when a callback raises: give it to the loop's exception
    handler (the round calls callbacks itself, to save a call per step).

    :param handle: the handle whose callback raised.
    :param exc: what it raised.
    """
    describe: Any = format_helpers._format_callback_source
    loop = handle._loop
    if _DEBUG_ARG:
        where = describe(handle._callback, handle._args, debug=loop.get_debug())
    else:
        where = describe(handle._callback, handle._args)
    context = {"message": f"Exception in callback {where}", "exception": exc, "handle": handle}
    if handle._source_traceback:
        context["source_traceback"] = handle._source_traceback
    loop.call_exception_handler(context)


def _prepare(loop: Any) -> None:
    """The first half of asyncio's round: drop cancelled timers, poll for I/O (without waiting
    when callbacks are ready or the loop is stopping), and make due timers ready."""
    scheduled = loop._scheduled
    count = len(scheduled)
    if count > _MIN_TIMERS and loop._timer_cancelled_count / count > _CANCELLED_SHARE:
        kept = []
        for timer in scheduled:
            if timer._cancelled:
                timer._scheduled = False
            else:
                kept.append(timer)
        heapq.heapify(kept)
        loop._scheduled = scheduled = kept
        loop._timer_cancelled_count = 0
    else:
        while scheduled and scheduled[0]._cancelled:
            loop._timer_cancelled_count -= 1
            heapq.heappop(scheduled)._scheduled = False
    timeout: float | None = None
    if loop._ready or loop._stopping:
        timeout = 0
    elif scheduled:
        timeout = min(max(0, scheduled[0]._when - loop.time()), _MAX_TIMEOUT)
    loop._process_events(loop._selector.select(timeout))
    end_time = loop.time() + loop._clock_resolution
    ready = loop._ready
    while scheduled and scheduled[0]._when < end_time:
        timer = heapq.heappop(scheduled)
        timer._scheduled = False
        ready.append(timer)


def _warn_slow(handle: Any, took: float) -> None:
    """Debug mode's warning for a callback that held the loop, worded as asyncio words it."""
    events_module: Any = base_events  # typeshed leaves out its logger and _format_handle
    events_module.logger.warning(
        "Executing %s took %.3f seconds", events_module._format_handle(handle), took
    )


def begin_all(stages: tuple[Stage, ...], handle: Any) -> None:
    """Tell each stage that ``handle`` starts.

    :param stages: the recorders' stages.
    :param handle: the handle about to run.
    """
    task = callback_task(handle._callback)
    for stage in stages:
        try:
            stage.begin(task, handle)
        except Exception:
            stage.fail()


def idle_all(stages: tuple[Stage, ...]) -> None:
    """Note in each stage that the step running has ended and the loop is idle, and move
    the entries to the ring if many are staged (how the ``Handle._run`` wrapper ends a
    step; the round notes idleness only when the loop turns to waiting).

    :param stages: the recorders' stages.
    """
    for stage in stages:
        try:
            stage.starts.append(stage.clock())
            stage.whos.append(IDLE)
            if len(stage.starts) > STAGE_LIMIT:
                stage.flush()
        except Exception:
            stage.fail()


def _run_handles(loop: Any, stages: tuple[Stage, ...], count: int) -> None:
    """Run ``count`` ready handles the careful way: every stage, debug mode's
    slow-callback warning. Used when the fast path in :func:`make_round` does not apply."""
    ready = loop._ready
    for _ in range(count):
        handle = ready.popleft()
        if handle._cancelled:
            continue
        begin_all(stages, handle)
        debug, began = loop._debug, 0.0
        try:
            if debug:
                loop._current_handle = handle
                began = loop.time()
            _run_handle(handle)
            if debug:
                took = loop.time() - began
                if took >= loop.slow_callback_duration:
                    _warn_slow(handle, took)
        finally:
            if debug:
                loop._current_handle = None


def _run_handle(handle: Any) -> None:
    """Run one handle as ``Handle._run`` does (its own ``_run`` when it has one)."""
    kind = type(handle)
    if kind is not _HANDLE and kind is not _TIMER:
        handle._run()
        return
    try:
        handle._context.run(handle._callback, *handle._args)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        report_callback_error(handle, exc)


def _round_ended(stages: tuple[Stage, ...], ready: Any) -> None:
    for stage in stages:
        try:
            stage.round_ended(ready)
        except Exception:
            stage.fail()


def make_round(loop: Any, stages: tuple[Stage, ...]) -> Callable[[], None]:
    """The recording ``_run_once`` for ``loop``. With one stage, outside debug mode, the
    handles run in a flat loop that only reads the clock and appends: in C where
    ``_readyrun`` was built (:data:`run_ready`), else in Python, doing the same.

    :param loop: an asyncio ``BaseEventLoop`` whose round is asyncio's own.
    :param stages: the recorders watching it, first called first.
    """
    ready = loop._ready
    popleft = ready.popleft
    report = report_callback_error
    stage = stages[0]
    clock, task_id = stage.clock, stage.task_id
    add_start, add_who, add_waits = stage.starts.append, stage.whos.append, stage.waits.extend
    #: the type of the C Task's step, learnt at the first step (a stand-in until then)
    step_type: list[type] = [Stage]
    plain_kinds: set[type] = set()  # callback types seen that never belong to a task
    several = len(stages) > 1
    call_whats = CALL_WHATS
    locked = _LOCKED
    wait_fields = _WAIT_FIELDS

    def other(handle: Any, callback: Any) -> int:
        """Note a callback of a kind not seen before, or a pure-Python Task's step or
        wake-up, and learn from it; its entry code."""
        kind = type(callback)
        task = callback_task(callback)
        if task is not None and kind is not _BUILTIN and kind is not MethodType:
            step_type[0] = kind  # the C Task's step
        elif task is None and kind is not _BUILTIN and kind is not MethodType:
            plain_kinds.add(kind)  # these never name a task
        who = stage.who(task)
        start = clock()
        add_start(start)
        if task is not None:
            stage.note_wake(task, handle, start, who)
        return who

    fast = run_ready
    parts = (
        popleft,
        clock,
        task_id,
        stage.starts,
        stage.whos,
        stage.waits,
        step_type,
        plain_kinds,
        _TASKS,
        _FUTURE,
        _COROUTINE,
        call_whats,
        coroutine_wait,
        awaited_code,
        wait_fields,
        other,
        report,
        locked,
        CALLBACK,
        FUTURE,
        UNKNOWN_PLACE,
    )

    def run_once() -> None:
        _prepare(loop)
        count = len(ready)
        broken = False
        try:
            if several or loop._debug:
                _run_handles(loop, stages, count)
                count = 0
            elif fast is not None:
                broken = fast(count, parts)
                count = 0
            learnt = step_type[0]
            for _ in range(count):
                handle = popleft()
                if handle._cancelled:
                    continue
                callback = handle._callback
                args = handle._args  # read once: each read of a handle's field costs
                try:
                    kind = type(callback)
                    if kind is learnt:
                        try:
                            who = callback.__self__._asyncrepl_id
                        except AttributeError:  # a task that is not an asyncrepl Task
                            who = task_id(callback.__self__)
                        add_start(clock())
                    elif (
                        kind is _BUILTIN
                        and len(args) == 1
                        and type(task := callback.__self__) is not _FUTURE  # set_result
                        and isinstance(task, _TASKS)
                    ):
                        # A C Task's wake-up: the future it waited for is done. Note where
                        # its coroutine waited (inline, to save calls) before it moves on.
                        try:
                            who = task._asyncrepl_id
                        except AttributeError:
                            who = task_id(task)
                        start = clock()
                        add_start(start)
                        future = args[0]
                        try:
                            where, awaited = wait_fields(task)
                        except Exception:  # not a Python coroutine
                            where, awaited = UNKNOWN_PLACE, None
                        if type(awaited) is _COROUTINE:  # asyncio.sleep, Queue.get...
                            what = call_whats.get(id(awaited.cr_code)) or coroutine_wait(
                                task.get_coro(), awaited, future, task_id
                            )
                        elif type(future) is _FUTURE:
                            what = FUTURE
                        else:  # a task, a gather
                            what = awaited_code(future, task_id)
                        add_waits((start, who, where, what))
                    elif kind is _BUILTIN or kind in plain_kinds:
                        who = CALLBACK
                        add_start(clock())
                    else:
                        who = other(handle, callback)
                        learnt = step_type[0]
                    add_who(who)
                except Exception:
                    broken = True
                if locked is not None and type(handle) is locked:
                    handle._run()  # it takes its lock, and checks _cancelled under it
                    continue
                try:  # as Handle._run does, but without a starred call when it can (5x quicker)
                    if not args:  # a task's step
                        handle._context.run(callback)
                    elif len(args) == 1:  # a task's wake-up, a future's done callback
                        handle._context.run(callback, args[0])
                    else:
                        handle._context.run(callback, *args)
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as exc:
                    report(handle, exc)
            handle = callback = task = args = future = awaited = None  # as asyncio does
        finally:
            _round_ended(stages, ready)
        if broken:
            stage.fail()

    add_boundary(run_once.__code__)
    return run_once


add_boundary(_run_handles.__code__)
