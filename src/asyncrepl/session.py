"""One REPL session's state, without IPython: the recorder, the watchdog, and the journal
of what went wrong, which the magics read and the shell writes."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asyncrepl.labels import LocationLabeler, default_labeler

if TYPE_CHECKING:  # the records are imported when something goes wrong, not at start-up
    from asyncrepl.records import Incident

__all__ = ["Journal", "Session"]


@dataclass
class Journal:
    """The last things that went wrong, newest last, bounded."""

    limit: int = 50
    _items: collections.deque[Incident] = field(default_factory=collections.deque)

    def add(self, incident: Incident) -> None:
        """Remember ``incident``; forget the oldest past :attr:`limit`."""
        self._items.append(incident)
        while len(self._items) > self.limit:
            self._items.popleft()

    def last(self) -> Incident | None:
        """The newest incident, or None."""
        return self._items[-1] if self._items else None

    def clear(self) -> None:
        self._items.clear()

    def __iter__(self) -> Iterator[Incident]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Session:
    """What asyncrepl knows about one session. The IPython layer creates it and fills it in.

    :param labeler: turns filenames into ``<cell N>`` labels.
    :param recorder: the loop recorder (``asyncrepl.instrument.recorder.Recorder``) or None.
    :param watchdog: the run-time blocking detector or None.
    """

    labeler: LocationLabeler = default_labeler
    recorder: Any = None
    watchdog: Any = None
    journal: Journal = field(default_factory=Journal)
    #: The execution count of the cell that runs now (or ran last).
    cell: int = 0
    #: Monotonic start and end of each cell that ran on the loop: ``{cell: (start, end)}``.
    cell_windows: dict[int, tuple[float, float | None]] = field(default_factory=dict)
