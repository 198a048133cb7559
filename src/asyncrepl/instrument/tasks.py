"""asyncrepl's Task: asyncio's own (C) Task with a small id the recorder's hot path reads
without a lookup, and notes to the recorder when it is cancelled and when it is freed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

__all__ = ["Task", "TaskNotes", "next_task_id", "notes"]

#: Task ids, one numbering for the whole process (every recorder agrees on them).
next_task_id: Callable[[], int] = itertools.count(1).__next__


class TaskNotes:
    """Where a task's notes go: set by ``install.py`` while some loop is watched."""

    cancel: Callable[[asyncio.Task[Any], Any], None] | None = None
    freed: Callable[[asyncio.Task[Any]], None] | None = None


notes = TaskNotes()


class Task(asyncio.Task[Any]):
    """asyncio's Task plus an id (``_asyncrepl_id``) and notes to the recorder of who cancels
    it and when it is freed. Tasks created on a watched loop without a custom task factory
    are of this class; so are the REPL's."""

    __slots__ = ("_asyncrepl_id",)  # set when a recorder first sees the task
    _asyncrepl_id: int

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
        note = notes.freed
        if note is not None:
            with contextlib.suppress(Exception):  # never raise in a finalizer
                note(self)
        super().__del__()
