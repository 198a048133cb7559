"""The step ring: entries that end where the next begins, windows by time, wrapping around."""

from __future__ import annotations

import tracemalloc
from array import array
from collections.abc import Callable

import pytest

from asyncrepl.instrument import ring as ring_module
from asyncrepl.instrument.ring import (
    CALLBACK,
    EAGER,
    FIRST_SIZE,
    IDLE,
    StepRing,
    merge_windows,
    resumed,
    task_of,
)
from asyncrepl.records import Step


def filled(capacity: int, count: int, batch: int = 3) -> StepRing:
    """Step n of task n + 1 runs from 10n to 10n + 5, then the loop waits until 10(n + 1)."""
    ring = StepRing(capacity)
    starts: list[float] = []
    whos: list[int] = []
    for n in range(count):
        starts += [10.0 * n, 10.0 * n + 5]
        whos += [n + 1, IDLE]
        if len(starts) >= batch:
            ring.extend(starts, whos)
            starts, whos = [], []
    ring.extend(starts, whos)
    return ring


def test_window_before_wrapping() -> None:
    ring = filled(16, 4)
    assert len(ring) == 8 and ring.oldest_start() == 0.0 and ring.last() == (35.0, IDLE)
    assert ring.window() == [Step(n + 1, 10.0 * n, 10.0 * n + 5) for n in range(4)]
    assert [s.task_id for s in ring.window(7, 21)] == [2, 3]  # overlapping ends count
    assert [s.task_id for s in ring.window(5, 10)] == [1, 2]  # touching counts
    assert ring.window(100, 200) == []
    assert [s.task_id for s in ring.window(task_ids={1, 3})] == [1, 3]


def test_wrapping_keeps_the_newest_in_order() -> None:
    ring = filled(8, 10)
    assert len(ring) == 8 and ring.written == 20
    assert [s.task_id for s in ring.window()] == [7, 8, 9, 10]
    assert [s.task_id for s in ring.window(75, 85)] == [8, 9]
    assert ring.oldest_start() == 60.0
    ring.clear()
    assert ring.window() == [] and ring.oldest_start() is None and ring.last() is None


def test_entries_end_where_the_next_begins_across_the_wrap() -> None:
    ring = filled(5, 4, batch=1)  # 8 entries through a ring of 5
    got = list(ring.entries(ring.oldest, ring.written - 1))
    assert got == [(15.0, IDLE, 20.0), (20.0, 3, 25.0), (25.0, IDLE, 30.0), (30.0, 4, 35.0)]


def test_a_large_ring_grows_as_it_fills_then_wraps() -> None:
    capacity = 3 * FIRST_SIZE + 10  # two doublings, the second cut short, then a wrap
    assert len(StepRing(capacity).starts) == FIRST_SIZE  # a fresh ring costs little
    steps = capacity // 2 + 100
    ring = filled(capacity, steps, batch=999)
    assert len(ring.starts) == len(ring.whos) == capacity and ring.written == 2 * steps
    oldest = steps - capacity // 2
    assert ring.window() == [Step(n + 1, 10.0 * n, 10.0 * n + 5) for n in range(oldest, steps)]


def test_a_batch_larger_than_the_ring_keeps_its_newest() -> None:
    ring = StepRing(3)
    ring.extend([1.0, 2.0, 3.0, 4.0, 5.0], [1, 2, 3, 4, IDLE])
    assert ring.written == 5 and ring.oldest == 2
    assert ring.window() == [Step(3, 3.0, 4.0), Step(4, 4.0, 5.0)]


def test_a_step_that_eager_first_steps_cut_is_one_step_with_them_inside() -> None:
    # A cell that started 100,000 eager tasks held the loop for 2.5 s; drawn in parts, its
    # longest step read 93 ms and its row had "waited" gaps where the eager steps ran.
    ring = StepRing(16)
    # Task 5's step is cut by an entry never named (asyncio's own work), then goes on; task
    # 7's step by task 8's eager first step, inside which task 9's ran.
    ring.extend(
        [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0],
        [5, EAGER, resumed(5), 7, 8, 9, resumed(8), resumed(7), IDLE],
    )
    steps = ring.window()
    assert [(s.task_id, s.start, s.end) for s in steps] == [
        (5, 0.0, 3.0),
        (0, 1.0, 2.0),
        (7, 3.0, 9.0),
        (8, 4.0, 7.0),
        (9, 5.0, 6.0),
    ]
    assert steps.nested == bytes([0, 1, 0, 1, 1])
    assert steps.busy(0.0, 9.0) == 9.0  # each moment once
    assert max(steps.durations()) == 6.0  # task 7's whole step
    assert [(s.start, s.end) for s in ring.window(task_ids={5})] == [(0.0, 3.0)]
    alone = ring.window(task_ids={8})  # its own step, not inside anything shown
    assert [(s.start, s.end) for s in alone] == [(4.0, 7.0)] and alone.busy(0, 9) == 3.0


def test_a_cut_step_is_whole_across_the_slices_a_window_is_read_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ring_module, "WINDOW_SLICE", 2)
    ring = StepRing(16)
    ring.extend([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [5, 6, resumed(5), 7, resumed(5), IDLE])
    steps = ring.window()
    assert [(s.task_id, s.start, s.end) for s in steps] == [
        (5, 0.0, 5.0),
        (6, 1.0, 2.0),
        (7, 3.0, 4.0),
    ]
    assert steps.busy(0.0, 5.0) == 5.0


def test_a_window_that_starts_inside_a_cut_step_starts_it_at_its_next_part() -> None:
    ring = StepRing(16)
    ring.extend([0.0, 1.0, 2.0, 3.0, 4.0], [5, 6, resumed(5), IDLE, 8])
    steps = ring.window(start=1.5)
    assert [(s.task_id, s.start, s.end) for s in steps] == [(6, 1.0, 2.0), (5, 2.0, 3.0)]
    assert steps.nested is None


def test_busy_rounds_and_idle_ones_give_the_same_steps() -> None:
    # Long rounds (few waits) take another way through window() than short ones.
    whos = [1, 2, 3, 4, 5, 6, 7, 8, 9, IDLE, 1, 2, 3, 4, 5, 6, 7, 8, 9, IDLE, 4, IDLE]
    ring = StepRing(64)
    ring.extend([float(n) for n in range(len(whos))], whos)
    steps = ring.window()
    assert [s.task_id for s in steps] == [w for w in whos[:-1] if w != IDLE]
    assert all(s.end == s.start + 1 for s in steps)
    assert [s.start for s in ring.window(task_ids={4})] == [3.0, 13.0, 20.0]


def test_a_window_across_the_wrap_is_in_time_order() -> None:
    ring = filled(7, 9, batch=2)  # 18 entries through a ring of 7
    steps = ring.window()
    assert [s.task_id for s in steps] == [7, 8, 9]
    assert [s.start for s in steps] == sorted(s.start for s in steps)
    assert [s.task_id for s in ring.window(65, 200, task_ids={8, 9})] == [8, 9]


def test_who_an_entry_runs() -> None:
    assert [task_of(w) for w in (7, CALLBACK, IDLE, EAGER)] == [7, 0, None, 0]
    assert task_of(resumed(7)) == 7 and task_of(resumed(CALLBACK)) == 0
    assert resumed(CALLBACK) < IDLE and resumed(7) > EAGER


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        StepRing(0)


def test_the_ring_starts_small_and_grows_to_its_capacity() -> None:
    capacity = 3 * FIRST_SIZE + 10
    ring = StepRing(capacity)
    assert len(ring.whos) == FIRST_SIZE  # a short recording takes little memory
    count = (capacity + 1000) // 2  # wraps once by 1000 entries, in batches of 999
    ring = filled(capacity, count, batch=999)
    assert len(ring.whos) == capacity and ring.written == 2 * count
    steps = ring.window()
    assert len(steps) == capacity // 2 and steps[-1] == Step(
        count, 10.0 * (count - 1), 10.0 * (count - 1) + 5
    )
    assert steps[0].task_id == count - len(steps) + 1


def busy_ring(entries: int) -> StepRing:
    """``entries`` entries in rounds of 999 steps and a wait, wrapped once."""
    ring = StepRing(entries)
    whos = [n % 999 + 1 if n % 1000 else IDLE for n in range(entries + entries // 3)]
    ring.extend([float(n) for n in range(len(whos))], whos)
    return ring


def peak_above_kept(work: Callable[[], object]) -> tuple[int, int]:
    """Bytes ``work`` allocates at its peak beyond what its result keeps, and the result's."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = work()
        now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del kept
    return peak - now, now - before


def test_a_window_takes_the_memory_of_its_columns_and_little_more() -> None:
    # Two million steps took 108 MB at the peak for 40 MB of columns (copies of the ring's
    # whole stretch besides); now a slice of the ring at a time.
    ring = busy_ring(600_000)
    extra, kept = peak_above_kept(ring.window)
    assert kept >= 20 * 590_000 and extra < 2_000_000 + kept // 4


def test_counting_entries_copies_a_slice_at_a_time() -> None:
    # At the end of a run every entry not yet counted is: it copied the whole ring at once.
    ring = busy_ring(600_000)

    def count() -> int:
        return sum(1 for _ in ring.entries(ring.oldest, ring.written - 1))

    extra, _ = peak_above_kept(count)
    assert extra < 3_000_000


def test_columns_counted_wrong_still_come_out_of_one_length() -> None:
    # A window counts its steps, then copies them: a loop in another thread may overwrite
    # entries in between, so more or fewer steps than counted can arrive.
    for size, batches in ((3, [2, 2]), (5, [2]), (0, [1, 2])):
        columns = ring_module._Columns(size)
        n = 0
        for count in batches:
            columns.add(
                array("i", range(n, n + count)),
                array("d", map(float, range(n, n + count))),
                array("d", (x + 0.5 for x in range(n, n + count))),
            )
            n += count
        assert columns.columns() == [Step(i, float(i), i + 0.5) for i in range(n)]


def test_windows_of_several_loops_keep_which_steps_ran_inside_others() -> None:
    one, two = StepRing(8), StepRing(8)
    one.extend([0.0, 1.0, 2.0, 4.0], [1, 2, resumed(1), IDLE])
    two.extend([1.5, 3.0], [7, IDLE])
    merged = merge_windows([one.window(), two.window()])
    assert [(s.task_id, s.start) for s in merged] == [(1, 0.0), (2, 1.0), (7, 1.5)]
    assert merged.nested == b"\0\1\0"
