"""The garbage collector's long pauses, noted while a recorder records. Python's collector runs
inside whatever step of the loop is running when it is due, and a full collection over very
many live objects (100,000 tasks) takes a tenth of a second: that step then held the loop,
but for the collector, not for its own code. ``gc.callbacks`` says when each collection
starts and stops; only the long ones are kept."""

from __future__ import annotations

import collections
import gc
from collections.abc import Callable
from typing import Any

__all__ = ["LONG_PAUSE", "CollectorPauses"]

#: Collections shorter than this are not kept (a young generation's takes tens of µs).
LONG_PAUSE = 0.001
_KEPT = 1000  # the newest long pauses kept


class CollectorPauses:
    """The long pauses of the garbage collector: ``(start, end)`` on ``clock``, oldest first,
    while :meth:`listen` is on. A collection may run in any thread; each note is one append.

    :param clock: the recorder's clock.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._began = 0.0
        self.pauses: collections.deque[tuple[float, float]] = collections.deque(maxlen=_KEPT)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        """``gc.callbacks``'s hook (it must never raise)."""
        now = self._clock()
        if phase == "start":
            self._began = now
        elif now - self._began >= LONG_PAUSE:
            self.pauses.append((self._began, now))

    def listen(self) -> None:
        """Start noting (once, however often called)."""
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def stop(self) -> None:
        """Stop noting; what was noted stays."""
        while self in gc.callbacks:
            gc.callbacks.remove(self)

    def between(self, start: float, end: float) -> tuple[tuple[float, float], ...]:
        """The pauses that overlap ``[start, end]``, oldest first.

        :param start: window start, on the recorder's clock.
        :param end: window end.
        """
        return tuple(p for p in list(self.pauses) if p[1] > start and p[0] < end)
