"""The recorder's step store: a preallocated ring of entries, each the moment the loop turned
to something (a task's step, a plain callback, or waiting), 12 bytes an entry in two flat
arrays. An entry lasts until the next one starts; the newest overwrite the oldest."""

from __future__ import annotations

import struct
from array import array
from collections.abc import Collection, Iterator, Sequence
from itertools import compress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the query side, loaded with the first query (see window)
    from asyncrepl.windows import StepColumns

__all__ = [
    "BYTES_PER_ENTRY",
    "CALLBACK",
    "EAGER",
    "FIRST_SIZE",
    "IDLE",
    "StepRing",
    "merge_windows",
    "resumed",
    "task_of",
]

BYTES_PER_ENTRY = 8 + 4  # a double and an int: a step, or the loop waiting between rounds
#: Entries a ring holds at first (768 kB); it doubles as it fills, up to its capacity.
FIRST_SIZE = 1 << 16
#: Entries a window copies out of the ring at a time (768 kB).
WINDOW_SLICE = 1 << 16

#: What an entry's ``who`` says: a task id (1 and up) starts a step of that task;
CALLBACK = 0  # a plain callback starts;
IDLE = -1  # the loop finished a round of callbacks and waits;
#: an eager task's first step starts inside ``create_task`` (its id is filled in afterwards);
EAGER = -(2**31)
#: ``resumed(x)`` (-2 and down): the step of ``x`` that an eager first step cut goes on.


def resumed(who: int) -> int:
    """The entry that continues the step of ``who`` (a task id, or CALLBACK); given such an
    entry, the task id it continues (the mapping is its own inverse)."""
    return -who - 2


def task_of(who: int) -> int | None:
    """The task id an entry runs (0 for a plain callback), None while the loop waits."""
    if who >= 0:
        return who
    if who == IDLE:
        return None
    if who == EAGER:
        return CALLBACK
    return resumed(who)


class StepRing:
    """Entries in time order, numbered from 0 since the ring was made (``written`` counts
    them); entry ``n`` lives at ``n % capacity``. The recorder's round stages entries in
    lists and moves them here in bulk with :meth:`extend`.

    A recorder keeps one ring per loop, and a short script or a worker thread's loop writes
    a few thousand entries: so the arrays start small and double (before they wrap, while
    entry ``n`` is still at ``n``) up to ``capacity``.

    :param capacity: how many entries to keep at most.
    """

    __slots__ = ("_start_bytes", "_who_bytes", "capacity", "starts", "whos", "written")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        size = min(capacity, FIRST_SIZE)
        self.starts = array("d", bytes(8 * size))
        self.whos = array("i", bytes(4 * size))
        self._start_bytes = memoryview(self.starts).cast("B")
        self._who_bytes = memoryview(self.whos).cast("B")
        self.written = 0

    def _grow(self, needed: int) -> None:
        """Make room for ``needed`` entries (the ring has not wrapped yet)."""
        size = min(self.capacity, max(2 * len(self.whos), needed))
        extra = size - len(self.whos)
        self._start_bytes.release()
        self._who_bytes.release()
        self.starts.frombytes(bytes(8 * extra))
        self.whos.frombytes(bytes(4 * extra))
        self._start_bytes = memoryview(self.starts).cast("B")
        self._who_bytes = memoryview(self.whos).cast("B")

    def __len__(self) -> int:
        return min(self.written, self.capacity)

    @property
    def oldest(self) -> int:
        """The number of the oldest entry kept."""
        return max(0, self.written - self.capacity)

    def extend(self, starts: Sequence[float], whos: Sequence[int]) -> None:
        """Append entries in bulk (the two lists have the same length).

        :param starts: when each entry started, in order.
        :param whos: who each entry runs (see :func:`task_of`).
        """
        count = len(starts)
        if count > self.capacity:  # only the newest fit
            self.written += count - self.capacity
            starts, whos = starts[-self.capacity :], whos[-self.capacity :]
            count = self.capacity
        if self.written + count > len(self.whos) < self.capacity:
            self._grow(self.written + count)
        at = self.written % self.capacity
        first = min(count, self.capacity - at)
        if first == count:
            self._put(at, starts, whos)
        else:
            self._put(at, starts[:first], whos[:first])
            self._put(0, starts[first:], whos[first:])
        self.written += count

    def _put(self, at: int, starts: Sequence[float], whos: Sequence[int]) -> None:
        count = len(starts)
        self._start_bytes[8 * at : 8 * (at + count)] = struct.pack(f"{count}d", *starts)
        self._who_bytes[4 * at : 4 * (at + count)] = struct.pack(f"{count}i", *whos)

    def resized(self, capacity: int) -> StepRing:
        """A ring of ``capacity`` holding the newest entries of this one, numbered as here.

        :param capacity: how many entries the new ring keeps at most.
        """
        ring = StepRing(capacity)
        lo = max(self.oldest, self.written - capacity)
        ring.written = lo
        ring.extend(
            self._column(self.starts, lo, self.written), self._column(self.whos, lo, self.written)
        )
        return ring

    def at(self, n: int) -> tuple[float, int]:
        """Entry number ``n``: ``(start, who)``."""
        i = n % self.capacity
        return self.starts[i], self.whos[i]

    def last(self) -> tuple[float, int] | None:
        """The newest entry, None when there is none."""
        return self.at(self.written - 1) if self.written else None

    def clear(self) -> None:
        """Forget every entry (the memory stays allocated)."""
        self.written = 0

    def entries(self, lo: int, hi: int) -> Iterator[tuple[float, int, float]]:
        """``(start, who, end)`` for entries ``lo`` to ``hi - 1``, each ending where the next
        starts: ``hi`` must be kept too (``hi < written``)."""
        for starts, whos, ends in self.stretches(lo, hi):
            yield from zip(starts, whos, ends, strict=True)

    def stretches(
        self, lo: int, hi: int
    ) -> Iterator[tuple[Sequence[float], Sequence[int], Sequence[float]]]:
        """Entries ``lo`` to ``hi - 1`` as columns ``(starts, whos, ends)``, one triple for
        each contiguous stretch of the arrays of at most :data:`WINDOW_SLICE` entries, each
        entry ending where the next starts: ``hi`` must be kept too (``hi < written``). A
        slice at a time: counting two million entries at the end of a run copied 40 MB at
        once."""
        capacity = self.capacity
        while lo < hi:
            i = lo % capacity
            j = min(capacity, i + min(hi - lo, WINDOW_SLICE))  # a contiguous stretch
            ends = self.starts[i + 1 : j + 1] if j < capacity else self.starts[i + 1 : j]
            if j == capacity:
                ends.append(self.starts[0])
            yield self.starts[i:j], self.whos[i:j], ends
            lo += j - i

    def first_starting(self, t: float, *, at: bool = True) -> int:
        """The number of the first kept entry that starts at ``t`` or later (only later when
        ``at`` is false); ``written`` when none does."""
        lo, hi = self.oldest, self.written
        starts, capacity = self.starts, self.capacity
        while lo < hi:
            mid = (lo + hi) // 2
            value = starts[mid % capacity]
            if value < t or (not at and value == t):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def oldest_start(self) -> float | None:
        """When the oldest entry kept started, None when there is none."""
        return self.at(self.oldest)[0] if self.written else None

    def window(
        self,
        start: float | None = None,
        end: float | None = None,
        task_ids: Collection[int] | None = None,
    ) -> StepColumns:
        """The finished steps (and parts of steps) that overlap ``[start, end]``, oldest
        first; the entry running now has no end yet and is left out. Built column by column
        (a million steps in a tenth or two of a second, not a million objects), a slice of
        the ring at a time into columns of the exact size: the columns are all the memory it
        takes (two million steps, 40 MB), not copies of the ring's whole stretch besides.

        :param start: window start, None for the oldest kept.
        :param end: window end, None for the newest.
        :param task_ids: keep only the steps of these tasks (0 = plain callbacks).
        """
        from asyncrepl.windows import StepColumns  # the query side: not a recording's cost

        oldest, last = self.oldest, self.written - 1
        if last <= oldest:
            return StepColumns()
        lo = oldest if start is None else max(oldest, self.first_starting(start) - 1)
        hi = last if end is None else min(last, self.first_starting(end, at=False))
        while start is not None and lo < hi and self.at(lo + 1)[0] < start:
            lo += 1  # it ended before the window
        slices = [(at, min(hi, at + WINDOW_SLICE)) for at in range(lo, hi)[::WINDOW_SLICE]]
        if task_ids is None:  # every step: as many as the entries that are not waits
            idle = sum(self._column(self.whos, a, b).count(IDLE) for a, b in slices)
            size = hi - lo - idle
        else:
            size = 0  # the columns grow as steps are found
        found = _Columns(size)
        for a, b in slices:
            found.add(*self._slice(a, b, task_ids))
        return found.columns()

    def _slice(
        self, lo: int, hi: int, task_ids: Collection[int] | None
    ) -> tuple[array[int], array[float], array[float], bool]:
        """The steps of entries ``lo`` to ``hi - 1``, as three columns, and whether some are
        the parts of a step that eager first steps cut (entries ``resumed(x)``)."""
        whos = self._column(self.whos, lo, hi)
        moments = self._column(self.starts, lo, hi + 1)  # each entry ends where the next starts
        starts, ends = moments[:-1], moments[1:]
        cut_steps = bool(whos) and min(whos) < IDLE  # eager first steps, and the steps they cut
        if cut_steps and EAGER in whos:  # never named: asyncio's own work, as a callback's
            whos = array("i", [CALLBACK if w == EAGER else w for w in whos])
        waits = whos.count(IDLE)
        if task_ids is None and waits * 8 <= len(whos):  # busy rounds: cut out the waits
            at = _positions(whos, IDLE, waits)
            return _cut(whos, at), _cut(starts, at), _cut(ends, at), cut_steps
        if task_ids is None:
            keep = bytes(map(IDLE.__ne__, whos))
        elif cut_steps:  # a resumed part belongs to the task whose step goes on (rare)
            keep = bytes(w != IDLE and task_of(w) in task_ids for w in whos)
        else:
            keep = bytes(map(task_ids.__contains__, whos))
        return (
            array("i", compress(whos, keep)),
            array("d", compress(starts, keep)),
            array("d", compress(ends, keep)),
            cut_steps,
        )

    def _column(self, column: array[Any], lo: int, hi: int) -> array[Any]:
        """Entries ``lo`` to ``hi - 1`` of one column, as a compact array copy."""
        at, count = lo % self.capacity, hi - lo
        if at + count <= self.capacity:
            return column[at : at + count]
        return column[at:] + column[: at + count - self.capacity]


def _positions(values: array[int], value: int, count: int) -> list[int]:
    """Where the ``count`` occurrences of ``value`` are in ``values``."""
    found: list[int] = []
    at = -1
    for _ in range(count):
        at = values.index(value, at + 1)
        found.append(at)
    return found


def _cut(values: array[Any], positions: list[int]) -> array[Any]:
    """``values`` without the items at ``positions`` (in increasing order)."""
    kept = values[:0]
    previous = 0
    for at in positions:
        kept += values[previous:at]
        previous = at + 1
    return kept + values[previous:]


class _Columns:
    """A window's three columns as they are filled: made at their final size when it is
    known (growing arrays by appending leaves a sixteenth spare and moves them as they
    grow), else grown. The size is counted from the ring before the steps are copied:
    should a loop in another thread overwrite entries meanwhile, the columns still come
    out of one length.

    :param size: how many steps they will hold, 0 when not known.
    """

    __slots__ = ("cut_steps", "ends", "filled", "starts", "whos")

    def __init__(self, size: int) -> None:
        self.whos = array("i", [0]) * size
        self.starts = array("d", [0.0]) * size
        self.ends = array("d", [0.0]) * size
        self.filled = 0
        #: Whether some steps come in parts (see :func:`_nest`).
        self.cut_steps = False

    def add(
        self, whos: array[int], starts: array[float], ends: array[float], cut_steps: bool = False
    ) -> None:
        """Put these steps after those added before (``cut_steps``: some come in parts)."""
        self.cut_steps |= cut_steps
        at = self.filled
        room = min(len(whos), len(self.whos) - at)
        _put(self.whos, at, room, whos)
        _put(self.starts, at, room, starts)
        _put(self.ends, at, room, ends)
        self.filled += len(whos)

    def columns(self) -> StepColumns:
        """The steps added."""
        from asyncrepl.windows import StepColumns

        for column in (self.whos, self.starts, self.ends):
            del column[self.filled :]
        if self.cut_steps:
            return _nest(self.whos, self.starts, self.ends)
        return StepColumns(self.whos, self.starts, self.ends)


def _put(column: array[Any], at: int, room: int, part: array[Any]) -> None:
    """``part`` into ``column`` from ``at``: ``room`` items in place, the rest appended."""
    column[at : at + room] = part[:room] if room < len(part) else part
    if room < len(part):
        column += part[room:]


def _nest(whos: array[int], starts: array[float], ends: array[float]) -> StepColumns:
    """Steps that eager first steps cut, whole again, with the eager steps inside them.

    A task's eager first step runs inside the ``create_task`` call of the step that made
    it: the ring has the calling step's part before it, the eager step, then an entry
    ``resumed(x)`` where the step of ``x`` goes on. Drawn and counted as parts, a cell that
    started 100,000 eager tasks held the loop for 2.5 s and its longest step read 93 ms,
    with "waited" gaps in its row. Here each step is one step from its first part to its
    last, and the steps that ran inside it are flagged ``nested`` (the loop was busy with
    the enclosing step then: counted once). A part whose step began before the window
    starts it. One Python pass: only windows with eager tasks take it.
    """
    from asyncrepl.windows import StepColumns

    out_whos, out_starts, out_ends = array("i"), array("d"), array("d")
    nested = bytearray()
    newest: dict[int, int] = {}  # task id -> position of its newest step
    unmarked: dict[int, int] = {}  # task id -> the first step after it not yet flagged
    for who, start, end in zip(whos, starts, ends, strict=True):
        if who < IDLE:  # a part of a cut step
            who = resumed(who)
            at = newest.get(who)
            if at is not None:
                out_ends[at] = end
                first = unmarked[who]
                nested[first:] = b"\x01" * (len(nested) - first)
                unmarked[who] = len(nested)
                continue
        newest[who] = len(out_whos)
        unmarked[who] = len(out_whos) + 1
        out_whos.append(who)
        out_starts.append(start)
        out_ends.append(end)
        nested.append(0)
    return StepColumns(out_whos, out_starts, out_ends, nested=bytes(nested))


def merge_windows(windows: list[StepColumns]) -> StepColumns:
    """The steps of several rings' windows (several loops') as one, in time order.

    :param windows: from :meth:`StepRing.window`.
    """
    from asyncrepl.windows import StepColumns

    task_ids = [who for window in windows for who in window.task_ids]
    starts = [start for window in windows for start in window.starts]
    ends = [end for window in windows for end in window.ends]
    order = sorted(range(len(starts)), key=starts.__getitem__)
    nested = None
    if any(window.nested is not None for window in windows):
        flags = b"".join(window.nested or bytes(len(window)) for window in windows)
        nested = bytes(flags[i] for i in order)
    return StepColumns(
        [task_ids[i] for i in order],
        [starts[i] for i in order],
        [ends[i] for i in order],
        nested=nested,
    )
