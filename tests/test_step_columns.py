"""Steps kept as columns: they read as a sequence of Step, and add up without one object
each."""

from __future__ import annotations

import random
import tracemalloc
from array import array
from collections.abc import Callable
from typing import TypeVar

import pytest

from asyncrepl import windows
from asyncrepl.records import Step
from asyncrepl.windows import StepColumns

T = TypeVar("T")

STEPS = [Step(1, 0.0, 1.0), Step(0, 1.0, 1.5), Step(2, 2.0, 4.0), Step(1, 4.0, 4.25)]


def test_columns_read_as_the_steps_they_hold() -> None:
    columns = StepColumns.of(STEPS)
    assert len(columns) == 4 and list(columns) == STEPS
    assert columns == STEPS and columns == tuple(STEPS) and columns != STEPS[:3]
    assert columns[2] == Step(2, 2.0, 4.0) and columns[-1] == STEPS[-1]
    assert columns[1:3] == STEPS[1:3] and isinstance(columns[1:3], StepColumns)
    assert StepColumns.of(columns) is columns
    assert StepColumns() == [] and not StepColumns()


def test_durations_and_spans_by_task() -> None:
    columns = StepColumns.of(STEPS)
    assert list(columns.durations()) == [1.0, 0.5, 2.0, 0.25]  # an array of doubles
    assert columns.spans_of({1, 0, 9}) == {1: [(0.0, 1.0), (4.0, 4.25)], 0: [(1.0, 1.5)], 9: []}


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        StepColumns([1, 2], [0.0], [1.0])


def peak_of(work: Callable[[], T]) -> tuple[T, int]:
    """What ``work`` returns, and the bytes it had allocated at its peak."""
    tracemalloc.start()
    try:
        return work(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_million_durations_take_eight_bytes_each() -> None:
    # A list of floats took 32 bytes a step: 64 MB for the two million of a long run.
    count = 1_000_000
    columns = StepColumns([1] * count, array("d", range(count)), array("d", range(1, count + 1)))
    durations, peak = peak_of(columns.durations)
    assert durations[0] == durations[-1] == 1.0 and peak < 8 * count + 3_000_000
    assert columns.busy(0.0, float(count)) == count


def test_adding_up_by_task_lists_the_keys_a_slice_at_a_time() -> None:
    # Two million task ids listed at once took 72 MB (an int object each) at the end of a run.
    count = 1_000_000
    columns = StepColumns(array("i", [300, 301] * (count // 2)), [0.0] * count, [1.0] * count)
    columns.durations()
    totals, peak = peak_of(columns.time_by_task)
    assert totals == {300: count / 2, 301: count / 2} and peak < 8_000_000


# A cell's step [0, 10) with two eager first steps inside it, then task 3's step.
NESTED = StepColumns(
    [1, 2, 4, 3], [0.0, 2.0, 5.0, 10.0], [10.0, 3.0, 6.0, 11.0], nested=b"\0\1\1\0"
)


def test_steps_inside_another_count_once_in_the_loops_busy_time() -> None:
    assert NESTED.busy(0.0, 11.0) == 11.0
    assert NESTED.busy(2.5, 10.5) == 8.0
    assert list(NESTED.durations()) == [10.0, 1.0, 1.0, 1.0]


def test_a_step_is_nested_only_while_the_step_around_it_is_kept() -> None:
    assert NESTED.only({1, 2}).nested == b"\0\1"
    alone = NESTED.only({2, 4})  # the eager tasks without the cell: their own time counts
    assert alone.nested is None and alone.busy(0.0, 11.0) == 2.0
    assert NESTED[1:].nested is None and NESTED[:3].nested == b"\0\1\1"


def test_flags_of_no_nested_step_are_dropped() -> None:
    assert StepColumns.of(STEPS[:2]).nested is None
    assert StepColumns([1], [0.0], [1.0], nested=b"\0").nested is None
    with pytest.raises(ValueError, match="a flag for each step"):
        StepColumns([1], [0.0], [1.0], nested=b"")


def random_columns(seed: int, steps: int) -> tuple[array[int], array[float], array[float]]:
    """Steps of a few hundred tasks (waits, callbacks and cut steps among them), in time
    order."""
    rng = random.Random(seed)
    whos = array("i", (rng.choice([-1, 0, -7, *range(1, 300)]) for _ in range(steps)))
    moments = sorted(rng.random() * 100 for _ in range(steps + 1))
    return whos, array("d", moments[:-1]), array("d", moments[1:])


@pytest.mark.parametrize("steps", [0, 1, 5000])
def test_each_tasks_steps_add_up_alike_in_c_and_in_python(steps: int) -> None:
    if windows._c_tally is None:
        pytest.skip("the C tally was not built here")
    whos, starts, ends = random_columns(steps, steps)
    in_python = windows.tally(list(whos), list(starts), list(ends))  # not arrays: Python
    found = windows.tally(whos, starts, ends)
    assert type(found.ids) is array  # from C
    assert list(found.ids) == list(in_python.ids)
    assert list(found.first) == list(in_python.first)
    assert list(found.last) == list(in_python.last)
    assert list(found.total) == list(in_python.total)  # added in the same order
    assert list(found.count) == list(in_python.count)
    assert all(type(count) is int for count in [*found.count, *in_python.count])  # not 1.0
    if steps:
        some = found.ids[0]
        mine = [at for at, who in enumerate(whos) if who == some]
        assert found.count[0] == len(mine)
        assert found.first[0] == starts[mine[0]] and found.last[0] == ends[mine[-1]]


def test_the_c_tally_takes_only_columns_of_one_length() -> None:
    if windows._c_tally is None:
        pytest.skip("the C tally was not built here")
    with pytest.raises(TypeError, match="one length"):
        windows._c_tally(array("i", [1, 2]), array("d", [0.0]), array("d", [1.0]))
    with pytest.raises(TypeError):
        windows._c_tally(array("l", [1]), array("d", [0.0]), array("d", [1.0]))
