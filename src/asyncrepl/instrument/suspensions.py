"""What tasks waited for, in words: the wait log's numbers (a code offset, a wait kind, a task
id) turned into :class:`~asyncrepl.records.Suspension` records, named through the recorder's
book of tasks; a cell's wait is placed in the cell's own code."""

from __future__ import annotations

from collections.abc import Iterable
from types import CodeType

from asyncrepl.instrument.sites import line_at, site_location
from asyncrepl.instrument.tasklog import TaskBook
from asyncrepl.instrument.waits import CELL_PLACES, UNKNOWN_PLACE, wait_words
from asyncrepl.records import Location, LocationLabeler, Suspension

__all__ = ["suspensions_of"]


def suspensions_of(
    book: TaskBook, labeler: LocationLabeler, waits: Iterable[tuple[float, int, int, int]]
) -> list[Suspension]:
    """``waits`` (``start, task id, where, what`` each) as suspensions, in the same order.

    :param book: the recorder's tasks, for the code of each and the names of awaited tasks.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param waits: from :class:`~asyncrepl.instrument.waits.WaitLog`.
    """
    book.see_all()  # the tasks waited on, and those that waited, by name and code
    places: dict[tuple[int, int], Location | None] = {}  # a few places, many waits
    found: list[Suspension] = []
    for start, task_id, where, what in waits:
        code: CodeType | None = None
        in_cell = CELL_PLACES.get(what)
        if in_cell is not None:  # a cell's wait, in the cell's own code
            code, where, what = in_cell
            key = -1 - id(code), where  # never a task id
        else:
            key = task_id, where
        if key not in places:
            if in_cell is None:
                record = book.by_id.get(task_id)
                code = record.code if record is not None else None
            places[key] = _wait_location(code, where, labeler)
        words = wait_words(what, _name(book, what))
        found.append(Suspension(task_id, start, places[key], words))
    return found


def _wait_location(code: CodeType | None, offset: int, labeler: LocationLabeler) -> Location | None:
    line = line_at(code, offset) if code is not None and offset != UNKNOWN_PLACE else None
    if code is None or line is None:
        return None
    return site_location((code.co_filename, line, code.co_qualname), labeler)


def _name(book: TaskBook, task_id: int) -> str | None:
    """A task's name, live or remembered; None when forgotten (or not a task id)."""
    record = book.by_id.get(task_id) if task_id > 0 else None
    if record is None:
        return None
    task = record.task()
    return task.get_name() if task is not None else record.name or None
