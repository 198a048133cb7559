"""Four methods of asyncio's ``BaseEventLoop``, replaced while some loop is watched: each
looks the loop up among the watched ones and does the watched thing, or asyncio's own.
Patching the class, not the loop, keeps the loop's own attributes as asyncio made them
(one attribute too many makes every attribute read of the loop slower on 3.13)."""

from __future__ import annotations

import asyncio
import functools
import sys
from asyncio import base_events
from collections.abc import Callable
from types import BuiltinFunctionType, FrameType
from typing import Any, Protocol

from asyncrepl.instrument.sites import add_boundary
from asyncrepl.instrument.tasks import Task

__all__ = [
    "ORIGINAL",
    "LoopHooks",
    "dispatched_create_task_code",
    "is_stock",
    "patch_class",
    "restore_class",
    "watched",
]

AnyTask = asyncio.Task[Any]
TaskFactory = Callable[..., "asyncio.Future[Any]"]
_NAMES = ("_run_once", "create_task", "set_task_factory", "get_task_factory")
_LOOP_CLASS: Any = base_events.BaseEventLoop
#: asyncio's own methods, as they were before any patch.
ORIGINAL: dict[str, Any] = {name: _LOOP_CLASS.__dict__[name] for name in _NAMES}


class LoopHooks(Protocol):
    """What a watched loop's patch gives the methods here."""

    #: the recording round, or None to run asyncio's own.
    round: Callable[[], None] | None
    #: in the usual case (one watcher, no task factory of the user's), told about each new
    #: task: ``made(task, coro, parent, caller)``, ``caller`` the frame that called
    #: ``create_task``; None otherwise.
    made: Callable[[Task, object, AnyTask | None, FrameType], None] | None
    #: with ``made``: told about each new task after it, as the loop's task factory (a
    #: :class:`~asyncrepl.instrument.tasks.ListeningFactory`) would have; or None.
    listener: Callable[[Task], None] | None

    def made_failed(self) -> None:
        """``made`` raised: switch its watcher off."""

    def set_task_factory(self, factory: TaskFactory | None) -> None:
        """The user sets a task factory."""

    def get_task_factory(self) -> TaskFactory | None:
        """The user's task factory."""


_caller = functools.partial(sys._getframe, 1)  # the frame that called create_task
#: The task running on a loop, as ``asyncio.current_task(loop)`` says: on 3.11 that is a
#: Python function reading asyncio's dict of current tasks, which is read here directly
#: (a call less for each task made); from 3.12 on, asyncio's C function.
_current_task: Callable[[Any], Any] = (
    asyncio.tasks._current_tasks.get  # type: ignore[attr-defined]
    if not isinstance(asyncio.current_task, BuiltinFunctionType)
    and isinstance(getattr(asyncio.tasks, "_current_tasks", None), dict)
    else asyncio.current_task
)
#: The watched loops.
watched: dict[asyncio.AbstractEventLoop, LoopHooks] = {}
_get = watched.get


def _run_once(self: Any) -> None:
    hooks = _get(self)
    if hooks is None or hooks.round is None:
        ORIGINAL["_run_once"](self)
    else:
        hooks.round()


def _create_task(self: Any, coro: Any, **kwargs: Any) -> Any:
    hooks = _get(self)
    made = hooks.made if hooks is not None else None
    if made is None or not _USUAL_KWARGS.issuperset(kwargs):
        # Anything else (a task factory, eager_start=, what a newer asyncio passes): asyncio's
        # own create_task, with every argument as given; our task factory sees the task.
        return ORIGINAL["create_task"](self, coro, **kwargs)
    # asyncio's create_task for a loop without a task factory, making an asyncrepl Task.
    if self._closed:
        raise RuntimeError("Event loop is closed")
    task: Any = Task(coro, loop=self, **kwargs)
    if task._source_traceback:  # debug mode: where create_task was called from
        del task._source_traceback[-1]
    listener = hooks.listener  # type: ignore[union-attr]  # read first: made may fail
    try:
        made(task, coro, _current_task(self), _caller())
    except Exception:
        hooks.made_failed()  # type: ignore[union-attr]
    if listener is not None:
        listener(task)
    return task


#: The keywords of ``create_task`` that the short path above handles as asyncio does.
_USUAL_KWARGS = frozenset(("name", "context"))


def _set_task_factory(self: Any, factory: TaskFactory | None) -> None:
    hooks = _get(self)
    if hooks is None:
        ORIGINAL["set_task_factory"](self, factory)
    else:
        hooks.set_task_factory(factory)


def _get_task_factory(self: Any) -> TaskFactory | None:
    hooks = _get(self)
    if hooks is None:
        return ORIGINAL["get_task_factory"](self)  # type: ignore[no-any-return]
    return hooks.get_task_factory()


_PATCHES: dict[str, Any] = {
    "_run_once": _run_once,
    "create_task": _create_task,
    "set_task_factory": _set_task_factory,
    "get_task_factory": _get_task_factory,
}
add_boundary(_run_once.__code__)
#: The code of our create_task, which holds the ``name`` it was given (see install.py).
dispatched_create_task_code = _create_task.__code__


def is_stock(loop: asyncio.AbstractEventLoop, name: str) -> bool:
    """Whether ``loop``'s class uses asyncio's own method ``name`` (patched or not).

    :param loop: any loop.
    :param name: ``"_run_once"`` or ``"create_task"``.
    """
    method = getattr(type(loop), name, None)
    return method is ORIGINAL[name] or method is _PATCHES[name]


def patch_class() -> None:
    """Route the four methods through :data:`watched` (done once, while loops are watched)."""
    for name, method in _PATCHES.items():
        if _LOOP_CLASS.__dict__[name] is ORIGINAL[name]:
            setattr(_LOOP_CLASS, name, method)


def restore_class() -> None:
    """Put asyncio's own methods back (those someone else replaced since stay theirs)."""
    for name, method in _PATCHES.items():
        if _LOOP_CLASS.__dict__[name] is method:
            setattr(_LOOP_CLASS, name, ORIGINAL[name])
