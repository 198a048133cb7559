"""The recorder's hot path: the function that runs each handle of the watched loop in place of
``Handle._run``. Every step of the loop goes through it, so it does the least it can: read
the clock once, name who runs, and append both to two staging lists. At the end of each round
of the loop the lists move to the ring in bulk (``benchmarks/recorder.py`` measures it all)."""

from __future__ import annotations

import asyncio
import sys
from asyncio import events, format_helpers
from collections.abc import Callable
from dataclasses import dataclass
from types import MethodType
from typing import Any

from asyncrepl.instrument.hooks import Instruments
from asyncrepl.instrument.ring import CALLBACK, IDLE
from asyncrepl.instrument.sites import add_boundary

__all__ = ["Runner", "RunnerParts", "StepRunner", "make_runner", "report_callback_error"]

#: Runs one handle: ``Handle._run`` itself or a watcher's recording stand-in for it.
StepRunner = Callable[[events.Handle], None]

_BUILTIN = type(len)
#: The step and wake-up methods of the pure-Python Task (``asyncio.tasks._PyTask``).
_PY_TASK = getattr(asyncio.tasks, "_PyTask", asyncio.Task)
_PY_TASK_STEPS = frozenset(
    getattr(_PY_TASK, name) for name in ("_Task__step", "_Task__wakeup") if hasattr(_PY_TASK, name)
)
_DEBUG_ARG = sys.version_info >= (3, 13)  # _format_callback_source(..., debug=) since 3.13
#: Staged entries beyond which a round's end moves them to the ring even if more callbacks
#: are ready (otherwise that happens when the loop is about to wait).
STAGE_LIMIT = 4096


@dataclass(frozen=True)
class RunnerParts:
    """What the runner calls: the recorder's pieces."""

    clock: Callable[[], float]
    #: the id of a task that is not an asyncrepl ``Task`` (looked up, or given one).
    task_id: Callable[[Any], int]
    #: moves staged entries to the ring: ``store(starts, whos)``; may empty the lists.
    store: Callable[[list[float], list[int]], None]
    instruments: Instruments
    fail: Callable[[], None]


@dataclass(frozen=True)
class Runner:
    """One recorder's stand-ins, and the staged entries they share."""

    run: StepRunner  #: runs (and stages) one handle
    round_ended: Callable[[], None]  #: the loop finished a round of callbacks
    flush: Callable[[], None]  #: move staged entries to the ring now
    relink: Callable[[Any, StepRunner | None], None]  #: point at a loop and the next runner
    starts: list[float]  #: staged: when each entry started
    whos: list[int]  #: staged: who each entry runs (see ``ring.task_of``)


def report_callback_error(handle: Any, exc: BaseException) -> None:
    """What ``Handle._run`` does when a callback raises: give it to the loop's exception
    handler. Needed because the runner runs the callback itself, to save a call per step.

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


def make_runner(parts: RunnerParts, passthrough: StepRunner) -> Runner:
    """The recording stand-in for ``Handle._run`` and its helpers.

    :param parts: the recorder's pieces.
    :param passthrough: runs handles of other loops (and all of them while unlinked).
    """
    clock, other_task_id, store, instruments, fail = (
        parts.clock,
        parts.task_id,
        parts.store,
        parts.instruments,
        parts.fail,
    )
    starts: list[float] = []
    whos: list[int] = []
    add_start, add_who = starts.append, whos.append
    report = report_callback_error
    loop: Any = None
    ready: Any = ()
    inner: StepRunner | None = None
    step_type: type = Runner  # learnt at the first step: the C Task's TaskStepMethWrapper

    def run(handle: Any) -> None:
        nonlocal step_type
        if handle._loop is not loop:
            passthrough(handle)
            return
        try:
            callback = handle._callback
            kind = type(callback)
            # A task's step is a TaskStepMethWrapper (C) or its bound __step (Python); its
            # wake-up is the builtin task_wakeup or __wakeup. All name the task as __self__.
            if (
                kind is step_type
                or (kind is _BUILTIN and callback.__name__ == "task_wakeup")
                or (kind is MethodType and callback.__func__ in _PY_TASK_STEPS)
            ):
                task = callback.__self__
                try:
                    who = task._asyncrepl_id  # an asyncrepl Task a recorder has seen
                except AttributeError:  # any other task: looked up by id()
                    who = other_task_id(task)
            elif kind.__name__ == "TaskStepMethWrapper":
                step_type = kind
                task = callback.__self__
                who = other_task_id(task)
            else:
                task = None
                who = CALLBACK
            add_start(clock())
            add_who(who)
            if instruments.steps:
                instruments.call("step_started", task, starts[-1])
        except Exception:
            fail()
            passthrough(handle)
            return
        if inner is None:
            try:
                handle._context.run(callback, *handle._args)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                report(handle, exc)
        else:
            inner(handle)
        if instruments.steps:
            try:
                instruments.call("step_ended", task, clock())
            except Exception:
                fail()

    def round_ended() -> None:
        try:
            add_start(clock())
            add_who(IDLE)
            if not ready or len(starts) > STAGE_LIMIT:
                store(starts, whos)
        except Exception:
            fail()

    def flush() -> None:
        if starts:
            store(starts, whos)

    add_boundary(run.__code__)

    def relink(new_loop: Any, new_inner: StepRunner | None) -> None:
        nonlocal loop, inner, ready
        loop, inner = new_loop, new_inner
        ready = getattr(new_loop, "_ready", ())

    return Runner(run, round_ended, flush, relink, starts, whos)
