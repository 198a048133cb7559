"""Loops that start while a recording listens. A program makes its loops in many ways (
``asyncio.run``, ``asyncio.Runner``, a policy of its own, ``loop_factory=``, a thread per loop),
and a policy or factory can be replaced under us; but every asyncio loop runs through
``BaseEventLoop.run_forever`` (``run_until_complete`` calls it), in the thread that runs it.
So, while someone listens, that public method first tells the listeners. A loop that is not
asyncio's (uvloop) has a run_forever of its own, compiled; ``uvloop.run`` and
``asyncio.run`` with uvloop's policy start it through ``asyncio.Runner.run``, which tells the
listeners (of any loop) before it makes the main task."""

from __future__ import annotations

import asyncio
import logging
import threading
from asyncio import base_events
from collections.abc import Callable
from typing import Any

__all__ = ["LoopStarted", "listen"]

log = logging.getLogger("asyncrepl")

#: Told, in the loop's own thread, that ``loop`` is about to run.
LoopStarted = Callable[[asyncio.AbstractEventLoop], None]

_LOOP_CLASS: Any = base_events.BaseEventLoop
_ORIGINAL = _LOOP_CLASS.__dict__["run_forever"]
_RUNNER: Any = asyncio.Runner
_RUNNER_RUN = _RUNNER.__dict__["run"]
_listeners: list[LoopStarted] = []
_lock = threading.Lock()


def _run_forever(self: Any) -> None:
    _tell(self)
    _ORIGINAL(self)


def _tell(loop: asyncio.AbstractEventLoop) -> None:
    for listener in tuple(_listeners):
        try:
            listener(loop)
        except Exception:  # our bug: the loop runs anyway, unrecorded
            log.exception("asyncrepl: could not start recording a loop")


def _runner_run(self: Any, coro: Any, **kwargs: Any) -> Any:
    # Told before run() makes the main task, so that the recorder makes it (and knows it
    # as its own: a task made before is only adopted); run_forever tells again, harmlessly.
    _tell(self.get_loop())  # the loop is made now if not yet, as run() would
    return _RUNNER_RUN(self, coro, **kwargs)


def listen(listener: LoopStarted) -> Callable[[], None]:
    """Tell ``listener`` about each asyncio loop about to run (from the loop's thread) until
    the returned function is called.

    :param listener: called with the loop; what it raises is logged, and the loop runs.
    :returns: the function that stops telling it.
    """
    with _lock:
        _listeners.append(listener)
        if _LOOP_CLASS.__dict__["run_forever"] is _ORIGINAL:
            _LOOP_CLASS.run_forever = _run_forever
        if _RUNNER.__dict__["run"] is _RUNNER_RUN:
            _RUNNER.run = _runner_run

    def stop() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)
            if not _listeners and _LOOP_CLASS.__dict__["run_forever"] is _run_forever:
                _LOOP_CLASS.run_forever = _ORIGINAL
            if not _listeners and _RUNNER.__dict__["run"] is _runner_run:
                _RUNNER.run = _RUNNER_RUN

    return stop
