"""A step that held the loop only because Python's garbage collector ran inside it is said to
be the collector's, not its task's: a 100,000-task run drew two one-line workers as holding
the loop for 0.13 s each, under "Fix: start very many tasks in batches"."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import time

from prompt_toolkit.formatted_text import fragment_list_to_text

from asyncrepl.instrument.collector import CollectorPauses
from asyncrepl.instrument.recorder import Recorder
from asyncrepl.records import Step, TaskInfo, TaskState
from asyncrepl.render.timeline_summary import render_summary, summarize
from asyncrepl.windows import Timeline
from tests.instrument.test_limits import run_recorded


def test_the_long_pauses_are_noted_while_listening() -> None:
    pauses = CollectorPauses(time.perf_counter)
    junk = [[] for _ in range(300_000)]  # live objects for a full collection to walk
    pauses.listen()
    pauses.listen()  # once, however often called
    try:
        before = time.perf_counter()
        gc.collect()
        after = time.perf_counter()
    finally:
        pauses.stop()
    gc.collect()  # not listening: not noted
    [(start, end)] = pauses.between(before, after)
    assert before <= start < end <= after and end - start >= 0.001
    assert pauses.between(after, after + 1) == () and len(junk) == 300_000


def window(steps: list[Step], collector: tuple[tuple[float, float], ...]) -> Timeline:
    tasks = [TaskInfo(n, f"t{n}", "work", TaskState.DONE, created=0.0, ended=10.0) for n in (1, 2)]
    return Timeline(0.0, 10.0, tasks, steps, threshold=0.1, collector=collector)


def words(timeline: Timeline) -> str:
    return fragment_list_to_text(render_summary(summarize(timeline), timeline.threshold))


def test_steps_over_the_threshold_only_for_the_collector() -> None:
    steps = [Step(1, 1.0, 1.15), Step(2, 2.0, 2.5), Step(2, 3.0, 3.05)]
    mixed = window(steps, ((1.02, 1.14), (3.0, 3.04)))  # inside the first and third steps
    summary = summarize(mixed)
    assert (summary.blocking_steps, summary.collector_steps, summary.collections) == (2, 1, 1)
    assert abs(summary.collector_time - 0.12) < 1e-9
    text = words(mixed)
    assert "⚠ 2 steps held the loop longer than 0.1 s (▓): nothing else ran meanwhile." in text
    assert "1 of them mostly ran Python's garbage collector (0.12 s in 1 collection)" in text
    only = window(steps[:1], ((1.02, 1.14),))
    assert "⚠ 1 step held the loop longer than 0.1 s (▓), running Python's garbage collector" in (
        words(only)
    )
    assert "Fix: keep fewer objects alive at once" in words(only)
    # A pause that leaves the step over the threshold on its own: the step's own work.
    own = window([Step(1, 1.0, 1.5)], ((1.0, 1.05),))
    assert summarize(own).collector_steps == 0 and "garbage collector" not in words(own)
    assert "garbage collector" not in words(window(steps, ()))


def test_a_recorded_step_that_collected_is_the_collectors() -> None:
    rec = Recorder()
    junk = [[] for _ in range(300_000)]

    async def collects() -> None:
        gc.collect()  # the step is all collector

    async def works() -> None:
        time.sleep(0.05)  # the step is its own work

    async def main() -> None:
        await asyncio.create_task(collects())
        await asyncio.create_task(works())

    run_recorded(rec, main())
    timeline = rec.timeline()
    [(start, end)] = [p for p in timeline.collector if p[1] - p[0] >= 0.005]
    # Over the threshold: the collecting step by its pause alone, the working step by its
    # own 50 ms (a large heap, as in the whole test suite, makes the pause longer).
    threshold = min((end - start) * 0.9, 0.04)
    summary = summarize(dataclasses.replace(timeline, threshold=threshold))
    assert summary.blocking_steps >= 2 and summary.collector_steps == 1, summary
    assert len(junk) == 300_000
