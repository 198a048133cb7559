"""What tasks waited for: a preallocated ring of waits, each noted as the future it waited for
wakes the task: the start of the step it wakes, the task, where in the task's coroutine it
waited (the frame's ``f_lasti``, made a line only when shown) and what it waited for (the
coroutine it awaited, ``asyncio.sleep`` or ``Queue.get()``; else a gather, another task, a
future). 32 bytes a wait. A step that only yields to the loop (``await asyncio.sleep(0)``)
waits for nothing and is not one. A REPL cell's task runs the shell's coroutine, so its waits
are looked for further down, in the cell's own code (:func:`mark_cell_coroutine`)."""

from __future__ import annotations

import asyncio
import os
import struct
from array import array
from types import CodeType, CoroutineType, GeneratorType
from typing import Any

from asyncrepl.instrument.sites import is_user_file

__all__ = [
    "BYTES_PER_WAIT",
    "CALLS",
    "CALL_WHATS",
    "CELL_PLACES",
    "FUTURE",
    "GATHER",
    "UNKNOWN_PLACE",
    "WaitLog",
    "awaited_code",
    "call_what",
    "coroutine_wait",
    "mark_cell_coroutine",
    "wait_words",
]

_FIELDS = 4  # the step's start, the task id, where, what: each a double
BYTES_PER_WAIT = 8 * _FIELDS

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


def awaited_code(waiter: Any, task_id: Any, awaited: Any = None, coro: Any = None) -> int:
    """``what`` for a wait on ``waiter`` (a task, a gather, or any other future).

    :param waiter: the future that woke the task.
    :param task_id: gives the id of a task that has none yet.
    :param awaited: what the task's own coroutine awaited (its ``cr_await``).
    :param coro: the task's own coroutine (a cell's is followed down to the cell's code).
    """
    if type(awaited) is CoroutineType:
        return CALL_WHATS.get(id(awaited.cr_code)) or coroutine_wait(coro, awaited, waiter, task_id)
    if isinstance(waiter, asyncio.Task):
        try:
            return int(waiter._asyncrepl_id)  # type: ignore[attr-defined]
        except AttributeError:
            return int(task_id(waiter))
    if _GATHERING_FUTURE is not None and isinstance(waiter, _GATHERING_FUTURE):
        return GATHER
    return FUTURE


#: The codes of the coroutines REPL cells run in (IPython's ``run_cell_async``), by ``id()``.
_CELL_CODES: dict[int, CodeType] = {}
#: The codes a cell's coroutine awaited (the shell's ``run_ast_nodes``): 0 in CALL_WHATS, so
#: that the round's lookup misses and :func:`coroutine_wait` follows a cell's chain; here,
#: with the ``what`` any other task awaiting one gets.
_THROUGH: dict[int, tuple[CodeType, int]] = {}
#: The places in the user's code where cells waited, by their ``what`` (a CALLS entry, which
#: keeps the code alive): ``(code, f_lasti, what was awaited there)``; their keys, to make
#: each once.
CELL_PLACES: dict[int, tuple[CodeType, int, int]] = {}
_PLACE_WHATS: dict[tuple[int, int, int], int] = {}
_CHAIN_LIMIT = 64  # frames followed down a cell's await chain
_user_files: dict[str, bool] = {}  # the verdict of is_user_file, for the few files of a chain


def mark_cell_coroutine(coro: Any) -> None:
    """Tasks whose coroutine runs the code of ``coro`` run REPL cells: their waits are noted
    where the cell's own code waited, not where the shell's coroutine did.

    :param coro: a cell task's coroutine (``run_cell_async``); anything else is ignored.
    """
    code = getattr(coro, "cr_code", None)
    if type(code) is not CodeType or id(code) in _CELL_CODES:
        return
    _CELL_CODES[id(code)] = code
    # The shell's coroutines that a cell awaited before any was marked (the cell that loaded
    # asyncrepl and then awaited): followed through from now on, as if first seen now.
    for called, _ in list(CALLS):
        if called.co_filename == code.co_filename and CALL_WHATS.get(id(called)):
            _follow_through(called)


def _follow_through(code: CodeType) -> None:
    """Make the round's lookup of ``code`` miss, so that a cell's wait in it is followed
    down to the cell's code (:func:`coroutine_wait`)."""
    _THROUGH[id(code)] = code, call_what(code)
    CALL_WHATS[id(code)] = 0


def coroutine_wait(coro: Any, awaited: Any, waiter: Any, task_id: Any) -> int:
    """``what`` for a task whose own coroutine ``coro`` awaited the coroutine ``awaited``,
    when ``awaited``'s code is not known yet, or is one a cell's coroutine awaits.

    The round notes a wait with one dictionary lookup; only cells (few, and slow anyway)
    come here every time, through the 0 their shell's coroutine gets in CALL_WHATS.

    :param coro: the task's coroutine, None when not known.
    :param awaited: the coroutine it awaited.
    :param waiter: the future that woke the task.
    :param task_id: gives the id of a task that has none yet.
    """
    code = awaited.cr_code
    if coro is not None and id(getattr(coro, "cr_code", None)) in _CELL_CODES:
        if id(code) not in _THROUGH:
            _follow_through(code)
        return _cell_wait(awaited, waiter, task_id) or _THROUGH[id(code)][1]
    through = _THROUGH.get(id(code))
    return through[1] if through is not None else call_what(code)


def _cell_wait(awaited: Any, waiter: Any, task_id: Any) -> int:
    """``what`` for a cell's wait, placed at the innermost frame of the user's code down the
    chain from ``awaited``; 0 when the chain holds none (a cell that awaits nothing of its
    own is not woken)."""
    node, found = awaited, None
    for _ in range(_CHAIN_LIMIT):
        if type(node) is CoroutineType:
            frame, inner = node.cr_frame, node.cr_await
        elif type(node) is GeneratorType:
            frame, inner = node.gi_frame, node.gi_yieldfrom
        else:
            break
        if frame is None:
            break
        filename = frame.f_code.co_filename
        user = _user_files.get(filename)
        if user is None:
            if len(_user_files) > 1024:
                _user_files.clear()
            user = _user_files[filename] = is_user_file(filename)
        if user:
            found = frame.f_code, frame.f_lasti, inner
        node = inner
    if found is None:
        return 0
    code, lasti, inner = found
    what = awaited_code(waiter, task_id, inner)
    key = id(code), lasti, what
    place = _PLACE_WHATS.get(key)
    if place is None:
        if len(CALLS) >= _CALLS_LIMIT:
            return 0
        CALLS.append((code, wait_words(what, None)))
        place = _PLACE_WHATS[key] = -1 - len(CALLS)
        CELL_PLACES[place] = code, lasti, what
    return place


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


#: Waits a log holds at first (256 kB); it doubles as it fills, up to its capacity.
FIRST_SIZE = 1 << 13


class WaitLog:
    """Waits in the order they happened; the newest overwrite the oldest. Each wait is four
    numbers in one flat array of doubles (its step's start, the task id, where, what), so a
    batch goes in with one copy.

    :param capacity: how many waits to keep at most (the array starts small and doubles
        as it fills, before it wraps).
    """

    __slots__ = ("_bytes", "capacity", "values", "written")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self.values = array("d", bytes(BYTES_PER_WAIT * min(capacity, FIRST_SIZE)))
        self._bytes = memoryview(self.values).cast("B")
        self.written = 0

    def _grow(self, needed: int) -> None:
        """Make room for ``needed`` waits (the log has not wrapped yet)."""
        size = min(self.capacity, max(2 * (len(self.values) // _FIELDS), needed))
        self._bytes.release()
        self.values.frombytes(bytes(BYTES_PER_WAIT * size - 8 * len(self.values)))
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
        if (self.written + count) * _FIELDS > len(self.values) < self.capacity * _FIELDS:
            self._grow(self.written + count)
        at = self.written % self.capacity
        first = min(count, self.capacity - at)
        self._put(at, flat[: first * _FIELDS] if first < count else flat)
        if first < count:
            self._put(0, flat[first * _FIELDS :])
        self.written += count

    def resized(self, capacity: int) -> WaitLog:
        """A log of ``capacity`` holding the newest waits of this one, numbered as here.

        :param capacity: how many waits the new log keeps at most.
        """
        log = WaitLog(capacity)
        lo = max(self.written - len(self), self.written - capacity)
        flat: list[float | int] = []
        for n in range(lo, self.written):
            at = (n % self.capacity) * _FIELDS
            flat += self.values[at : at + _FIELDS]
        log.written = lo
        log.extend(flat)
        return log

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
