"""Snapshots of live tasks for ``%tasks``: where each one is suspended, down the whole await
chain, and what it waits for, in the words of the asyncio tutorial. No IPython here."""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import linecache
import logging
import os
import re
import sys
import types
import weakref
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, Protocol

from asyncrepl.durations import format_duration
from asyncrepl.instrument.endings import describe_end
from asyncrepl.records import Location, LocationLabeler, TaskInfo, TaskState, default_labeler

__all__ = [
    "RecorderView",
    "TaskIds",
    "awaiters_of",
    "frame_location",
    "is_library_location",
    "snapshot_task",
    "snapshot_tasks",
]

log = logging.getLogger("asyncrepl")
AnyTask = asyncio.Task[Any]
_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
_logged: list[bool] = []  # a failure while describing a task is logged once per process
#: asyncio coroutines the user calls, named as the tutorial names them.
_CALLS = {"sleep": "asyncio.sleep", "wait_for": "asyncio.wait_for", "wait": "asyncio.wait"}
#: What a snapshot copies from the recorder's ``TaskStats``.
_STATS = ("created_at", "parent_id", "created", "run_time", "steps", "is_cell")


class RecorderView(Protocol):
    """The part of ``asyncrepl.instrument.recorder.Recorder`` a snapshot uses. ``stats``
    returns its ``TaskStats``: ``created_at``, ``parent_id``, ``created``, ``run_time``,
    ``steps``, ``is_cell``."""

    def task_id(self, task: AnyTask) -> int: ...
    def stats(self, task: AnyTask) -> Any: ...


class TaskIds:
    """Ids for tasks when there is no recorder: small numbers, stable while the task lives."""

    def __init__(self) -> None:
        self._ids: weakref.WeakKeyDictionary[AnyTask, int] = weakref.WeakKeyDictionary()
        self._next = 1

    def id_of(self, task: AnyTask) -> int:
        """The task's id, giving it the next number when first seen.

        :param task: any task.
        """
        found = self._ids.get(task)
        if found is None:
            found = self._ids[task] = self._next
            self._next += 1
        return found

    def number(self, tasks: Iterable[AnyTask]) -> None:
        """Number tasks seen for the first time in creation order, as far as it is known:
        default names ``Task-N`` carry asyncio's creation counter.

        :param tasks: the tasks of one snapshot.
        """
        new = [task for task in tasks if task not in self._ids]
        for task in sorted(new, key=_creation_key):
            self.id_of(task)


def _creation_key(task: AnyTask) -> tuple[int, str]:
    match = re.fullmatch(r"Task-(\d+)", task.get_name())
    return (int(match.group(1)) if match else 1 << 62, task.get_name())


def frame_location(frame: FrameType, labeler: LocationLabeler = default_labeler) -> Location:
    """The line a frame is at, labelled for a person: ``<cell 3>:4`` or ``app.py:12``.

    :param frame: a running or suspended frame.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    """
    code = frame.f_code
    return _location(
        code.co_filename, frame.f_lineno or code.co_firstlineno, code.co_qualname, labeler
    )


# Thousands of tasks wait at the same few lines: build each Location once.
@functools.lru_cache(maxsize=4096)
def _location(filename: str, lineno: int, function: str, labeler: LocationLabeler) -> Location:
    name = labeler(filename) or os.path.basename(filename)
    source = linecache.getline(filename, lineno).strip()
    return Location(filename, lineno, f"{name}:{lineno}", source, function)


def is_library_location(location: Location) -> bool:
    """True for a frame inside asyncio itself, not the user's code.

    :param location: a frame of an await chain.
    """
    return location.filename.startswith(_ASYNCIO_DIR)


def _step_down(node: object) -> tuple[FrameType | None, object]:
    """A coroutine's, generator's or async generator's frame, and what it awaits."""
    if isinstance(node, types.CoroutineType):
        return node.cr_frame, node.cr_await
    if isinstance(node, types.GeneratorType):
        return node.gi_frame, node.gi_yieldfrom
    if isinstance(node, types.AsyncGeneratorType):
        return node.ag_frame, node.ag_await
    if type(node).__name__ in ("async_generator_asend", "async_generator_athrow"):
        # `async for`: the asend object hides its generator, but holds a reference to it.
        agen = next((r for r in gc.get_referents(node) if hasattr(r, "ag_await")), None)
        return (None, agen) if agen is not None else (None, None)
    # Compiled or hand-written coroutines that follow the protocol (Cython, ...).
    return getattr(node, "cr_frame", None), getattr(node, "cr_await", None)


def _await_chain(task: AnyTask) -> list[FrameType]:
    """The frames from the task's coroutine down to the innermost coroutine or generator,
    outermost first (what ``Task.get_stack()`` leaves out)."""
    frames: list[FrameType] = []
    node: object = task.get_coro()
    for _ in range(1000):  # a guard against a custom awaitable that points at itself
        frame, node = _step_down(node)
        if frame is not None:
            frames.append(frame)
        if node is None:  # a future's iterator, a bare yield, or the end of the chain
            break
    return frames


def _running_cell_frames(chain: list[FrameType], labeler: LocationLabeler) -> list[FrameType]:
    """Frames of REPL cells on the current stack below the task's coroutines, outermost first:
    for the running task, ``%tasks`` itself is called from a cell line."""
    found: list[FrameType] = []
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame not in chain:
        if labeler(frame.f_code.co_filename) is not None:
            found.append(frame)
        frame = frame.f_back
    return found[::-1]


def _timeouts(loop: asyncio.AbstractEventLoop) -> dict[AnyTask, float]:
    """Each task under an ``asyncio.timeout`` (or 3.12's ``wait_for``) -> its deadline, read
    once per snapshot from the loop's timers."""
    found: dict[AnyTask, float] = {}
    for handle in getattr(loop, "_scheduled", ()):
        owner = getattr(getattr(handle, "_callback", None), "__self__", None)
        task = getattr(owner, "_task", None)
        if isinstance(owner, asyncio.Timeout) and task is not None and not handle.cancelled():
            found[task] = handle.when()
    return found


def _task_word(task: AnyTask) -> str:
    return f"Task {task.get_name()!r}"


def _count(what: str, items: Iterable[asyncio.Future[Any]]) -> str:
    futures = list(items)
    done = sum(1 for future in futures if future.done())
    return f"{what} of {len(futures)} ({done} done)"


def _tasks_in(items: Iterable[object]) -> list[AnyTask]:
    return [item for item in items if isinstance(item, asyncio.Task) and not item.done()]


class _Describer:
    """Puts into words what one task awaits, and which tasks those are."""

    def __init__(self, now: float, timeouts: dict[AnyTask, float]) -> None:
        self.now = now
        self.timeouts = timeouts

    def left(self, when: float, word: str = " left") -> str:
        return f"{format_duration(when - self.now)}{word}"

    def describe(self, task: AnyTask, frames: list[FrameType]) -> tuple[str, list[AnyTask]]:
        call = next((f for f in frames if f.f_code.co_filename.startswith(_ASYNCIO_DIR)), None)
        # A task made on asyncio's coroutine itself (create_task(server.serve_forever())):
        # it does not await that call, it is it; what it awaits is the future under it.
        own = call is not None and call is frames[0]
        text, awaited = self.library_call(call, task, own) if call is not None else (None, [])
        if text is None:
            text, awaited = self.future(getattr(task, "_fut_waiter", None))
        deadline = self.timeouts.get(task)
        if deadline is not None and not text.startswith("asyncio.wait_for"):
            text += f", timeout in {self.left(deadline, '')}"
        return text, awaited

    def library_call(
        self, frame: FrameType, task: AnyTask, own: bool = False
    ) -> tuple[str | None, list[AnyTask]]:
        """What an asyncio coroutine in the chain does: the call the user wrote; None for
        a call not known here that is the task's ``own`` coroutine."""
        qualname = frame.f_code.co_qualname
        local = frame.f_locals
        if qualname == "sleep":
            if hasattr(local.get("h"), "when"):
                return f"asyncio.sleep, {self.left(local['h'].when())}", []
            return "asyncio.sleep(0), runs again on the loop's next turn", []
        if qualname == "wait_for":
            inner = _tasks_in([local.get("fut")])
            what = f"asyncio.wait_for({_task_word(inner[0])})" if inner else "asyncio.wait_for"
            handle: Any = local.get("timeout_handle")  # 3.11; 3.12+ uses asyncio.timeout
            deadline = handle.when() if hasattr(handle, "when") else self.timeouts.get(task)
            return (f"{what}, {self.left(deadline)}" if deadline else what), inner
        if qualname in ("_wait", "wait") and isinstance(local.get("fs"), set | list):
            return _count("asyncio.wait", local["fs"]), _tasks_in(local["fs"])
        if qualname == "TaskGroup.__aexit__":
            children = _tasks_in(getattr(local.get("self"), "_tasks", ()))
            many = "tasks are" if len(children) != 1 else "task is"
            return f"TaskGroup: {len(children)} {many} still running", children
        if qualname == "to_thread":
            func = local.get("func")
            return f"to_thread({getattr(func, '__qualname__', 'a function')})", []
        if qualname == "Queue.put":
            return "Queue.put() (the queue is full)", []
        if qualname in _CALLS:
            return _CALLS[qualname], []
        if own or qualname.startswith("_") or "<" in qualname:
            return None, []
        return f"{qualname}()", []

    def future(self, future: object) -> tuple[str, list[AnyTask]]:
        """What a bare future is: a task, a gather, an executor's result, or just a Future."""
        if future is None:
            return "nothing: it yielded to the loop and runs again soon", []
        if isinstance(future, asyncio.Task):
            return _task_word(future), _tasks_in([future])
        children = getattr(future, "_children", None)
        if isinstance(children, list):
            return _count("gather", children), _tasks_in(children)
        callbacks = getattr(future, "_callbacks", None) or ()
        if any(getattr(cb, "__name__", "") == "_call_check_cancel" for cb, _ in callbacks):
            return "a function running in a thread (run_in_executor)", []
        return "a Future", []


def awaiters_of(future: asyncio.Future[Any], _seen: set[int] | None = None) -> list[AnyTask]:
    """The tasks waiting for ``future``: the owners of its wake-up callbacks, also through a
    future that holds it (``gather``'s and ``shield``'s callbacks keep theirs in a closure).

    :param future: a task or future.
    """
    seen = {id(future)} if _seen is None else _seen
    found: list[AnyTask] = []
    for callback, _context in getattr(future, "_callbacks", None) or ():
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, asyncio.Task) and owner is not future:
            found.append(owner)
        for cell in getattr(callback, "__closure__", None) or ():
            try:
                outer = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if isinstance(outer, asyncio.Future) and id(outer) not in seen:
                seen.add(id(outer))
                found.extend(task for task in awaiters_of(outer, seen) if task not in found)
    return found


def snapshot_task(
    task: AnyTask,
    *,
    recorder: RecorderView | None = None,
    labeler: LocationLabeler = default_labeler,
    now: float | None = None,
    ids: TaskIds | None = None,
    timeouts: dict[AnyTask, float] | None = None,
) -> TaskInfo:
    """One task as ``%tasks`` shows it. Never raises: an odd task gets a plain record.

    :param task: a task of any loop, live or finished.
    :param recorder: gives ids, creation place, parent, run time and steps; None without one.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param now: the task's loop clock (``loop.time()``) for "0.13 s left"; read when None.
    :param ids: ids for tasks when there is no recorder.
    :param timeouts: the loop's ``asyncio.timeout`` deadlines, computed when None.
    """
    ids = ids or TaskIds()
    ident = recorder.task_id if recorder is not None else ids.id_of
    try:
        return _snapshot(task, recorder, labeler, now, ident, timeouts)
    except Exception:  # our bug or a very odd object: never break the user's session
        if not _logged:
            _logged.append(True)
            log.exception("asyncrepl could not describe task %r", task)
        return TaskInfo(0, task.get_name(), "?", TaskState.SUSPENDED, awaiting="?")


def _snapshot(
    task: AnyTask,
    recorder: RecorderView | None,
    labeler: LocationLabeler,
    now: float | None,
    ident: Callable[[AnyTask], int],
    timeouts: dict[AnyTask, float] | None,
) -> TaskInfo:
    loop = task.get_loop()
    coro = task.get_coro()
    stats = recorder.stats(task) if recorder is not None else None
    common: dict[str, Any] = {
        "id": ident(task),
        "name": task.get_name(),
        "coro": getattr(coro, "__qualname__", type(coro).__name__),
    }
    if stats is not None:
        common.update({name: getattr(stats, name) for name in _STATS})
    if task.done():
        state, outcome = describe_end(task, None, labeler)
        return TaskInfo(state=state, outcome=outcome, **common)
    running = asyncio.current_task(loop) is task if loop.is_running() else False
    if stats is None:
        common["is_cell"] = running
    frames = _await_chain(task)
    if running:  # the snapshot runs inside this task: add the cell lines it is running now
        frames += _running_cell_frames(frames, labeler)
    chain = tuple(frame_location(frame, labeler) for frame in frames)
    if running:
        return TaskInfo(state=TaskState.RUNNING, frames=chain, **common)
    if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
        return TaskInfo(state=TaskState.SCHEDULED, **common)
    timeouts = _timeouts(loop) if timeouts is None else timeouts
    describer = _Describer(loop.time() if now is None else now, timeouts)
    awaiting, awaited = describer.describe(task, frames)
    return TaskInfo(
        state=TaskState.SUSPENDED,
        frames=chain,
        awaiting=awaiting,
        awaiting_ids=tuple(dict.fromkeys(ident(t) for t in awaited)),
        **common,
    )


def snapshot_tasks(
    loop: asyncio.AbstractEventLoop,
    *,
    recorder: RecorderView | None = None,
    labeler: LocationLabeler = default_labeler,
    now: float | None = None,
    ids: TaskIds | None = None,
) -> list[TaskInfo]:
    """All live tasks of ``loop``, in id order. An awaiting task also lists, in
    ``awaiting_ids``, the tasks whose wake-up callbacks name it.

    :param loop: the event loop (running or not).
    :param recorder: the recorder watching ``loop``, or None.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param now: the loop's clock for "0.13 s left"; ``loop.time()`` when None.
    :param ids: ids for tasks when there is no recorder; keep one per session for stable ids.
    """
    tasks = list(asyncio.all_tasks(loop))
    ids = ids or TaskIds()
    if recorder is None:
        ids.number(tasks)
    timeouts = _timeouts(loop)
    now = loop.time() if now is None else now
    infos = {
        task: snapshot_task(
            task, recorder=recorder, labeler=labeler, now=now, ids=ids, timeouts=timeouts
        )
        for task in tasks
    }
    extra: dict[AnyTask, list[int]] = {}
    for task, info in infos.items():
        for waiter in awaiters_of(task):
            if waiter in infos and info.id not in infos[waiter].awaiting_ids:
                extra.setdefault(waiter, []).append(info.id)
    for waiter, more in extra.items():
        old = infos[waiter]
        infos[waiter] = old._replace(awaiting_ids=old.awaiting_ids + tuple(more))
    return sorted(infos.values(), key=lambda info: info.id)
