"""What tasks waited for: a ring of waits, each noted as the future it waited for
wakes the task: the start of the step it wakes, the task, where in the task's coroutine it
waited (the frame's ``f_lasti``, made a line only when shown) and what it waited for (the
coroutine it awaited, ``asyncio.sleep`` or ``Queue.get()``; else a gather, another task, a
future). 32 bytes a wait. A step that only yields to the loop (``await asyncio.sleep(0)``)
waits for nothing and is not one."""

from __future__ import annotations

import asyncio
import os
import struct
from array import array
from types import CodeType, CoroutineType
from typing import Any

__all__ = [
    "BYTES_PER_WAIT",
    "CALLS",
    "CALL_WHATS",
    "FIRST_ALLOCATION",
    "FUTURE",
    "GATHER",
    "UNKNOWN_PLACE",
    "WaitLog",
    "awaited_code",
    "call_what",
    "wait_words",
]

_FIELDS = 4  # the step's start, the task id, where, what: each a double
BYTES_PER_WAIT = 8 * _FIELDS
#: Waits allocated at first; the array doubles as it fills (see ``ring.FIRST_ALLOCATION``).
FIRST_ALLOCATION = 1024

#: What a wait was for (``what``): a task id (1 and up), one of these, or a coroutine the
#: task's own coroutine awaited (``asyncio.sleep``, ``Queue.get``): -2 and down, see CALLS.
FUTURE = 0  # a future: an executor's result, I/O...
GATHER = -1  # asyncio.gather's future
#: The functions whose coroutines tasks awaited, by ``id()`` of their code: the ``what`` for
#: each. The codes stay referenced in CALLS, so an ``id()`` is never reused while in here.
CALL_WHATS: dict[int, int] = {}
#: What each coroutine code in CALL_WHATS is called, in words; ``what`` -2 is the first.
CALLS: list[tuple[CodeType, str]] = []
_CALLS_LIMIT = 4096  # distinct functions remembered (the asyncio calls, the user's helpers)
_ASYNCIO_DIR = os.path.join(os.path.dirname(asyncio.__file__), "")
#: ``where`` when the task's coroutine could not be read (not a native coroutine).
UNKNOWN_PLACE = -1

_GATHERING_FUTURE = getattr(asyncio.tasks, "_GatheringFuture", None)


def call_what(code: CodeType) -> int:
    """``what`` for a wait inside a coroutine of ``code`` that the task's coroutine awaited
    (remembered from now on; FUTURE once too many are).

    :param code: the awaited coroutine's code.
    """
    found = CALL_WHATS.get(id(code))
    if found is not None:
        return found
    if len(CALLS) >= _CALLS_LIMIT:
        return FUTURE
    qualname = code.co_qualname
    if code.co_filename.startswith(_ASYNCIO_DIR) and "." not in qualname:
        words = f"asyncio.{qualname}"  # asyncio.sleep, asyncio.wait_for
    else:
        words = f"{qualname}()"  # Queue.get(), Event.wait(), the user's fetch()
    CALLS.append((code, words))
    what = CALL_WHATS[id(code)] = -1 - len(CALLS)
    return what


def awaited_code(waiter: Any, task_id: Any, awaited: Any = None) -> int:
    """``what`` for a wait on ``waiter`` (a task, a gather, or any other future).

    :param waiter: the future that woke the task.
    :param task_id: gives the id of a task that has none yet.
    :param awaited: what the task's own coroutine awaited (its ``cr_await``).
    """
    if type(awaited) is CoroutineType:
        return call_what(awaited.cr_code)
    if isinstance(waiter, asyncio.Task):
        try:
            return int(waiter._asyncrepl_id)  # type: ignore[attr-defined]
        except AttributeError:
            return int(task_id(waiter))
    if _GATHERING_FUTURE is not None and isinstance(waiter, _GATHERING_FUTURE):
        return GATHER
    return FUTURE


def wait_words(what: int, task_name: str | None) -> str:
    """``what`` in words: ``"asyncio.sleep"``, ``"Queue.get()"``, ``"asyncio.gather"``,
    ``"Task 'worker-2'"``, ``"a Future"``.

    :param what: from :func:`awaited_code`.
    :param task_name: the awaited task's name, when ``what`` is a task id and it is known.
    """
    if what == FUTURE:
        return "a Future"
    if what == GATHER:
        return "asyncio.gather"
    if what < GATHER:
        return CALLS[-2 - what][1] if -2 - what < len(CALLS) else "a coroutine"
    return f"Task {task_name!r}" if task_name else f"task #{what}"


class WaitLog:
    """Waits in the order they happened; the newest overwrite the oldest. Each wait is four
    numbers in one flat array of doubles (its step's start, the task id, where, what), so a
    batch goes in with one copy.

    :param capacity: how many waits to keep; memory is allocated as they come, doubling, up
        to this.
    """

    __slots__ = ("_bytes", "capacity", "values", "written")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self.values = array("d")
        self._bytes = memoryview(b"")
        self.written = 0
        self._reserve(FIRST_ALLOCATION)

    def _reserve(self, waits: int) -> None:
        """Room for ``waits`` (at most :attr:`capacity`): the array at least doubles."""
        have = len(self.values) // _FIELDS
        if waits <= have or have == self.capacity:
            return
        more = min(self.capacity, max(waits, 2 * have)) - have
        self._bytes.release()  # an array with a view on it cannot grow
        self.values.frombytes(bytes(BYTES_PER_WAIT * more))
        self._bytes = memoryview(self.values).cast("B")

    def __len__(self) -> int:
        return min(self.written, self.capacity)

    def extend(self, flat: list[float | int]) -> None:
        """Append waits in bulk, oldest first.

        :param flat: four numbers a wait: its step's start, the task id, where, what.
        """
        count = len(flat) // _FIELDS
        if count > self.capacity:  # only the newest fit
            self.written += count - self.capacity
            flat = flat[-self.capacity * _FIELDS :]
            count = self.capacity
        self._reserve(self.written + count)
        at = self.written % self.capacity
        first = min(count, self.capacity - at)
        self._put(at, flat[: first * _FIELDS] if first < count else flat)
        if first < count:
            self._put(0, flat[first * _FIELDS :])
        self.written += count

    def _put(self, at: int, flat: list[float | int]) -> None:
        start = at * BYTES_PER_WAIT
        self._bytes[start : start + 8 * len(flat)] = struct.pack(f"{len(flat)}d", *flat)

    def of_task(self, task_id: int) -> list[tuple[float, int, int]]:
        """``(step start, where, what)`` of each wait kept for ``task_id``, oldest first.

        :param task_id: a recorder's task id.
        """
        kept = len(self)
        whos = self.values[1 : kept * _FIELDS : _FIELDS]
        oldest = self.written % self.capacity if self.written > self.capacity else 0
        found: list[tuple[float, int, int]] = []
        for at, stop in ((oldest, kept), (0, oldest)):
            while at < stop:
                try:
                    at = whos.index(task_id, at, stop)
                except ValueError:
                    break
                start, _, where, what = self.values[at * _FIELDS : (at + 1) * _FIELDS]
                found.append((start, int(where), int(what)))
                at += 1
        return found

    def between(self, start: float, end: float) -> list[tuple[float, int, int, int]]:
        """``(step start, task id, where, what)`` of each wait kept whose wake-up step started
        in ``[start, end]``, oldest first.

        :param start: window start.
        :param end: window end.
        """
        kept, written = len(self), self.written
        oldest = written - kept
        starts = self.values[0::_FIELDS]
        lo = self._first(starts, oldest, written, start)
        hi = self._first(starts, lo, written, end, after=True)
        found = []
        for n in range(lo, hi):
            at = (n % self.capacity) * _FIELDS
            moment, who, where, what = self.values[at : at + _FIELDS]
            found.append((moment, int(who), int(where), int(what)))
        return found

    def _first(
        self, starts: array[float], lo: int, hi: int, t: float, *, after: bool = False
    ) -> int:
        """The number of the first wait from ``lo`` whose start is ``t`` or later (later
        than ``t`` with ``after``); ``hi`` when none is."""
        while lo < hi:
            mid = (lo + hi) // 2
            value = starts[mid % self.capacity]
            if value < t or (after and value == t):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def clear(self) -> None:
        """Forget every wait (the memory stays allocated)."""
        self.written = 0
