"""The numbers under a timeline chart, in words: wall time, how busy the loop was, the longest
step, what running the tasks concurrently saved, and how many steps held the loop too long."""

from __future__ import annotations

import operator
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from typing import TYPE_CHECKING

from asyncrepl.durations import format_duration
from asyncrepl.records import BlockReport, Step, TaskInfo
from asyncrepl.render.rows import CALLBACKS, lifetimes, task_label, worth_a_row
from asyncrepl.windows import BUSY_LOOP, StepColumns, TaskColumns, Timeline

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = ["TimelineSummary", "render_summary", "summarize", "wrap_line"]

_BLOCKING_FIX = "`await` the slow call, or run it in `await asyncio.to_thread(...)`."

#: When every block in the window was asyncio itself starting very many tasks at once.
_ASYNCIO_BUSY_FIX = "start very many tasks in batches, or accept it as a one-off start-up cost."

#: When every long step was the garbage collector walking very many live objects.
_COLLECTOR_FIX = "keep fewer objects alive at once (start very many tasks in batches)."


@dataclass(frozen=True)
class TimelineSummary:
    """The numbers under the chart.

    :param wall: seconds from the window's start to its end.
    :param busy: seconds the loop spent running steps in the window.
    :param steps: how many steps ran (callbacks included).
    :param longest: the longest step, or None.
    :param longest_task: who ran it, as the chart labels it.
    :param blocking_steps: steps longer than the threshold.
    :param serial: the sum of the lifetimes of the tasks that did the work.
    :param concurrent: the span those same tasks took together.
    :param workers: how many tasks that is.
    :param collector_steps: of the ``blocking_steps``, those that were over the threshold
        only for the garbage collector's pauses inside them.
    :param collector_time: the collector's seconds inside those steps.
    :param collections: how many of its pauses that was.
    """

    wall: float
    busy: float
    steps: int
    longest: Step | None
    longest_task: str
    blocking_steps: int
    serial: float
    concurrent: float
    workers: int
    collector_steps: int = 0
    collector_time: float = 0.0
    collections: int = 0

    @property
    def busy_fraction(self) -> float:
        return self.busy / self.wall if self.wall > 0 else 0.0

    @property
    def saved(self) -> float:
        """Seconds concurrency saved over running the same tasks one after another."""
        return max(self.serial - self.concurrent, 0.0)


def summarize(timeline: Timeline) -> TimelineSummary:
    """Wall time, loop busy time, the longest step, and what concurrency saved.

    The work is counted on the tasks started in the window that created no other task: a
    parent mostly waits for its children, and counting it (or a task from an earlier cell that
    merely lived on) would claim savings that never were.

    :param timeline: the recorded window.
    """
    steps = StepColumns.of(timeline.steps)
    durations = steps.durations()  # up to a million: whole-column operations, no loop here
    longest, most = None, max(durations, default=-1.0)
    if durations:
        longest = steps[durations.index(most)]
    tasks = TaskColumns.of(timeline.tasks)
    workers = _workers(tasks, timeline)
    created, ended = compress(tasks.created, workers), compress(tasks.ended, workers)
    starts, ends = lifetimes(list(created), list(ended), timeline)
    serial = sum(map(operator.sub, ends, starts))
    span = max(ends) - min(starts) if starts else 0.0
    blocking = _count_over(durations, timeline.threshold, most)
    collector = _collector_share(durations, steps, timeline) if blocking else (0, 0.0, 0)
    who = ""
    if longest is not None:
        task = tasks.find(longest.task_id)
        who = CALLBACKS if task is None else task_label(task)
    return TimelineSummary(
        wall=max(timeline.end - timeline.start, 0.0),
        busy=steps.busy(timeline.start, timeline.end),
        steps=len(steps),
        longest=longest,
        longest_task=who if longest is None or longest.task_id else "a callback",
        blocking_steps=blocking,
        serial=serial,
        concurrent=span,
        workers=len(starts),
        collector_steps=collector[0],
        collector_time=collector[1],
        collections=collector[2],
    )


def _collector_share(
    durations: Sequence[float], steps: StepColumns, timeline: Timeline
) -> tuple[int, float, int]:
    """Of the steps over the threshold, how many were over it only for the garbage
    collector's pauses inside them, the collector's seconds in those, and its pauses."""
    pauses, limit = timeline.collector, timeline.threshold
    if not pauses:
        return 0, 0.0, 0
    over = compress(range(len(durations)), map(operator.lt, repeat(limit), durations))
    count, seconds = 0, 0.0
    used: set[tuple[float, float]] = set()
    for at in over:  # a few steps, a few pauses
        start, end = steps.starts[at], steps.ends[at]
        inside = [(p, min(end, p[1]) - max(start, p[0])) for p in pauses]
        inside = [(p, took) for p, took in inside if took > 0]
        took = sum(part for _, part in inside)
        if durations[at] - took <= limit:
            count, seconds = count + 1, seconds + took
            used.update(p for p, _ in inside)
    return count, seconds, len(used)


def _workers(tasks: TaskColumns, timeline: Timeline) -> bytes:
    """For each task, whether it did the work: it is worth a row, started in the window (a
    task left from an earlier cell, a ticker in the background, lived through the window but
    was never "one after another"), started no other task and runs no cell. Up to 100,000
    tasks: a column at a time, as the steps, and only the tests that some task fails.

    :param tasks: the window's tasks.
    :param timeline: the window.
    """
    start, end, created = timeline.start, timeline.end, tasks.created
    parents = tasks.distinct(operator.attrgetter("parent_id"))
    keep: Iterable[bool] = tasks.read(_could_work)
    if parents != {None}:
        keep = map(operator.and_, keep, map(operator.not_, map(parents.__contains__, tasks.ids)))
    if created and (min(created) < start or max(created) > end):
        keep = map(operator.and_, keep, map(operator.le, repeat(start), created))
        keep = map(operator.and_, keep, map(operator.le, created, repeat(end)))
    return bytes(keep)


def _could_work(task: TaskInfo) -> bool:
    return worth_a_row(task) and not task.is_cell


def _count_over(durations: Sequence[float], limit: float, most: float) -> int:
    """How many of ``durations`` exceed ``limit`` (``most`` is the largest: usually none do)."""
    return sum(map(operator.lt, repeat(limit), durations)) if most > limit else 0


def render_summary(
    summary: TimelineSummary,
    threshold: float,
    blocks: Sequence[BlockReport] = (),
    width: int | None = None,
) -> StyleAndTextTuples:
    """The summary lines: wall time, loop busy, steps, the longest step, concurrency.

    :param summary: from :func:`summarize`.
    :param threshold: seconds above which a step blocks the loop.
    :param blocks: the watchdog's reports in the window (they say why steps were long).
    :param width: lines are broken between words to fit; None leaves them whole.
    """
    parts = [
        f"{format_duration(summary.wall)} wall time",
        f"loop busy {summary.busy_fraction:.1%}",
        f"{summary.steps} step{'s' * (summary.steps != 1)}",
    ]
    if summary.longest is not None:
        longest = format_duration(summary.longest.duration)
        parts.append(f"longest step {longest} ({summary.longest_task})")
    out: StyleAndTextTuples = [("", " · ".join(parts) + "\n")]
    if summary.workers > 1 and summary.serial > summary.concurrent * 1.1:
        out += _concurrency(summary)
    if summary.blocking_steps:
        out += _blocking(summary, threshold, blocks)
    if width is not None:
        out = [(fragment[0], wrap_line(fragment[1], width)) for fragment in out]
    out[-1] = (out[-1][0], out[-1][1].removesuffix("\n"))
    return out


def _blocking(
    summary: TimelineSummary, threshold: float, blocks: Sequence[BlockReport]
) -> StyleAndTextTuples:
    """The warning about steps that held the loop too long, and the collector's part in it."""
    count, collected = summary.blocking_steps, summary.collector_steps
    steps = (
        f"{count} step{'s' * (count != 1)} held the loop longer than {format_duration(threshold)}"
    )
    collector = (
        f"Python's garbage collector ({format_duration(summary.collector_time)} in "
        f"{summary.collections} collection{'s' * (summary.collections != 1)})"
    )
    if collected == count:  # none of it was the tasks' own code
        return [
            (
                "class:ar.warn",
                f"⚠ {steps} (▓), running {collector}, not their own code: a collection walks "
                f"every live object. Fix: {_COLLECTOR_FIX}\n",
            )
        ]
    busy_asyncio = bool(blocks) and all(block.in_asyncio for block in blocks)
    fix = _ASYNCIO_BUSY_FIX if busy_asyncio else _BLOCKING_FIX
    out: StyleAndTextTuples = [
        ("class:ar.warn", f"⚠ {steps} (▓): nothing else ran meanwhile. Fix: {fix}\n")
    ]
    if collected:
        out.append(
            (
                "",
                f"{collected} of them mostly ran {collector}, not their own code: a collection "
                "walks every live object, and very many live tasks or objects make it long.\n",
            )
        )
    return out


def wrap_line(line: str, width: int) -> str:
    """``line`` (ending in a newline) broken between words to ``width`` columns."""
    body = line.removesuffix("\n")
    wrapped = textwrap.fill(body, width=max(width, 20), subsequent_indent="  ")
    return wrapped + "\n" * line.endswith("\n")


def _concurrency(summary: TimelineSummary) -> StyleAndTextTuples:
    """What running the tasks concurrently did: saved their waits, or (on a busy loop) little."""
    if summary.busy_fraction <= BUSY_LOOP:
        together, apart = format_duration(summary.concurrent), format_duration(summary.serial)
        return [
            (
                "class:ar.ok",
                f"Ran concurrently: {together} instead of {apart} one after another "
                f"({summary.workers} tasks).\n",
            )
        ]
    return [
        (
            "",
            f"Took turns: the loop was busy {summary.busy_fraction:.0%} of the time, so running "
            f"these {summary.workers} tasks concurrently saved little. Concurrency saves time "
            "while tasks wait (for I/O, a sleep, another task).\n",
        )
    ]
