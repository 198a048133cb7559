"""The patches that let a recorder watch a loop: ``asyncio.events.Handle._run``, which every
step of every loop goes through (one patch for the process), and each watched loop's task
factory. Many loops and watchers share them; the last one to leave takes them out."""

from __future__ import annotations

import asyncio
import logging
import sys
from asyncio import events
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from asyncrepl.instrument.runner import StepRunner
from asyncrepl.instrument.sites import Site, caller_site
from asyncrepl.instrument.tasks import Task, notes

__all__ = [
    "Task",
    "Watcher",
    "dispatch",
    "unwatch",
    "unwatchable_reason",
    "watch",
    "watchers_of",
]

log = logging.getLogger("asyncrepl")

AnyTask = asyncio.Task[Any]
TaskFactory = Callable[..., "asyncio.Future[Any]"]


class Watcher(Protocol):
    """What a recorder gives this module. Each method runs on the loop's thread."""

    def link(self, loop: asyncio.AbstractEventLoop, inner: StepRunner | None) -> StepRunner:
        """Return the function that runs (and records) ``loop``'s handles, passing them on to
        ``inner`` (None: running them itself) and other loops' handles to :func:`dispatch`."""
        ...

    def unlink(self) -> None:
        """From now on, pass every handle to :func:`dispatch`."""
        ...

    def round_ended(self) -> None:
        """The loop finished a round of callbacks (one ``_run_once``)."""
        ...

    def task_creating(self) -> object:
        """``create_task`` was called and a user's task factory will make the task (it may
        run the first step at once); return a token for :meth:`task_created`."""
        ...

    def task_created(
        self,
        task: AnyTask | None,
        token: object,
        coro: object = None,
        parent: AnyTask | None = None,
        where: Site | None = None,
        name: str | None = None,
    ) -> None:
        """The factory returned ``task`` (None: it raised); ``token`` is what
        :meth:`task_creating` returned, None when it was not called. ``name`` is passed only
        for a task that finished during its eager first step, before ``create_task`` names it."""
        ...

    def task_cancelling(
        self, task: AnyTask, by: AnyTask | None, where: Site | None, msg: Any
    ) -> None:
        """``task.cancel(msg)`` was called (and took effect) from ``by``, at ``where``."""
        ...

    def task_freed(self, task: AnyTask) -> None:
        """An asyncrepl :class:`~asyncrepl.instrument.tasks.Task` of this loop is being freed."""
        ...


class _LoopPatch:
    """One watched loop: its watchers, and the task factory set by its user."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.watchers: list[Watcher] = []
        self.user_factory: TaskFactory | None = loop.get_task_factory()
        self.set_original = loop.set_task_factory
        self.create_task_code = getattr(type(loop).create_task, "__code__", None)
        self.rounds: Callable[[], None] | None = None  # our ``_run_once``, while wrapped

    def install(self) -> None:
        loop: Any = self.loop
        self.set_original(self.factory)
        loop.set_task_factory = self.set_task_factory
        loop.get_task_factory = self.get_task_factory

    def uninstall(self) -> None:
        loop: Any = self.loop
        for name, ours in (
            ("set_task_factory", self.set_task_factory),
            ("get_task_factory", self.get_task_factory),
        ):
            if loop.__dict__.get(name) == ours:
                del loop.__dict__[name]
        if loop.get_task_factory() == self.factory:
            loop.set_task_factory(self.user_factory)
        self._unwrap_rounds()

    def set_task_factory(self, factory: TaskFactory | None) -> None:
        """The loop's ``set_task_factory`` while watched: keep ours, call theirs."""
        if factory is not None and not callable(factory):
            raise TypeError("task factory must be a callable or None")
        self.user_factory = factory

    def get_task_factory(self) -> TaskFactory | None:
        return self.user_factory

    def relink(self) -> None:
        """Chain the watchers' step runners, the first one called by ``Handle._run``, and
        tell each watcher when the loop ends a round (``_run_once``)."""
        inner: StepRunner | None = None
        for watcher in reversed(self.watchers):
            inner = watcher.link(self.loop, inner)
        if inner is not None:
            _first_runner[self.loop] = inner
        else:
            _first_runner.pop(self.loop, None)
        self._unwrap_rounds()
        if self.watchers:
            self._wrap_rounds([w.round_ended for w in self.watchers])

    def _wrap_rounds(self, listeners: list[Callable[[], None]]) -> None:
        loop: Any = self.loop
        one_round = loop._run_once
        if len(listeners) == 1:
            (ended,) = listeners

            def run_once() -> None:
                try:
                    one_round()
                finally:
                    ended()

        else:

            def run_once() -> None:
                try:
                    one_round()
                finally:
                    for ended in listeners:
                        ended()

        loop._run_once = run_once
        self.rounds = run_once

    def _unwrap_rounds(self) -> None:
        loop: Any = self.loop
        if self.rounds is not None and loop.__dict__.get("_run_once") is self.rounds:
            del loop.__dict__["_run_once"]
        self.rounds = None

    def factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        """The task factory the loop really uses: tells each watcher before (only when a
        user's factory might run the first step at once) and after."""
        watchers = tuple(self.watchers)
        user_factory = self.user_factory
        if user_factory is None and len(watchers) == 1:  # the usual case, kept short
            task = Task(coro, loop=loop, **kwargs)
            try:
                watchers[0].task_created(
                    task, None, coro, asyncio.current_task(loop), caller_site(1), None
                )
            except Exception:
                _switch_off(self, watchers[0], "task_created")
            return task
        if user_factory is None:
            task = Task(coro, loop=loop, **kwargs)
            tokens: tuple[object, ...] = (None,) * len(watchers)
        else:
            tokens = tuple(_guarded(self, w, w.task_creating) for w in watchers)
            try:
                task = self.make(user_factory, loop, coro, kwargs)
            except BaseException:
                for watcher, token in zip(watchers, tokens, strict=True):
                    _guarded(self, watcher, watcher.task_created, None, token)
                raise
        parent = asyncio.current_task(loop)
        where = caller_site(1)
        name = None
        if user_factory is not None and task.done():
            name = self._eager_name(sys._getframe(1), kwargs)
        for watcher, token in zip(watchers, tokens, strict=True):
            try:
                watcher.task_created(task, token, coro, parent, where, name)
            except Exception:
                _switch_off(self, watcher, "task_created")
        return task

    @staticmethod
    def make(factory: TaskFactory, loop: Any, coro: Any, kwargs: dict[str, Any]) -> Any:
        if factory is _EAGER_FACTORY:
            return Task(coro, loop=loop, **{"eager_start": True, **kwargs})
        return factory(loop, coro, **kwargs)

    def _eager_name(self, caller: FrameType | None, kwargs: dict[str, Any]) -> str | None:
        """The name ``create_task(name=...)`` gives a task after the factory returns, for a
        task that already finished inside it (the loop's ``create_task`` or, on some
        versions, ``asyncio.create_task`` names it afterwards)."""
        if kwargs.get("name") is not None:
            return str(kwargs["name"])
        namers = (self.create_task_code, _ASYNCIO_CREATE_TASK)
        for _ in range(2):
            if caller is None or caller.f_code not in namers:
                return None
            name = caller.f_locals.get("name")
            if name is not None:
                return str(name)
            caller = caller.f_back
        return None


_ASYNCIO_CREATE_TASK = getattr(asyncio.tasks.create_task, "__code__", None)


class _State:
    """What ``Handle._run`` was before we patched it, and what we put there last."""

    def __init__(self) -> None:
        self.original_run: StepRunner = events.Handle._run
        self.installed: StepRunner | None = None


_state = _State()
_loops: dict[asyncio.AbstractEventLoop, _LoopPatch] = {}
#: loop -> the first step runner of its chain.
_first_runner: dict[asyncio.AbstractEventLoop, StepRunner] = {}
_first_runner_get = _first_runner.get
_EAGER_FACTORY = getattr(asyncio, "eager_task_factory", object())


def dispatch(handle: events.Handle) -> None:
    """Run a handle through its loop's runners, or as asyncio would when it is not watched.
    ``Handle._run`` is this while several loops are watched."""
    runner = _first_runner_get(handle._loop)  # type: ignore[attr-defined]
    if runner is None:
        _state.original_run(handle)
    else:
        runner(handle)


def _apply() -> None:
    """Point ``Handle._run`` at the cheapest correct entry: the original when nothing is
    watched, the loop's own runner when one loop is, :func:`dispatch` for several. Every
    runner passes other loops' handles to :func:`dispatch`, so an entry someone else wrapped
    in the meantime stays correct; then we leave their wrapper alone."""
    current = events.Handle._run
    if _state.installed is not None and current is not _state.installed:
        return
    if not _first_runner:
        if _state.installed is not None:
            setattr(events.Handle, "_run", _state.original_run)  # noqa: B010  # a method
            _state.installed = None
        return
    if _state.installed is None:
        _state.original_run = current
    entry = next(iter(_first_runner.values())) if len(_first_runner) == 1 else dispatch
    setattr(events.Handle, "_run", entry)  # noqa: B010  # a method, typed as one
    _state.installed = entry


def _guarded(
    patch: _LoopPatch, watcher: Watcher, hook: Callable[..., Any], *args: Any, **kw: Any
) -> Any:
    """Call a watcher's hook; a watcher that raises is unhooked and logged, once."""
    try:
        return hook(*args, **kw)
    except Exception:
        _switch_off(patch, watcher, hook.__name__)
        return None


def _switch_off(patch: _LoopPatch, watcher: Watcher, where: str) -> None:
    """A watcher's hook raised: log it (with the traceback being handled) and unhook it."""
    log.exception("asyncrepl: the loop recorder failed in %s and is switched off", where)
    unwatch(patch.loop, watcher)


def _note_cancel(task: AnyTask, msg: Any) -> None:
    loop = task.get_loop()
    patch = _loops.get(loop)
    if patch is None:
        return
    by = asyncio.current_task(loop)
    where = caller_site(2)
    for watcher in list(patch.watchers):
        _guarded(patch, watcher, watcher.task_cancelling, task, by, where, msg)


def _note_freed(task: AnyTask) -> None:
    patch = _loops.get(task.get_loop())
    if patch is None:
        return
    for watcher in tuple(patch.watchers):
        try:
            watcher.task_freed(task)
        except Exception:
            _switch_off(patch, watcher, "task_freed")


def _noop() -> None:
    pass


def unwatchable_reason(loop: asyncio.AbstractEventLoop) -> str | None:
    """Why ``loop`` cannot be watched, in one line, or None when it can.

    :param loop: any event loop.
    """
    kind = f"{type(loop).__module__}.{type(loop).__qualname__}"
    if not isinstance(loop, asyncio.AbstractEventLoop):
        return f"asyncrepl cannot record {kind}: it is not an asyncio event loop."
    if loop.is_closed():
        return "asyncrepl cannot record this event loop: it is closed."
    try:
        handle = loop.call_soon(_noop)
        handle.cancel()
        loop.get_task_factory()
    except Exception as exc:
        return f"asyncrepl cannot record this event loop ({kind}): {exc}."
    own_run = getattr(type(handle), "_run", None)
    rounds = getattr(loop, "_run_once", None)
    if not isinstance(handle, events.Handle) or own_run is not events.Handle._run or not rounds:
        return (
            f"asyncrepl cannot record this event loop ({kind}): its callbacks are not asyncio "
            "Handles, so there are no step timings (%timeline); the rest works."
        )
    return None


def watch(loop: asyncio.AbstractEventLoop, watcher: Watcher) -> str | None:
    """Start telling ``watcher`` about ``loop``'s steps and new tasks.

    :param loop: the loop to watch.
    :param watcher: usually a :class:`~asyncrepl.instrument.recorder.Recorder`'s hooks.
    :returns: None when watching, else one line saying why the loop cannot be watched.
    """
    reason = unwatchable_reason(loop)
    if reason is not None:
        return reason
    patch = _loops.get(loop)
    if patch is None:
        patch = _loops[loop] = _LoopPatch(loop)
        patch.install()
    if watcher not in patch.watchers:
        patch.watchers.append(watcher)
    patch.relink()
    _apply()
    notes.cancel, notes.freed = _note_cancel, _note_freed
    return None


def unwatch(loop: asyncio.AbstractEventLoop, watcher: Watcher) -> None:
    """Stop telling ``watcher`` about ``loop``; the last watcher takes the patches out.

    :param loop: a loop passed to :func:`watch`.
    :param watcher: the watcher passed with it.
    """
    patch = _loops.get(loop)
    if patch is None or watcher not in patch.watchers:
        return
    patch.watchers.remove(watcher)
    watcher.unlink()
    patch.relink()
    if not patch.watchers:
        del _loops[loop]
        patch.uninstall()
    _apply()
    if not _loops:
        notes.cancel = notes.freed = None


def watchers_of(loop: asyncio.AbstractEventLoop) -> list[Watcher]:
    """The watchers of ``loop``, first called first.

    :param loop: any loop.
    """
    patch = _loops.get(loop)
    return list(patch.watchers) if patch is not None else []
