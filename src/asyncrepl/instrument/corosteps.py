"""Recording a loop that is not asyncio's own (uvloop, whose callbacks are compiled, not
asyncio Handles): neither the recording round nor the ``Handle._run`` wrapper ever runs
there. What any loop does keep is the public task factory, and every task step is a call of
its coroutine's ``send`` or ``throw``. So the factory gives each new task a thin coroutine
around the user's that notes when each of those calls starts and ends, into the same stage
the round would fill. Plain callbacks, and what a task waited for, are not seen this way."""

from __future__ import annotations

import asyncio
import collections.abc
from collections.abc import Callable, Generator
from typing import Any

from asyncrepl.instrument.rounds import Stage, idle_all
from asyncrepl.instrument.sites import Site, add_boundary, caller_site
from asyncrepl.instrument.tasks import Task

__all__ = ["MISSING", "StepTimer", "can_watch", "unwatch", "watch", "watching"]

#: What this way of recording leaves out, for the chart's notes.
MISSING = (
    "On {kind}, asyncrepl times each task's steps from the task itself: plain callbacks "
    "and what tasks waited for are not recorded (its callbacks are not asyncio's)."
)

#: Told about each task made: ``made(task, coro, parent, where)``; returns its id.
Made = Callable[[Any, Any, "asyncio.Task[Any] | None", "Site | None"], int]


class StepTimer:
    """The coroutine a task runs: the user's, with each step's start and end noted."""

    __slots__ = ("coro", "stage", "who")

    def __init__(self, coro: Any, stage: Stage) -> None:
        self.coro = coro
        self.stage = stage
        self.who = 0  # set once the task has its id

    def send(self, value: Any) -> Any:
        stage = self.stage
        stage.starts.append(stage.clock())
        stage.whos.append(self.who)
        try:
            return self.coro.send(value)
        finally:
            idle_all((stage,))

    def throw(self, *args: Any) -> Any:
        stage = self.stage
        stage.starts.append(stage.clock())
        stage.whos.append(self.who)
        try:
            return self.coro.throw(*args)
        finally:
            idle_all((stage,))

    def __next__(self) -> Any:
        return self.send(None)

    def close(self) -> None:
        self.coro.close()

    def __await__(self) -> Generator[Any, None, Any]:
        return self

    def __iter__(self) -> StepTimer:
        return self

    def __getattr__(self, name: str) -> Any:
        # cr_frame, cr_await, cr_code, __qualname__...: what %tasks reads of a coroutine.
        return getattr(self.coro, name)


collections.abc.Coroutine.register(StepTimer)
add_boundary(StepTimer.send.__code__)
add_boundary(StepTimer.throw.__code__)


class _Watch:
    """One loop's task factory while it is recorded this way."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stage: Stage, made: Made) -> None:
        self.loop = loop
        self.stage = stage
        self.made = made
        self.user_factory = loop.get_task_factory()

    def __call__(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        timer = StepTimer(coro, self.stage)
        task: Any
        if self.user_factory is not None:
            task = self.user_factory(loop, timer, **kwargs)
        else:
            task = Task(timer, loop=loop, **kwargs)
        try:
            timer.who = self.made(task, coro, asyncio.current_task(loop), caller_site(1))
        except Exception:
            self.stage.fail()
        return task


_watches: dict[asyncio.AbstractEventLoop, _Watch] = {}


def can_watch(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` takes a task factory (every asyncio-compatible loop should).

    :param loop: a loop the other ways cannot record.
    """
    return callable(getattr(loop, "set_task_factory", None)) and not loop.is_closed()


def watch(loop: asyncio.AbstractEventLoop, stage: Stage, made: Made) -> None:
    """Time the steps of ``loop``'s tasks made from now on, into ``stage``.

    :param loop: the loop.
    :param stage: where the entries go.
    :param made: told of each new task; returns its id.
    """
    if loop in _watches:
        return
    watcher = _watches[loop] = _Watch(loop, stage, made)
    loop.set_task_factory(watcher)


def unwatch(loop: asyncio.AbstractEventLoop) -> None:
    """Stop: the loop's task factory is the user's again.

    :param loop: a loop given to :func:`watch`.
    """
    watcher = _watches.pop(loop, None)
    if watcher is None:
        return
    factory: Any = None if loop.is_closed() else loop.get_task_factory()
    if factory is watcher:
        loop.set_task_factory(watcher.user_factory)
    watcher.stage.flush()


def watching(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is recorded this way.

    :param loop: any loop.
    """
    return loop in _watches
