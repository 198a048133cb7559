"""One REPL session's state, without IPython: the recorder, the watchdog, and the journal
of what went wrong, which the magics read and the shell writes."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from asyncrepl.labels import LocationLabeler, default_labeler

if TYPE_CHECKING:  # the records are imported when something goes wrong, not at start-up
    from asyncrepl.records import Incident

__all__ = ["Journal", "Session"]


# State, not records: one object each, told apart by identity. Plain classes: a dataclass's
# generated __init__ is compiled as the module is imported, at every start (0.6 ms for two).
class Journal:
    """The last things that went wrong, newest last, bounded.

    :param limit: how many to keep.
    """

    __slots__ = ("_items", "limit")

    def __init__(self, limit: int = 50) -> None:
        self.limit = limit
        self._items: collections.deque[Incident] = collections.deque()

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

    def findings(self) -> list[Any]:
        """The static check's findings (:class:`~asyncrepl.records.Finding`), oldest first."""
        from asyncrepl.records import IncidentKind  # loaded already when there are incidents

        return [item.payload for item in self._items if item.kind is IncidentKind.FINDING]

    def __iter__(self) -> Iterator[Incident]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class Session:
    """What asyncrepl knows about one session. The IPython layer creates it and fills it in.

    :param labeler: turns filenames into ``<cell N>`` labels.
    :param recorder: the loop recorder (``asyncrepl.instrument.recorder.Recorder``) or None.
    :param watchdog: the run-time blocking detector or None.
    """

    def __init__(
        self, labeler: LocationLabeler = default_labeler, recorder: Any = None, watchdog: Any = None
    ) -> None:
        self.labeler = labeler
        self.recorder = recorder
        self.watchdog = watchdog
        self.journal = Journal()
        #: The execution count of the cell that runs now (or ran last).
        self.cell = 0
        #: Monotonic start and end of each cell that ran on the loop: ``{cell: (start, end)}``.
        self.cell_windows: dict[int, tuple[float, float | None]] = {}
        #: The cells whose source runs the user's code, not only magics, shell commands or
        #: ``clear`` (the shell marks each as it starts: :meth:`mark_user_cell`).
        self.user_cells: set[int] = set()
        #: The last of :attr:`user_cells` that has ended: "the last cell" of ``%timeline``,
        #: ``%timeline --export`` and ``%explain``. None until one has ended.
        self.last_user_cell: int | None = None
        #: Called after each cell ends (a failure held back while it ran is shown then).
        self.at_cell_end: list[Callable[[], None]] = []

    @property
    def cell_running(self) -> bool:
        """Whether a cell runs now (the prompt is not waiting)."""
        window = self.cell_windows.get(self.cell)
        return window is not None and window[1] is None

    def mark_user_cell(self, cell: int) -> None:
        """Cell ``cell`` runs the user's code (it is not only magics or shell commands).

        :param cell: its execution count.
        """
        self.user_cells.add(cell)

    def start_cell(self, cell: int, start: float) -> None:
        """Cell ``cell`` starts running at ``start`` (the recorder's clock).

        :param cell: its execution count.
        :param start: when.
        """
        self.cell = cell
        self.cell_windows[cell] = (start, None)

    def end_cell(self, cell: int, end: float) -> None:
        """Cell ``cell`` has ended at ``end``; a cell of the user's code becomes the last one.

        :param cell: its execution count.
        :param end: when (the recorder's clock).
        """
        start, _ = self.cell_windows.get(cell, (end, None))
        self.cell_windows[cell] = (start, end)
        if cell in self.user_cells:
            self.last_user_cell = cell
        for callback in list(self.at_cell_end):
            callback()

    def counts(self, incident: Incident) -> bool:
        """Whether ``incident`` is the user's: not from a cell that only ran magics or shell
        commands (a report made while asyncrepl itself worked), nor a block report that names
        no line of the user's. A background task's failure and a warning count wherever they
        surfaced.

        :param incident: a journal entry.
        """
        from asyncrepl.records import IncidentKind  # loaded already: the incident is one

        if incident.kind in (IncidentKind.TASK_EXCEPTION, IncidentKind.WARNING):
            return True
        if incident.kind is IncidentKind.BLOCK and getattr(incident.payload, "location", 0) is None:
            return False  # a block with no line of the user's running: not the user's doing
        return not incident.cell or incident.cell in self.user_cells
