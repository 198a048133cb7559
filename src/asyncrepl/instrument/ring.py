"""The recorder's step store: a preallocated ring of (task id, start, end) in three flat
arrays, 20 bytes a step, the newest overwriting the oldest once it is full."""

from __future__ import annotations

from array import array
from collections.abc import Collection

from asyncrepl.records import Step

__all__ = ["BYTES_PER_STEP", "StepRing"]

BYTES_PER_STEP = 8 + 8 + 4  # two doubles and an int


class StepRing:
    """Steps in the order they ended, which is also the order they started (a step ends
    before the next one starts on the same loop). The recorder's hot path writes the arrays
    directly; everything else goes through the methods.

    :param capacity: how many steps to keep; memory is allocated here, at once.
    """

    __slots__ = ("capacity", "ends", "full", "ids", "pos", "starts")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self.starts = array("d", bytes(8 * capacity))
        self.ends = array("d", bytes(8 * capacity))
        self.ids = array("i", bytes(4 * capacity))
        self.pos = 0  # where the next step goes
        self.full = False  # True once the ring has wrapped around

    def append(self, task_id: int, start: float, end: float) -> None:
        """Store one step (the hot path does the same inline).

        :param task_id: the recorder's task id, 0 for a plain callback.
        :param start: when it started.
        :param end: when it ended.
        """
        i = self.pos
        self.starts[i] = start
        self.ends[i] = end
        self.ids[i] = task_id
        i += 1
        if i == self.capacity:
            i = 0
            self.full = True
        self.pos = i

    def __len__(self) -> int:
        return self.capacity if self.full else self.pos

    def clear(self) -> None:
        """Forget every step (the memory stays allocated)."""
        self.pos = 0
        self.full = False

    def _index(self, k: int) -> int:
        """The array index of the ``k``-th oldest step."""
        return (self.pos + k) % self.capacity if self.full else k

    def _first(self, values: array[float], bound: float, *, inclusive: bool) -> int:
        """The first logical position whose value is >= ``bound`` (> when not inclusive)."""
        lo, hi = 0, len(self)
        while lo < hi:
            mid = (lo + hi) // 2
            value = values[self._index(mid)]
            if value < bound or (not inclusive and value == bound):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def oldest_start(self) -> float | None:
        """When the oldest step kept started, None when there is none."""
        return self.starts[self._index(0)] if len(self) else None

    def window(
        self,
        start: float | None = None,
        end: float | None = None,
        task_ids: Collection[int] | None = None,
    ) -> list[Step]:
        """The steps that overlap ``[start, end]``, oldest first.

        :param start: window start, None for the oldest step kept.
        :param end: window end, None for the newest.
        :param task_ids: keep only the steps of these tasks (0 = plain callbacks).
        """
        lo = 0 if start is None else self._first(self.ends, start, inclusive=True)
        hi = len(self) if end is None else self._first(self.starts, end, inclusive=False)
        starts, ends, ids = self.starts, self.ends, self.ids
        found = []
        for k in range(lo, hi):
            i = self._index(k)
            task_id = ids[i]
            if task_ids is None or task_id in task_ids:
                found.append(Step(task_id, starts[i], ends[i]))
        return found
