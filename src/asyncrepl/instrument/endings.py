"""How a finished task ended, in words: ``returned 42``, ``TypeError: bad``, ``cancelled by
Task 'main' at <cell 3>:5``. The one answer, for the recorder's records and for snapshots."""

from __future__ import annotations

import asyncio
import reprlib
from typing import Any

from asyncrepl.instrument.sites import Site, site_location
from asyncrepl.records import LocationLabeler, TaskState

__all__ = ["CancelNote", "describe_end", "returned"]

#: Who cancelled a task: ``(task id, task name, where)``, any part unknown as None, and the
#: ``cancel(msg)`` message.
CancelNote = tuple["int | None", "str | None", "Site | None", Any]

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
#: Results whose repr is short and cheap (ints only below _BIG).
_SHORT_REPR = frozenset({int, float, bool})
_BIG = 10**30


def describe_end(
    task: asyncio.Task[Any],
    cancel: CancelNote | None,
    labeler: LocationLabeler,
    own_id: int | None = None,
) -> tuple[TaskState, str]:
    """How a finished task ended, in words: ``returned 42``, ``TypeError: ...``, ``cancelled
    by Task 'main' at <cell 3>:5``. Reads the private fields, because ``exception()`` would
    silence asyncio's "exception was never retrieved".

    :param task: a done task.
    :param cancel: who cancelled it, when known.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param own_id: the task's own id, to say "cancelled itself".
    """
    exc = getattr(task, "_exception", None)
    if exc is None and not task.cancelled():
        return TaskState.DONE, returned(getattr(task, "_result", None))
    if task.cancelled():
        return TaskState.CANCELLED, _cancelled_text(task, cancel, labeler, own_id)
    try:
        text = str(exc)
    except Exception:
        text = ""
    return TaskState.FAILED, f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def returned(result: object) -> str:
    """``returned 42``: a task's result in words, cut short when long.

    :param result: what the task returned.
    """
    if result is None:
        return "returned None"
    if type(result) in _SHORT_REPR and not (isinstance(result, int) and abs(result) >= _BIG):
        return f"returned {result!r}"  # most results: no reprlib needed
    try:
        return f"returned {_REPR.repr(result)}"
    except Exception:
        return f"returned a {type(result).__name__}"


def _cancelled_text(
    task: asyncio.Task[Any], cancel: CancelNote | None, labeler: LocationLabeler, own_id: int | None
) -> str:
    by_id, by_name, where, message = cancel or (None, None, None, None)
    if message is None:
        message = getattr(task, "_cancel_message", None)
    if by_id is not None and by_id == own_id:
        text = "cancelled itself"
    elif by_name is not None:
        text = f"cancelled by Task {by_name!r}"
    else:
        text = "cancelled"
    if where is not None:
        text += f" at {site_location(where, labeler).label}"
    if message is not None:
        text += f": {message}"
    return text
