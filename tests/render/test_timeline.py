"""The terminal chart of ``%timeline``, drawn from timelines built by hand."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence

import pytest
from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_to_text

from asyncrepl.records import BlockReport, Step, TaskInfo, TaskState
from asyncrepl.render.rows import choose_rows, task_label
from asyncrepl.render.timeline import GLYPHS, axis_ticks, format_tick, render_timeline
from asyncrepl.render.timeline_summary import summarize
from asyncrepl.windows import Timeline

T0 = 1000.0


def task(
    id: int,
    name: str,
    coro: str = "work",
    *,
    created: float = 0.0,
    ended: float | None = None,
    state: TaskState = TaskState.DONE,
    parent: int | None = None,
    is_cell: bool = False,
) -> TaskInfo:
    """A task whose times are seconds after :data:`T0`."""
    return TaskInfo(
        id=id,
        name=name,
        coro=coro,
        state=state,
        parent_id=parent,
        is_cell=is_cell,
        created=T0 + created,
        ended=None if ended is None else T0 + ended,
    )


def timeline(
    runs: dict[TaskInfo, Sequence[tuple[float, float]]],
    *,
    end: float,
    start: float = 0.0,
    callbacks: Sequence[tuple[float, float]] = (),
    blocks: Sequence[tuple[float, float]] = (),
    threshold: float = 0.1,
) -> Timeline:
    """Steps given as ``(start, duration)`` in seconds after :data:`T0`."""
    steps = [Step(t.id, T0 + s, T0 + s + d) for t, spans in runs.items() for s, d in spans]
    steps += [Step(0, T0 + s, T0 + s + d) for s, d in callbacks]
    reports = tuple(BlockReport("AR201", "loop-blocked", T0 + s, d, "slow") for s, d in blocks)
    return Timeline(
        start=T0 + start,
        end=T0 + end,
        tasks=tuple(runs),
        steps=tuple(sorted(steps, key=lambda step: step.start)),
        blocks=reports,
        threshold=threshold,
    )


def tutorial_timeline() -> Timeline:
    """The tutorial's print_values([1, 3, 5], 0.2) and print_values([2, 4], 0.3), gathered."""
    cell = task(1, "Task-1", "<cell 2>", created=0.0, ended=0.602, is_cell=True)
    first = task(2, "Task-2", "print_values", created=0.001, ended=0.601, parent=1)
    second = task(3, "Task-3", "print_values", created=0.001, ended=0.6015, parent=1)
    short = 0.0001
    return timeline(
        {
            cell: [(0.0, 0.0008), (0.6016, short)],
            first: [(t, short) for t in (0.0011, 0.2, 0.4, 0.6)],
            second: [(t, short) for t in (0.0013, 0.3, 0.6012)],
        },
        end=0.61,
    )


def lines_of(fragments: StyleAndTextTuples) -> list[str]:
    return fragment_list_to_text(fragments).splitlines()


def row(lines: list[str], name: str) -> str:
    [found] = [line for line in lines if line.startswith(name)]
    return found


def run_times(fragments: StyleAndTextTuples, name: str, tl: Timeline, width: int) -> list[float]:
    """Where the row of ``name`` shows a run, as seconds after the window's start (cell starts,
    merged runs reported once)."""
    lines = lines_of(fragments)
    axis = next(line for line in lines if "┴" in line)
    origin = axis.index("┴") if axis.lstrip().startswith("┴") else axis.index("─")
    columns = len(axis.rstrip()) - origin
    text = row(lines, name)
    seconds = (tl.end - tl.start) / columns
    found = []
    for index in range(origin, len(text)):
        if text[index] in (GLYPHS["run"], GLYPHS["block"]) and text[index - 1] not in (
            GLYPHS["run"],
            GLYPHS["block"],
        ):
            found.append((index - origin) * seconds)
    return found


def test_tutorial_rows_show_steps_at_the_sleep_times() -> None:
    tl = tutorial_timeline()
    fragments = render_timeline(tl, width=100, scope="cell 2")
    first = run_times(fragments, "print_values (Task-2)", tl, 100)
    second = run_times(fragments, "print_values (Task-3)", tl, 100)
    assert first == pytest.approx([0.0, 0.2, 0.4, 0.6], abs=0.02)
    assert second == pytest.approx([0.0, 0.3, 0.6], abs=0.02)
    text = fragment_list_to_text(fragments)
    assert text.startswith("Timeline of cell 2 (0.61 s)\n")
    assert "Ran concurrently: 0.6 s instead of 1.2 s one after another (2 tasks)." in text


def test_every_line_fits_the_width() -> None:
    tl = tutorial_timeline()
    for width in (40, 80, 132):
        lines = lines_of(render_timeline(tl, width=width))
        chart = [line for line in lines if line.startswith(("print_values", "<cell", "     "))]
        assert chart and all(len(line) <= width for line in chart), width


def test_waiting_running_and_marks_use_distinct_characters() -> None:
    tl = tutorial_timeline()
    text = row(lines_of(render_timeline(tl, width=80)), "print_values (Task-2)")
    bar = text[len("print_values (Task-2) ") :]
    assert bar[0] == GLYPHS["created"]
    assert bar[-1] == GLYPHS["done"]
    assert set(bar[1:-1]) == {GLYPHS["run"], GLYPHS["wait"]}


def test_colour_classes_mark_run_wait_and_block() -> None:
    slow = task(1, "slow", created=0.0, ended=0.5)
    fragments = render_timeline(timeline({slow: [(0.0, 0.01), (0.1, 0.3)]}, end=0.5), width=60)
    styles = {style for style, text in fragments if text and not text.strip(GLYPHS["block"])}
    assert styles == {"class:ar.block"}
    assert any(style == "class:ar.run" and GLYPHS["run"] in text for style, text in fragments)
    assert any(style == "class:ar.wait" and GLYPHS["wait"] in text for style, text in fragments)


def test_a_step_over_the_threshold_is_drawn_as_blocking_and_named_in_the_summary() -> None:
    slow = task(1, "slow", "crunch", created=0.0, ended=0.5)
    tl = timeline({slow: [(0.0, 0.01), (0.1, 0.3)]}, end=0.5, threshold=0.2)
    text = fragment_list_to_text(render_timeline(tl, width=60))
    assert GLYPHS["block"] * 5 in row(text.splitlines(), "slow")
    assert "▓ held the loop > 0.2 s" in text
    words = " ".join(text.split())  # the summary is broken between words to the width
    assert "⚠ 1 step held the loop longer than 0.2 s" in words
    assert "longest step 0.3 s (slow)" in words
    assert "Fix: `await` the slow call, or run it in `await asyncio.to_thread(...)`." in words
    assert all(len(line) <= 60 for line in text.splitlines())
    # Above the threshold only: with a higher one the same step is a plain run.
    relaxed = fragment_list_to_text(render_timeline(timeline({slow: [(0.1, 0.3)]}, end=0.5)))
    assert "⚠" in relaxed
    calm = timeline({slow: [(0.1, 0.3)]}, end=0.5, threshold=0.5)
    assert GLYPHS["block"] not in fragment_list_to_text(render_timeline(calm))


def test_blocks_of_asyncio_starting_many_tasks_get_their_own_fix() -> None:
    main = task(1, "main", created=0.0, ended=0.5)
    tl = timeline({main: [(0.0, 0.3)]}, end=0.5, blocks=[(0.0, 0.3)])
    gather = BlockReport("AR201", "loop-blocked", T0, 0.3, "main", call="asyncio.gather(*c)")
    busy = dataclasses.replace(tl, blocks=(gather._replace(callee="asyncio.tasks.gather"),))
    words = " ".join(fragment_list_to_text(render_timeline(busy, width=80)).split())
    assert (
        "Fix: start very many tasks in batches, or accept it as a one-off start-up cost." in words
    )
    assert "to_thread" not in words
    other = dataclasses.replace(tl, blocks=(gather._replace(callee="time.sleep"),))
    assert "to_thread" in fragment_list_to_text(render_timeline(other, width=200))


@pytest.mark.parametrize(
    ("state", "mark"),
    [
        (TaskState.DONE, "done"),
        (TaskState.FAILED, "failed"),
        (TaskState.CANCELLED, "cancelled"),
    ],
)
def test_end_marks(state: TaskState, mark: str) -> None:
    one = task(1, "job", created=0.1, ended=0.3, state=state)
    text = fragment_list_to_text(render_timeline(timeline({one: [(0.1, 0.01)]}, end=1.0)))
    bar = row(text.splitlines(), "job").rstrip()
    assert bar.endswith(GLYPHS["wait"] + GLYPHS[mark])
    assert GLYPHS["created"] + GLYPHS["run"] in bar
    assert f"{GLYPHS[mark]} " in text.splitlines()[-3] + text.splitlines()[-2]  # in the legend


def test_tasks_reaching_outside_the_window_say_so() -> None:
    old = task(1, "old", created=-5.0, ended=None, state=TaskState.SUSPENDED)
    text = fragment_list_to_text(render_timeline(timeline({old: [(0.5, 0.01)]}, end=1.0)))
    bar = row(text.splitlines(), "old")[3:].strip()
    assert bar[0] == GLYPHS["beyond"] and bar[-1] == GLYPHS["beyond"]
    assert "goes on outside this window" in text


def test_callbacks_and_blocked_intervals_get_their_own_rows() -> None:
    one = task(1, "job", created=0.0, ended=1.0)
    tl = timeline({one: [(0.0, 0.01)]}, end=1.0, callbacks=[(0.5, 0.001)], blocks=[(0.2, 0.3)])
    lines = lines_of(render_timeline(tl, width=60))
    assert GLYPHS["run"] in row(lines, "callbacks")
    blocked = row(lines, "loop blocked")
    assert blocked.count(GLYPHS["block"]) >= 8


def test_many_tasks_show_the_busiest_and_count_the_rest() -> None:
    tasks = {
        task(i, f"t{i}", created=0.0, ended=1.0): [(0.01 * i, 0.0001 * i)] for i in range(1, 51)
    }
    tl = timeline(tasks, end=1.0)
    lines = lines_of(render_timeline(tl, max_rows=5))
    names = [line.split()[0] for line in lines if line.startswith("t")]
    assert names == ["t46", "t47", "t48", "t49", "t50"]
    assert any("… and 45 more tasks, less busy" in line for line in lines)
    chosen, hidden = choose_rows(tl, 5)
    assert [t.name for t in chosen] == names and hidden == 45


def test_a_long_run_is_bucketed_to_the_width() -> None:
    one = task(1, "busy", created=0.0, ended=100.0)
    spans = [(i * 0.001, 0.0001) for i in range(100_000)]
    text = fragment_list_to_text(render_timeline(timeline({one: spans}, end=100.0), width=70))
    bar = row(text.splitlines(), "busy")
    assert len(bar) <= 70
    assert set(bar[6:-1]) == {GLYPHS["run"]}
    assert "100000 steps" in text


def test_nothing_ran() -> None:
    empty = Timeline(start=T0, end=T0 + 1)
    assert lines_of(render_timeline(empty, scope="cell 4")) == [
        "Nothing ran on the event loop in cell 4."
    ]


def test_summary_numbers() -> None:
    tl = tutorial_timeline()
    summary = summarize(tl)
    assert summary.wall == pytest.approx(0.61)
    assert summary.steps == 9
    assert summary.workers == 2  # the cell task waits for its children: not counted
    assert summary.serial == pytest.approx(1.2, abs=0.01)
    assert summary.concurrent == pytest.approx(0.6, abs=0.01)
    assert summary.busy == pytest.approx(0.0008 + 8 * 0.0001)
    text = fragment_list_to_text(render_timeline(tl))
    assert "0.61 s wall time · loop busy 0.3% · 9 steps · longest step 800 µs (<cell 2>" in text


def test_busy_time_counts_only_the_parts_of_steps_inside_the_window() -> None:
    spans = [(0.5, 1.5), (1.6, 1.7), (1.9, 2.4)]  # the first and last cross the window's edges
    tl = Timeline(
        start=T0 + 1,
        end=T0 + 2,
        tasks=(task(1, "w"),),
        steps=tuple(Step(1, T0 + a, T0 + b) for a, b in spans),
    )
    summary = summarize(tl)
    assert summary.busy == pytest.approx(0.5 + 0.1 + 0.1)
    assert summary.steps == 3 and summary.longest == Step(1, T0 + 0.5, T0 + 1.5)
    assert summary.blocking_steps == 3


def test_tasks_that_kept_the_loop_busy_are_said_to_take_turns() -> None:
    one = task(1, "first", created=0.0, ended=1.0)
    two = task(2, "second", created=0.0, ended=1.0)
    computing = {one: [(0.0, 0.3), (0.6, 0.3)], two: [(0.3, 0.3)]}  # the loop is 90% busy
    text = fragment_list_to_text(render_timeline(timeline(computing, end=1.0)))
    assert "Ran concurrently" not in text
    assert (
        "Took turns: the loop was busy 90% of the time, so running these 2 tasks concurrently "
        "saved little. Concurrency saves time while tasks wait (for I/O, a sleep, another task)."
    ) in " ".join(text.split())


def test_no_concurrency_claim_for_tasks_one_after_another() -> None:
    one = task(1, "first", created=0.0, ended=0.3)
    two = task(2, "second", created=0.3, ended=0.6)
    tl = timeline({one: [(0.0, 0.001)], two: [(0.3, 0.001)]}, end=0.6)
    assert summarize(tl).saved == pytest.approx(0.0)
    assert "concurrently" not in fragment_list_to_text(render_timeline(tl))


def test_axis_ticks_are_round_numbers() -> None:
    assert axis_ticks(0.61, 6) == pytest.approx([0.0, 0.2, 0.4, 0.6])
    assert axis_ticks(1.0, 10) == pytest.approx([i / 10 for i in range(11)])
    assert axis_ticks(0.003, 3) == pytest.approx([0.0, 0.001, 0.002, 0.003])
    assert axis_ticks(0.0, 3) == [0.0]
    assert [format_tick(t, 0.2) for t in (0.0, 0.2, 0.6000000001)] == ["0 s", "0.2 s", "0.6 s"]
    assert format_tick(0.002, 0.001) == "2 ms"
    assert format_tick(0.00004, 0.00002) == "40 µs"


def test_axis_labels_sit_under_their_ticks() -> None:
    lines = lines_of(render_timeline(tutorial_timeline(), width=100))
    axis_index = next(i for i, line in enumerate(lines) if "┴" in line)
    axis, labels = lines[axis_index], lines[axis_index + 1]
    ticks = [i for i, char in enumerate(axis) if char == "┴"]
    for label in ("0 s", "0.2 s", "0.4 s", "0.6 s"):
        at = labels.index(label)
        assert at in ticks or at + len(label) - 1 in ticks, label


def test_a_long_label_keeps_its_tasks_number() -> None:
    late = task(10234, "Task-10234", "print_values", created=0.0, ended=0.2)
    slow = task(10235, "Task-10235", "print_values_slowly", created=0.0, ended=0.2)
    named = task(2, "a_task_with_a_name_of_its_own", "work", created=0.0, ended=0.2)
    runs = {late: [(0.0, 0.05)], slow: [(0.05, 0.05)], named: [(0.1, 0.1)]}
    lines = lines_of(render_timeline(timeline(runs, end=0.2)))
    assert row(lines, "print_values (Task-10234)    ").index("▸") == 29
    assert row(lines, "print_values_s… (Task-10235) ").index("▸") == 29
    assert row(lines, "a_task_with_a_name_of_its_o… ").index("▸") == 29


def test_labels() -> None:
    assert task_label(task(2, "Task-2", "print_values")) == "print_values (Task-2)"
    assert task_label(task(2, "fetcher", "fetch")) == "fetcher"
    assert task_label(task(7, "None", "fetch")) == "fetch (#7)"


def drawn_one_span_at_a_time(
    spans: Sequence[tuple[float, float]], start: float, end: float, columns: int
) -> str:
    """The cells that ``spans`` reach, worked out span by span (as the chart once was)."""
    cells = [" "] * columns
    scale = columns / max(end - start, 1e-9)
    for a, b in spans:
        if b < start or a > end:
            continue
        first = min(max(int((a - start) * scale), 0), columns - 1)
        for index in range(first, min(max(int((b - start) * scale), 0), columns - 1) + 1):
            cells[index] = GLYPHS["run"]
    return "".join(cells).rstrip()


def loop_steps(rng: random.Random, owners: Sequence[int]) -> list[Step]:
    """One loop's steps, each where the one before ended or a little later, from before the
    window to after it: mostly short, some across many columns."""
    steps, at = [], T0 - 0.05
    while at < T0 + 1.05:
        took = rng.choice([1e-5] * 30 + [0.004, 0.03, 0.2])
        steps.append(Step(rng.choice(owners), at, at + took))
        at += took + rng.choice([0.0, 0.0, 1e-4, 0.01])
    return steps


@pytest.mark.parametrize("seed", range(6))
def test_callbacks_drawn_a_column_at_a_time_reach_where_each_span_does(seed: int) -> None:
    # The chart finds the callbacks column by column among all the steps: where a task's
    # long step crosses columns, or two loops' steps overlap, it must mark what each
    # callback reaches and nothing more.
    rng = random.Random(seed)
    steps = loop_steps(rng, [0, 0, 0, 1, 2])
    if seed % 2:  # a second loop's steps, merged in time order
        steps = sorted(steps + loop_steps(rng, [0, 3]), key=lambda step: step.start)
    tasks = tuple(task(i, f"t{i}", created=-0.05, ended=1.05) for i in (1, 2, 3))
    tl = Timeline(start=T0, end=T0 + 1.0, tasks=tasks, steps=tuple(steps))
    callbacks = [(s.start, s.end) for s in steps if s.task_id == 0]
    for width in (40, 83, 160):
        lines = lines_of(render_timeline(tl, width=width))
        axis = next(line for line in lines if "┴" in line)
        at = axis.index("┴")
        expected = drawn_one_span_at_a_time(callbacks, tl.start, tl.end, len(axis) - at)
        assert row(lines, "callbacks")[at:] == expected, width
