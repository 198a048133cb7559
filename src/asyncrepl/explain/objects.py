"""``%explain EXPR``: what a live object is and what it is doing now (a coroutine function or
the coroutine it returns, a task, a future, an async generator, the event loop ...)."""

from __future__ import annotations

import asyncio
import inspect
import reprlib
from collections.abc import Callable
from typing import Any

from asyncrepl.durations import format_duration
from asyncrepl.explain.entries import Explanation
from asyncrepl.instrument.snapshot import frame_location, is_library_location, snapshot_task
from asyncrepl.records import Location, LocationLabeler, default_labeler

__all__ = ["await_chain", "explain_object"]

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_PRIMITIVES = (asyncio.Lock, asyncio.Event, asyncio.Semaphore, asyncio.Queue, asyncio.Condition)


def await_chain(
    obj: object, labeler: LocationLabeler = default_labeler
) -> tuple[list[Location], object]:
    """Follow a coroutine (or async generator) down what it awaits.

    :param obj: a coroutine, generator or async generator.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :returns: the frames, outermost first, and the innermost awaited object (or None).
    """
    frames: list[Location] = []
    for _ in range(200):  # a chain is never this deep; stop on a cycle
        frame = next(
            (
                getattr(obj, a)
                for a in ("cr_frame", "gi_frame", "ag_frame")
                if getattr(obj, a, None)
            ),
            None,
        )
        if frame is None:
            break
        frames.append(frame_location(frame, labeler))
        inner = next(
            (
                getattr(obj, a)
                for a in ("cr_await", "gi_yieldfrom", "ag_await")
                if getattr(obj, a, None)
            ),
            None,
        )
        if inner is None:
            return frames, None
        obj = inner
    return frames, obj


def _frames_lines(frames: list[Location]) -> tuple[str, ...]:
    mine = [f for f in frames if not is_library_location(f)]
    return tuple(f"{f.label} in {f.function or '?'}: `{f.source}`" for f in mine)


def _explanation(
    expr: str, title: str, what: str, why: str = "", *details: str, key: str = "object"
) -> Explanation:
    return Explanation(key=key, title=f"`{expr}`: {title}", what=what, why=why, details=details)


def explain_object(
    value: object,
    expr: str,
    *,
    recorder: Any = None,
    labeler: LocationLabeler = default_labeler,
) -> Explanation:
    """Say what ``value`` is, in the tutorial's words, and what it is doing now.

    :param value: the evaluated object.
    :param expr: the expression as the user typed it.
    :param recorder: the loop recorder, for a task's creation place and run time.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    """
    if isinstance(value, asyncio.Task):
        return _task(value, expr, recorder, labeler)
    if isinstance(value, asyncio.Future):
        return _future(value, expr)
    if inspect.iscoroutinefunction(value):
        return _explanation(
            expr,
            "a coroutine function",
            f"Calling it, `{expr}(...)`, gives you a coroutine object; nothing in its body runs "
            "until you `await` that coroutine or wrap it in a task.",
            "Run it and get its result with `await`; run it alongside other work with "
            "`asyncio.create_task()`.",
            f"Signature: `{_signature(value)}`",
        )
    if inspect.isasyncgenfunction(value):
        return _explanation(
            expr,
            "an async generator function",
            f"Calling it gives an async generator; step through it with `async for x in "
            f"{expr}(...)`, not a plain `for`.",
            "",
            f"Signature: `{_signature(value)}`",
        )
    if inspect.iscoroutine(value):
        return _coroutine(value, expr, labeler)
    if inspect.isasyncgen(value):
        return _async_gen(value, expr, labeler)
    if isinstance(value, asyncio.AbstractEventLoop):
        return _loop(value, expr)
    if isinstance(value, _PRIMITIVES):
        return _primitive(value, expr)
    return _other(value, expr)


def _signature(func: Any) -> str:
    try:
        signature = inspect.signature(func).replace(return_annotation=inspect.Signature.empty)
        return f"async def {func.__name__}{signature}"
    except (TypeError, ValueError, AttributeError):
        return "async def ..."


def _task(
    task: asyncio.Task[Any], expr: str, recorder: Any, labeler: LocationLabeler
) -> Explanation:
    info = snapshot_task(task, recorder=recorder, labeler=labeler)
    what = (
        f"A task running the coroutine `{info.coro}`, named '{info.name}'. It is {info.state.value}"
    )
    details: list[str] = []
    if task.done():
        what += f": {info.outcome}." if info.outcome else "."
    else:
        what += f", waiting for {info.awaiting}." if info.awaiting else "."
        details += [f"Await chain: {line}" for line in _frames_lines(list(info.frames))]
    if info.created_at is not None:
        details.append(f"Created at {info.created_at.label}: `{info.created_at.source}`")
    if info.steps:
        times = "once" if info.steps == 1 else f"{info.steps} times"
        details.append(f"The loop ran it {times}, {format_duration(info.run_time)} in all.")
    why = (
        "A task is a scheduled coroutine: the event loop runs it whenever the coroutine "
        "it waits for is ready, while your other code goes on. `await` it for its result."
    )
    return _explanation(expr, "a task", what, why, *details)


def _future(fut: asyncio.Future[Any], expr: str) -> Explanation:
    if fut.cancelled():
        state = "It was cancelled."
    elif fut.done():
        exc = fut.exception()
        outcome = (
            f"it failed with `{exc!r}`" if exc else f"its result is {_REPR.repr(fut.result())}"
        )
        state = f"It is done: {outcome}."
    else:
        waiting = len(getattr(fut, "_callbacks", None) or [])
        state = f"It is pending: no result yet; {waiting} callback(s) or task(s) wait for it."
    return _explanation(
        expr,
        "a future",
        f"A future is an object that will have a value at some point. {state}",
        "Something must call `set_result()` (or `set_exception()`) on it; `await` it to "
        "wait for that value. Awaiting a future that nothing sets waits forever.",
    )


def _coroutine(coro: Any, expr: str, labeler: LocationLabeler) -> Explanation:
    state = inspect.getcoroutinestate(coro)
    name = getattr(coro, "__qualname__", "?")
    if state == inspect.CORO_CREATED:
        what = f"A coroutine object of `{name}` that has not started: nothing in it has run yet."
        why = f"`await {expr}` runs it (once), or `asyncio.create_task({expr})` schedules it."
        return _explanation(expr, "a coroutine (not started)", what, why)
    if state == inspect.CORO_CLOSED:
        what = f"A coroutine object of `{name}` that has finished. It cannot run again."
        why = f"Call `{name}()` again for a new coroutine, or keep a task, which keeps its result."
        return _explanation(expr, "a coroutine (finished)", what, why)
    frames, inner = await_chain(coro, labeler)
    waiting = f", waiting for {_REPR.repr(inner)}" if inner is not None else ""
    what = f"A coroutine object of `{name}`, {state.lower().replace('coro_', '')}{waiting}."
    return _explanation(expr, "a coroutine", what, "", *_frames_lines(frames))


def _async_gen(gen: Any, expr: str, labeler: LocationLabeler) -> Explanation:
    name = getattr(gen, "__qualname__", "?")
    frames, _ = await_chain(gen, labeler)
    where = _frames_lines(frames)
    state = "paused after a `yield`" if where else "not started or finished"
    return _explanation(
        expr,
        "an async generator",
        f"An async generator of `{name}`, {state}. It gives its values one at a time with "
        "`await` in between.",
        f"Step through it with `async for x in {expr}:` inside a coroutine (or at the top "
        "level here); a plain `for` raises TypeError.",
        *where,
    )


def _loop(loop: asyncio.AbstractEventLoop, expr: str) -> Explanation:
    state = "running" if loop.is_running() else "closed" if loop.is_closed() else "not running"
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()] if not loop.is_closed() else []
    ready = len(getattr(loop, "_ready", ()))
    timers = len(getattr(loop, "_scheduled", ()))
    details = (
        [
            f"{len(tasks)} task(s) alive: {', '.join(repr(t.get_name()) for t in tasks[:8])}"
            + (" ..." if len(tasks) > 8 else "")
        ]
        if tasks
        else []
    )
    details.append(
        f"{ready} callback(s) ready to run, {timers} timer(s) scheduled "
        "(`asyncio.sleep` and `call_later` use timers)."
    )
    return _explanation(
        expr,
        "the event loop",
        f"The event loop ({type(loop).__name__}, {state}) manages scheduling and switching "
        "between coroutines and tasks.",
        "It runs one step of one task at a time, in one thread; a task gives the loop back "
        "at each `await`. See the tasks with `%tasks`.",
        *details,
    )


def _primitive(value: Any, expr: str) -> Explanation:
    kind = type(value).__name__
    states: dict[str, Callable[[Any], str]] = {
        "Lock": lambda v: "locked" if v.locked() else "unlocked",
        "Event": lambda v: "set" if v.is_set() else "not set",
        "Semaphore": lambda v: "at its limit" if v.locked() else "free",
        "Queue": lambda v: f"{v.qsize()} item(s) waiting",
        "Condition": lambda v: "locked" if v.locked() else "unlocked",
    }
    base = next((k for k in states if isinstance(value, getattr(asyncio, k))), kind)
    waiters = len(getattr(value, "_waiters", None) or ())
    state = states[base](value) if base in states else "?"
    return _explanation(
        expr,
        f"an asyncio.{base}",
        f"An `asyncio.{base}`: {state}; {waiters} task(s) waiting on it.",
        f"Tasks wait on it with `await`; see `%explain {base.lower()}`.",
    )


def _other(value: object, expr: str) -> Explanation:
    kind = type(value).__name__
    if hasattr(value, "__aiter__") or hasattr(value, "__anext__"):
        return _explanation(
            expr,
            "an async iterable",
            f"A `{kind}`: step through it with `async for x in {expr}:`, not a plain `for`.",
        )
    if hasattr(value, "__aenter__"):
        return _explanation(
            expr,
            "an async context manager",
            f"A `{kind}`: use it with `async with {expr}:`, not `with`.",
        )
    if inspect.isawaitable(value):
        return _explanation(expr, "an awaitable", f"A `{kind}` that you can `await`.")
    if callable(value) and getattr(value, "__module__", "").startswith("asyncio"):
        name = getattr(value, "__name__", kind)
        return _explanation(
            expr,
            "an asyncio function",
            f"`{expr}` is asyncio's `{name}`; calling it does not make a coroutine you must "
            "await unless its documentation says it returns one.",
            "",
            f"`%explain {name}` explains the idea, if it is one of the topics.",
        )
    if inspect.isroutine(value):
        return _explanation(
            expr,
            "a plain function",
            "Calling it runs it at once, to the end: no `await` needed (nor "
            "possible). If it takes long, it blocks the event loop: run it "
            f"with `await asyncio.to_thread({expr}, ...)`.",
        )
    return _explanation(
        expr,
        f"a {kind}",
        f"`{expr}` is a `{kind}`, not an asyncio object: it is not a coroutine, "
        "task, future or async generator, so there is nothing to await.",
    )
