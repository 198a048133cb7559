"""asyncrepl's Task: asyncio's own (C) Task with a small id the recorder's hot path reads
without a lookup, a note to whoever recorded it when it is freed, and a note to the loop's
recorders when it is cancelled."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

__all__ = [
    "FreedNote",
    "ListeningFactory",
    "Task",
    "TaskNotes",
    "add_freed_note",
    "next_task_id",
    "notes",
    "task_number",
]

#: Task ids, one numbering for the whole process (every recorder agrees on them).
next_task_id: Callable[[], int] = itertools.count(1).__next__

#: Told that a task is being freed (while it can still be read).
FreedNote = Callable[["Task"], None]


class TaskNotes:
    """Where cancellation notes go: set by ``install.py`` while some loop is watched."""

    cancel: Callable[[asyncio.Task[Any], Any], None] | None = None


notes = TaskNotes()
_base_finalize = asyncio.Task.__del__


class Task(asyncio.Task[Any]):
    """asyncio's Task plus an id (``_asyncrepl_id``), a note to the recorders that know it
    when it is freed (``_asyncrepl_freed``), and a note of who cancels it. Tasks created on a
    watched loop without a custom task factory are of this class; so are the REPL's."""

    #: Set by the task factory right after asyncio made the task (not in ``__init__``: a
    #: Python ``__init__`` would cost every task a call), or when a recorder first sees it.
    __slots__ = ("_asyncrepl_freed", "_asyncrepl_id")
    _asyncrepl_id: int
    _asyncrepl_freed: FreedNote | None

    def cancel(self, msg: Any | None = None) -> bool:
        cancelled = super().cancel(msg)
        note = notes.cancel
        if cancelled and note is not None:
            note(self, msg)
        return cancelled

    def set_name(self, value: object) -> None:
        # CPython 3.13.0 calls set_name(None) after any task factory, naming every task
        # 'None'; a task keeps its own name instead.
        if value is not None:
            super().set_name(value)

    def __del__(self) -> None:
        try:
            freed = self._asyncrepl_freed
            if freed is not None:
                freed(self)
        except Exception:  # no recorder saw it, or a note failed: never raise here
            pass
        _base_finalize(self)


class ListeningFactory:
    """A task factory that makes asyncrepl's :class:`Task` as asyncio's own create_task would,
    then tells ``listener`` about it, and does nothing else (the failure reporter's, which
    watches every task end). A watched loop knows this: it makes such tasks on the
    recorder's short path and tells the listener itself. Any other factory of the user's
    makes the recorder take the careful path for every task (a record each, the first step
    watched), which made a REPL cell that starts 100,000 tasks spend 1.2 s of 2.2 s on them.

    :param listener: told about each new task, before it is returned.
    :param make: the task factory that makes the tasks instead (a user's, set before or
        after the listener's): then the recorder takes the careful path.
    """

    __slots__ = ("listener", "make")

    def __init__(self, listener: Callable[[Any], None], make: Any = None) -> None:
        self.listener = listener
        self.make = make

    def __call__(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        if self.make is None:
            task = Task(coro, loop=loop, **kwargs)
        else:
            task = self.make(loop, coro, **kwargs)
        self.listener(task)
        return task


def task_number(task: Task) -> int:
    """The task's id; a task made without one (by an eager first step) gets it now.

    :param task: an asyncrepl task.
    """
    number: int | None = getattr(task, "_asyncrepl_id", None)  # a raised error costs 1 µs more
    if number is None:
        task._asyncrepl_id = number = next_task_id()
    return number


class _BothNotes:
    """Two notes for one task (two recorders know it)."""

    __slots__ = ("first", "second")

    def __init__(self, first: FreedNote, second: FreedNote) -> None:
        self.first, self.second = first, second

    def __call__(self, task: Task) -> None:
        try:
            self.first(task)
        finally:
            self.second(task)

    def holds(self, note: FreedNote) -> bool:
        return any(
            part is note or (isinstance(part, _BothNotes) and part.holds(note))
            for part in (self.first, self.second)
        )


def add_freed_note(task: Task, note: FreedNote) -> None:
    """Tell ``note`` when ``task`` is freed (once, however often this is called).

    :param task: an asyncrepl task.
    :param note: usually a recorder's bound method, the same object each time.
    """
    current = getattr(task, "_asyncrepl_freed", None)
    if current is None:
        task._asyncrepl_freed = note
        return
    if current is note or (isinstance(current, _BothNotes) and current.holds(note)):
        return
    task._asyncrepl_freed = _BothNotes(current, note)
