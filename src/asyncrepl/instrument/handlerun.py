"""The recorder's fallback when the recording round (:mod:`~asyncrepl.instrument.rounds`)
cannot be used: a loop class with a ``_run_once`` of its own, or an asyncio whose round uses
private names the recording round does not know. The round is fast because it replaces
asyncio's; the fallback only wraps ``Handle._run``, which every asyncio loop calls for each
callback, so it keeps working where the round's seams moved, at the cost of a call a step.
It writes the same entries into the same stages: each callback's start and who it runs,
what a woken task waited for, then an idle entry when it ends (the round writes one only
when the loop turns to waiting, which a wrapper cannot see)."""

from __future__ import annotations

import asyncio
import threading
from asyncio import events
from typing import Any

from asyncrepl.instrument.rounds import Stage, begin_all, idle_all
from asyncrepl.instrument.sites import add_boundary

__all__ = ["follow", "following", "leave"]

_ORIGINAL = events.Handle.__dict__["_run"]
#: The stages of each loop recorded this way.
_stages: dict[asyncio.AbstractEventLoop, tuple[Stage, ...]] = {}
_get = _stages.get
_lock = threading.Lock()


def _run(self: Any) -> None:
    stages = _get(self._loop)
    if not stages:
        _ORIGINAL(self)
        return
    begin_all(stages, self)
    try:
        _ORIGINAL(self)
    finally:
        idle_all(stages)


add_boundary(_run.__code__)


def follow(loop: asyncio.AbstractEventLoop, stages: tuple[Stage, ...]) -> None:
    """Record ``loop``'s callbacks into ``stages`` from now on (replacing those given before).

    :param loop: an asyncio loop whose handles are asyncio's.
    :param stages: the recorders' stages, first called first.
    """
    with _lock:
        _stages[loop] = stages
        if events.Handle.__dict__["_run"] is _ORIGINAL:
            events.Handle._run = _run  # type: ignore[method-assign]


def leave(loop: asyncio.AbstractEventLoop) -> None:
    """Stop recording ``loop`` this way; asyncio's ``Handle._run`` comes back after the last.

    :param loop: a loop given to :func:`follow`.
    """
    with _lock:
        _stages.pop(loop, None)
        if not _stages and events.Handle.__dict__["_run"] is _run:
            events.Handle._run = _ORIGINAL  # type: ignore[method-assign]


def following(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is recorded this way.

    :param loop: any loop.
    """
    return loop in _stages
