"""A small real :class:`~asyncrepl.watchdog.BlockSource` for the tests: it wraps
``Handle._run`` of one loop while installed, and knows the step that runs now."""

from __future__ import annotations

import asyncio
import time
from asyncio import events
from typing import Any

__all__ = ["StepSource"]


class StepSource:
    """``current_step()`` and ``now()`` for one loop, like the recorder's.

    :param loop: the loop to watch.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._current: tuple[float, asyncio.Task[Any] | None] | None = None
        self._original = events.Handle._run

    def now(self) -> float:
        return time.perf_counter()

    def current_step(self) -> tuple[float, asyncio.Task[Any] | None] | None:
        return self._current

    def install(self) -> None:
        original, source = self._original, self

        def _run(handle: events.Handle) -> None:
            if handle._loop is not source.loop:  # type: ignore[attr-defined]
                return original(handle)
            owner = getattr(handle._callback, "__self__", None)  # type: ignore[attr-defined]
            task = owner if isinstance(owner, asyncio.Task) else None
            source._current = (time.perf_counter(), task)
            try:
                original(handle)
            finally:
                source._current = None

        events.Handle._run = _run  # type: ignore[method-assign]

    def uninstall(self) -> None:
        events.Handle._run = self._original  # type: ignore[method-assign]
