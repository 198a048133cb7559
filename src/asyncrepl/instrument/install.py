"""Recording a loop needs every step it runs and every task it makes, and asyncio has no
hook for either; meanwhile several recorders may watch one loop, the program may set a task
factory of its own (which must still run), and a loop class may run its callbacks its own
way. So each watched loop has one owner, a ``_LoopPatch`` in :data:`loopclass.watched` (the
one registry): it holds the loop's watchers, its recording round (or, where that round's
private seams do not fit, the ``Handle._run`` wrapper of
:mod:`~asyncrepl.instrument.handlerun`), and the task factory that tells every watcher about
new tasks and calls the user's; :mod:`~asyncrepl.instrument.loopclass` routes asyncio's loop
methods to it. The last watcher to leave takes the patches out."""

from __future__ import annotations

import asyncio
import logging
import sys
from asyncio import events
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from asyncrepl.instrument import handlerun, loopclass
from asyncrepl.instrument.rounds import Stage, make_round
from asyncrepl.instrument.seams import round_misfit
from asyncrepl.instrument.sites import Site, caller_site
from asyncrepl.instrument.tasks import ListeningFactory, Task, notes

__all__ = [
    "Task",
    "Watcher",
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

    def link(self, loop: asyncio.AbstractEventLoop) -> Stage:
        """Return the stage the loop's round records ``loop``'s steps into."""
        ...

    def unlink(self) -> None:
        """The round no longer records into the stage given by :meth:`link`."""
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

    def task_made(
        self, task: Task, coro: object, parent: AnyTask | None, caller: FrameType
    ) -> None:
        """What :meth:`task_created` is told in the usual case, without a token or a name:
        ``task`` is new, made by asyncio's own create_task, and this is the only watcher;
        ``caller`` is the frame that called ``create_task`` (the watcher finds the user's line
        from it, and times what it does for the task: see ``LoopLog.recording_in``)."""
        ...

    def made_note(self) -> Callable[[Task, object, AnyTask | None, FrameType], None]:
        """What to call instead of :meth:`task_made`: itself, or a faster twin of it."""
        ...

    def task_cancelling(
        self, task: AnyTask, by: AnyTask | None, where: Site | None, msg: Any
    ) -> None:
        """``task.cancel(msg)`` was called (and took effect) from ``by``, at ``where``."""
        ...


class _LoopPatch:
    """One watched loop: its watchers, its recording round, and the task factory set by its
    user (see :mod:`~asyncrepl.instrument.loopclass` for how the loop's methods find it)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.watchers: list[Watcher] = []
        self.user_factory: TaskFactory | None = loop.get_task_factory()
        self.round: Callable[[], None] | None = None  # the recording round, while linked
        self.made: Callable[[Task, object, AnyTask | None, FrameType], None] | None = None
        self.listener: Callable[[Task], None] | None = None
        #: the listener of a ListeningFactory that a factory of the user's replaced (say
        #: asyncio.eager_task_factory): the failure reporter still watches every task.
        self.kept_listener: Callable[[Any], None] | None = None
        stock = loopclass.ORIGINAL["create_task"]
        own = stock if loopclass.is_stock(loop, "create_task") else type(loop).create_task
        self.create_task_code = getattr(own, "__code__", None)
        #: why the recording round does not fit this loop (None: it does).
        self.misfit: str | None = None
        if not loopclass.is_stock(loop, "_run_once"):
            self.misfit = "the loop runs its callbacks its own way"
        else:
            self.misfit = round_misfit(loop, loopclass.ORIGINAL["_run_once"])

    def set_original(self, factory: TaskFactory | None) -> None:
        """Set the task factory asyncio's create_task really calls."""
        loopclass.ORIGINAL["set_task_factory"](self.loop, factory)

    def install(self) -> None:
        loopclass.watched[self.loop] = self
        loopclass.patch_class()

    def uninstall(self) -> None:
        self.round = self.made = self.listener = None
        handlerun.leave(self.loop)
        factory = self.user_factory
        if self.kept_listener is not None:  # the listener goes on watching the user's tasks
            factory = ListeningFactory(self.kept_listener, make=factory)
        self.set_original(factory)
        loopclass.watched.pop(self.loop, None)
        if not loopclass.watched:
            loopclass.restore_class()

    def set_task_factory(self, factory: TaskFactory | None) -> None:
        """The loop's ``set_task_factory`` while watched: keep ours, call theirs."""
        if factory is not None and not callable(factory):
            raise TypeError("task factory must be a callable or None")
        current = self.user_factory
        if isinstance(factory, ListeningFactory):
            self.kept_listener = None
        elif isinstance(current, ListeningFactory):
            self.kept_listener = current.listener
        self.user_factory = factory
        self._choose_factory()

    def get_task_factory(self) -> TaskFactory | None:
        return self.user_factory

    def relink(self) -> None:
        """Give the loop a round that records into each watcher's stage (or, where that
        round does not fit, the ``Handle._run`` wrapper), and the task factory that tells
        them about new tasks."""
        self.round = None
        handlerun.leave(self.loop)
        if self.watchers:
            stages = tuple(watcher.link(self.loop) for watcher in self.watchers)
            if self.misfit is None:
                self.round = make_round(self.loop, stages)
            else:
                handlerun.follow(self.loop, stages)
        self._choose_factory()

    def made_failed(self) -> None:
        _switch_off(self, self.watchers[0], "task_created")

    def _choose_factory(self) -> None:
        """Our task factory tells every watcher; in the usual case (one watcher, no factory
        of the user's, asyncio's own create_task) create_task makes the task itself."""
        self.made = self.listener = None
        if not self.watchers:
            return
        self.set_original(self.factory)
        factory = self.user_factory
        plain = factory is None or (isinstance(factory, ListeningFactory) and factory.make is None)
        if plain and len(self.watchers) == 1 and loopclass.is_stock(self.loop, "create_task"):
            self.made = self.watchers[0].made_note()
            self.listener = self._listener()

    def _listener(self) -> Callable[[Any], None] | None:
        """Who is told about each task made here: the loop's ListeningFactory's listener, or
        the one that a factory of the user's replaced."""
        factory = self.user_factory
        return factory.listener if isinstance(factory, ListeningFactory) else self.kept_listener

    def factory(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        """The task factory the loop uses outside the usual case: tells each watcher before
        (a user's factory might run the first step at once) and after."""
        watchers = tuple(self.watchers)
        user_factory = self.user_factory
        # A ListeningFactory of its own makes our Task and tells its listener, no more.
        listening = isinstance(user_factory, ListeningFactory) and user_factory.make is None
        careful = (user_factory is not None and not listening) or bool(kwargs.get("eager_start"))
        tell = self._listener()
        if not careful:
            task = Task(coro, loop=loop, **kwargs)
            tokens: tuple[object, ...] = (None,) * len(watchers)
        else:  # the task may run its first step at once
            tokens = tuple(_guarded(self, w, w.task_creating) for w in watchers)
            try:
                task = self.make(user_factory, loop, coro, kwargs)
            except BaseException:
                for watcher, token in zip(watchers, tokens, strict=True):
                    _guarded(self, watcher, watcher.task_created, None, token)
                raise
            if isinstance(user_factory, ListeningFactory):
                tell = None  # it told its listener itself
        if tell is not None:
            tell(task)
        parent = asyncio.current_task(loop)
        where = caller_site(1)
        name = None
        if careful and task.done() and type(task) is not Task:  # see LoopLog._task_created
            name = self._eager_name(sys._getframe(1), kwargs)
        for watcher, token in zip(watchers, tokens, strict=True):
            try:
                watcher.task_created(task, token, coro, parent, where, name)
            except Exception:
                _switch_off(self, watcher, "task_created")
        return task

    @staticmethod
    def make(factory: TaskFactory | None, loop: Any, coro: Any, kwargs: dict[str, Any]) -> Any:
        if factory is None:
            return Task(coro, loop=loop, **kwargs)
        if factory is _EAGER_FACTORY:
            return Task(coro, loop=loop, **{"eager_start": True, **kwargs})
        return factory(loop, coro, **kwargs)

    def _eager_name(self, caller: FrameType | None, kwargs: dict[str, Any]) -> str | None:
        """The name ``create_task(name=...)`` gives a task after the factory returns, for a
        task that already finished inside it (the loop's ``create_task`` or, on some
        versions, ``asyncio.create_task`` names it afterwards)."""
        if kwargs.get("name") is not None:
            return str(kwargs["name"])
        namers = (self.create_task_code, _ASYNCIO_CREATE_TASK, _DISPATCHED_CREATE_TASK)
        for _ in range(3):
            if caller is None or caller.f_code not in namers:
                return None
            name = caller.f_locals.get("name")
            if name is not None:
                return str(name)
            caller = caller.f_back
        return None


_ASYNCIO_CREATE_TASK = getattr(asyncio.tasks.create_task, "__code__", None)
_DISPATCHED_CREATE_TASK = loopclass.dispatched_create_task_code


def _patch_of(loop: asyncio.AbstractEventLoop) -> _LoopPatch | None:
    """The watched loop's patch: the one registry is :data:`loopclass.watched`."""
    return loopclass.watched.get(loop)  # type: ignore[return-value]


_EAGER_FACTORY = getattr(asyncio, "eager_task_factory", object())


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
    patch = _patch_of(loop)
    if patch is None:
        return
    by = asyncio.current_task(loop)
    where = caller_site(2)
    for watcher in list(patch.watchers):
        _guarded(patch, watcher, watcher.task_cancelling, task, by, where, msg)


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
    if not isinstance(handle, events.Handle) or own_run is not events.Handle._run:
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
    patch = _patch_of(loop)
    if patch is None:
        patch = _LoopPatch(loop)
        patch.install()
    if watcher not in patch.watchers:
        patch.watchers.append(watcher)
    patch.relink()
    notes.cancel = _note_cancel
    return None


def unwatch(loop: asyncio.AbstractEventLoop, watcher: Watcher) -> None:
    """Stop telling ``watcher`` about ``loop``; the last watcher takes the patches out.

    :param loop: a loop passed to :func:`watch`.
    :param watcher: the watcher passed with it.
    """
    patch = _patch_of(loop)
    if patch is None or watcher not in patch.watchers:
        return
    patch.watchers.remove(watcher)
    watcher.unlink()
    patch.relink()
    if not patch.watchers:
        patch.uninstall()
    if not loopclass.watched:
        notes.cancel = None


def watchers_of(loop: asyncio.AbstractEventLoop) -> list[Watcher]:
    """The watchers of ``loop``, first called first.

    :param loop: any loop.
    """
    patch = _patch_of(loop)
    return list(patch.watchers) if patch is not None else []
