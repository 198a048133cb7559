"""The private seams of asyncio that the recording round (:mod:`~asyncrepl.instrument.rounds`)
stands on, checked before it is used: a new Python may move them (3.14 changed
``create_task`` and added a handle class), and a round built on moved seams would record
wrong or break the loop. Where the check fails, the recorder falls back to the
``Handle._run`` wrapper (:mod:`~asyncrepl.instrument.handlerun`)."""

from __future__ import annotations

import collections
from asyncio import events
from typing import Any

__all__ = ["round_misfit"]

#: The names asyncio's own ``_run_once`` uses in 3.11 to 3.13, which the recording round
#: does as it does. A round that uses another name does something the recording round
#: does not know of.
_ROUND_NAMES = frozenset(
    (
        "MAXIMUM_SELECT_TIMEOUT",
        "_MIN_CANCELLED_TIMER_HANDLES_FRACTION",
        "_MIN_SCHEDULED_TIMER_HANDLES",
        "_cancelled",
        "_clock_resolution",
        "_current_handle",
        "_debug",
        "_format_handle",
        "_process_events",
        "_ready",
        "_run",
        "_scheduled",
        "_selector",
        "_stopping",
        "_timer_cancelled_count",
        "_when",
        "append",
        "heapify",
        "heappop",
        "heapq",
        "len",
        "logger",
        "max",
        "min",
        "popleft",
        "range",
        "select",
        "slow_callback_duration",
        "time",
        "warning",
    )
)
_HANDLE_SLOTS = frozenset(("_callback", "_args", "_cancelled", "_loop", "_context"))


def round_misfit(loop: Any, asyncio_round: Any) -> str | None:
    """Why the recording round cannot stand in for ``loop``'s round, or None when it can:
    the private seams it uses are checked before it is used, not trusted.

    :param loop: an asyncio loop.
    :param asyncio_round: the ``_run_once`` asyncio's loop class had before any patch.
    """
    names = set(getattr(getattr(asyncio_round, "__code__", None), "co_names", ()))
    if not names or not names <= _ROUND_NAMES:
        return f"asyncio's _run_once uses {sorted(names - _ROUND_NAMES)[:3]}"
    slots = set(getattr(events.Handle, "__slots__", ()))
    if not slots >= _HANDLE_SLOTS:
        return f"asyncio's Handle lacks {sorted(_HANDLE_SLOTS - slots)}"
    try:
        ready, scheduled, select = loop._ready, loop._scheduled, loop._selector.select
        fits = isinstance(ready, collections.deque) and isinstance(scheduled, list)
        fits = fits and callable(select) and callable(loop._process_events)
        fits = fits and isinstance(loop._timer_cancelled_count, int)
        fits = fits and isinstance(loop._clock_resolution, float)
    except AttributeError as exc:
        return f"the loop has no {exc.name}"
    return None if fits else "the loop's queues are not asyncio's"
