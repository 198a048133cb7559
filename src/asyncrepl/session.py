"""One REPL session's state, without IPython: the recorder, the watchdog, and the journal
of what went wrong, which the magics read and the shell writes."""

from __future__ import annotations

import collections
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from asyncrepl.labels import LocationLabeler, default_labeler

__all__ = ["Incident", "IncidentKind", "Journal", "Session"]


class IncidentKind(enum.Enum):
    """What kind of thing went wrong (or was flagged)."""

    EXCEPTION = "exception"  # a cell raised
    TASK_EXCEPTION = "task-exception"  # a background task ended with an exception
    WARNING = "warning"  # a Python warning, e.g. a coroutine never awaited
    FINDING = "finding"  # the static check flagged a line (a records.Finding)
    BLOCK = "block"  # the watchdog saw the loop blocked (a records.BlockReport)
    HINT = "hint"  # asyncrepl stepped in: asyncio.run() awaited, a coroutine not awaited


@dataclass(frozen=True)
class Incident:
    """One entry of the journal.

    :param kind: see :class:`IncidentKind`.
    :param payload: the exception, warning message, Finding or BlockReport.
    :param cell: the execution count of the cell it belongs to, 0 when unknown.
    :param code: the explanation key when the reporter already knows it (``"unawaited-coroutine"``).
    :param source: the cell's source, for showing and correcting the user's own line.
    """

    kind: IncidentKind
    payload: Any
    cell: int = 0
    code: str = ""
    source: str = ""


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

    def for_cell(self, cell: int) -> list[Incident]:
        """Incidents of one cell, oldest first."""
        return [item for item in self._items if item.cell == cell]

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
