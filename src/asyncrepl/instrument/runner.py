"""The recorder's hot path: the function that runs each handle of the watched loop in place
of ``Handle._run`` and stores the step. Every step of the loop goes through it, so it is one
flat closure over locals, measured against ``benchmarks/recorder.py``."""

from __future__ import annotations

import asyncio
import sys
from asyncio import events, format_helpers
from collections.abc import Callable
from dataclasses import dataclass
from types import MethodType
from typing import Any

from asyncrepl.instrument.hooks import Instruments
from asyncrepl.instrument.ring import StepRing
from asyncrepl.instrument.sites import add_boundary
from asyncrepl.instrument.tasklog import TaskRecord

__all__ = ["EAGER", "Now", "RunnerParts", "StepRunner", "make_runner", "report_callback_error"]

AnyTask = asyncio.Task[Any]
#: Runs one handle: ``Handle._run`` itself or a watcher's recording stand-in for it.
StepRunner = Callable[[events.Handle], None]
#: Points a runner at a loop (None: pass every handle on) and at the next runner of the
#: chain (None: run the handle itself).
Relink = Callable[[Any, "StepRunner | None"], None]

_BUILTIN = type(len)
#: The step and wake-up methods of the pure-Python Task (``asyncio.tasks._PyTask``).
_PY_TASK = getattr(asyncio.tasks, "_PyTask", asyncio.Task)
_PY_TASK_STEPS = frozenset(
    getattr(_PY_TASK, name) for name in ("_Task__step", "_Task__wakeup") if hasattr(_PY_TASK, name)
)
#: In a step tuple instead of the task: an eager first step, whose task ``create_task`` has
#: not returned yet (it is the loop's current task).
EAGER: Any = object()
_DEBUG_ARG = sys.version_info >= (3, 13)  # _format_callback_source(..., debug=) since 3.13


class Now:
    """The step on the loop now, ``(start, task or None)``: one tuple, so that another thread
    reads start and task together; None between steps."""

    __slots__ = ("step",)

    def __init__(self) -> None:
        self.step: tuple[float, Any] | None = None


@dataclass(frozen=True)
class RunnerParts:
    """What the runner writes to and calls: the recorder's pieces."""

    ring: StepRing
    clock: Callable[[], float]
    now: Now
    lookup: Callable[[int], TaskRecord | None]
    first_seen: Callable[[AnyTask], TaskRecord]
    finish: Callable[[TaskRecord, AnyTask, float], None]
    instruments: Instruments
    fail: Callable[[], None]


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


def make_runner(parts: RunnerParts, passthrough: StepRunner) -> tuple[StepRunner, Relink]:
    """The recording stand-in for ``Handle._run``, and the function that points it at a loop.

    :param parts: the recorder's pieces.
    :param passthrough: runs handles of other loops (and all of them while unlinked).
    """
    ring, clock, now, lookup = parts.ring, parts.clock, parts.now, parts.lookup
    starts, ends, ids, capacity = ring.starts, ring.ends, ring.ids, ring.capacity
    first_seen, finish, instruments, fail = (
        parts.first_seen,
        parts.finish,
        parts.instruments,
        parts.fail,
    )
    report = report_callback_error
    loop: Any = None
    inner: StepRunner | None = None
    step_type: type = Now  # learnt at the first step: the C Task's TaskStepMethWrapper

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
            elif kind.__name__ == "TaskStepMethWrapper":
                step_type = kind
                task = callback.__self__
            else:
                task = None
            if task is None:
                record = None
                task_id = 0
            else:
                record = lookup(id(task)) or first_seen(task)
                task_id = record.id
            if instruments.steps:
                instruments.call("step_started", task, clock())
            start = clock()
            now.step = (start, task)
        except Exception:
            fail()
            passthrough(handle)
            return
        try:
            if inner is None:
                try:
                    handle._context.run(callback, *handle._args)
                except (SystemExit, KeyboardInterrupt):
                    raise
                except BaseException as exc:
                    report(handle, exc)
            else:
                inner(handle)
        finally:
            try:
                end = clock()
                step = now.step
                if step is not None:  # an eager step inside this one moved its start
                    start = step[0]
                now.step = None
                i = ring.pos
                starts[i] = start
                ends[i] = end
                ids[i] = task_id
                i += 1
                if i == capacity:
                    i = 0
                    ring.full = True
                ring.pos = i
                if record is not None:
                    record.steps += 1
                    record.run_time += end - start
                    if task.done():
                        finish(record, task, end)
                if instruments.steps:
                    instruments.call("step_ended", task, end)
            except Exception:
                fail()

    add_boundary(run.__code__)

    def relink(new_loop: Any, new_inner: StepRunner | None) -> None:
        nonlocal loop, inner
        loop, inner = new_loop, new_inner

    return run, relink
