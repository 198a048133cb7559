"""The step ring: windows by time, before and after it wraps around."""

from __future__ import annotations

import pytest

from asyncrepl.instrument.ring import StepRing
from asyncrepl.records import Step


def filled(capacity: int, count: int) -> StepRing:
    ring = StepRing(capacity)
    for n in range(count):  # step n runs from 10n to 10n + 5, task id n + 1
        ring.append(n + 1, 10.0 * n, 10.0 * n + 5)
    return ring


def test_window_before_wrapping() -> None:
    ring = filled(8, 4)
    assert len(ring) == 4 and ring.oldest_start() == 0.0
    assert ring.window() == [Step(n + 1, 10.0 * n, 10.0 * n + 5) for n in range(4)]
    assert [s.task_id for s in ring.window(7, 21)] == [2, 3]  # overlapping ends count
    assert [s.task_id for s in ring.window(5, 10)] == [1, 2]  # touching counts
    assert ring.window(100, 200) == []
    assert [s.task_id for s in ring.window(task_ids={1, 3})] == [1, 3]


def test_wrapping_keeps_the_newest_in_order() -> None:
    ring = filled(4, 10)
    assert len(ring) == 4
    assert [s.task_id for s in ring.window()] == [7, 8, 9, 10]
    assert [s.task_id for s in ring.window(75, 85)] == [8, 9]
    assert ring.oldest_start() == 60.0
    ring.clear()
    assert ring.window() == [] and ring.oldest_start() is None


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        StepRing(0)
