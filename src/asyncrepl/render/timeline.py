"""What ``%timeline`` draws in a terminal: one row per task across time, when each step ran,
when it waited and when it held the loop too long, an axis, a legend and a summary."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from prompt_toolkit.formatted_text import StyleAndTextTuples

from asyncrepl.durations import format_duration
from asyncrepl.records import (
    BUSY_LOOP,
    FORGOTTEN,
    BlockReport,
    Step,
    StepColumns,
    TaskInfo,
    TaskState,
    Timeline,
)

__all__ = [
    "GLYPHS",
    "TimelineSummary",
    "axis_ticks",
    "choose_rows",
    "format_tick",
    "lifetime",
    "render_summary",
    "render_timeline",
    "spans_by_task",
    "steps_by_task",
    "summarize",
    "task_label",
    "task_outcome",
    "users_tasks",
]

#: Each kind of cell: its character (distinct, so the chart reads without colour too), its
#: style class and its words in the legend (the words for ``block`` name the threshold).
_KINDS = {
    "run": ("█", "class:ar.run", "ran"),
    "wait": ("─", "class:ar.wait", "waited"),
    "block": ("▓", "class:ar.block", "held the loop > {threshold}"),
    "created": ("▸", "class:ar.dim", "created"),
    "done": ("✓", "class:ar.ok", "finished"),
    "failed": ("✗", "class:ar.error", "failed"),
    "cancelled": ("⊘", "class:ar.warn", "cancelled"),
    "beyond": ("…", "class:ar.dim", "goes on outside this window"),
}
GLYPHS = {kind: glyph for kind, (glyph, _, _) in _KINDS.items()}
_STYLE = {"": "", **{kind: style for kind, (_, style, _) in _KINDS.items()}}
_END_MARK = {TaskState.DONE: "done", TaskState.FAILED: "failed", TaskState.CANCELLED: "cancelled"}
#: Higher wins when several things fall in one cell of the chart.
_RANK = {"": 0, "wait": 1, "run": 2, "block": 3}
_NAME_WIDTH = 24
#: asyncio's own housekeeping at the end of ``asyncio.run``: not the user's work, not drawn.
_HOUSEKEEPING = ("BaseEventLoop.shutdown_asyncgens", "BaseEventLoop.shutdown_default_executor")
_CALLBACKS = "callbacks"
_BLOCKING_FIX = "`await` the slow call, or run it in `await asyncio.to_thread(...)`."
#: When every block in the window was asyncio itself starting very many tasks at once.
_ASYNCIO_BUSY_FIX = "start very many tasks in batches, or accept it as a one-off start-up cost."


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

    @property
    def busy_fraction(self) -> float:
        return self.busy / self.wall if self.wall > 0 else 0.0

    @property
    def saved(self) -> float:
        """Seconds concurrency saved over running the same tasks one after another."""
        return max(self.serial - self.concurrent, 0.0)


def task_label(task: TaskInfo) -> str:
    """What a row is called: the task's name, and its coroutine when the name is asyncio's own.

    :param task: the task.
    """
    if task.name in ("", "None"):  # Python 3.13.0 names every task of a task factory "None"
        return f"{task.coro} (#{task.id})"
    if task.name.startswith(("Task-", "Task #")) and task.coro not in ("", "?", task.name):
        return f"{task.coro} ({task.name})"
    return task.name


def task_outcome(task: TaskInfo) -> str:
    """How a finished task ended, in words; ``""`` for a cell, whose coroutine returns the
    shell's own record of the cell (an ``ExecutionResult``), nothing of the user's.

    :param task: the task.
    """
    return "" if task.is_cell else task.outcome


def lifetime(task: TaskInfo, timeline: Timeline) -> tuple[float, float]:
    """When ``task`` lived, cut to the window.

    :param task: a task of ``timeline``.
    :param timeline: the window.
    """
    end = timeline.end if task.ended is None else task.ended
    return max(task.created, timeline.start), min(max(end, task.created), timeline.end)


def spans_by_task(timeline: Timeline, task_ids: set[int]) -> dict[int, list[tuple[float, float]]]:
    """``(start, end)`` of each step of the tasks in ``task_ids`` (0: plain callbacks), by
    task, in time order; an empty list for a task without steps.

    :param timeline: the recorded window.
    :param task_ids: the tasks wanted.
    """
    return StepColumns.of(timeline.steps).spans_of(task_ids)


def steps_by_task(steps: Iterable[Step]) -> dict[int, list[Step]]:
    """The steps of each task id (0: plain callbacks), in time order.

    :param steps: steps in time order.
    """
    grouped: dict[int, list[Step]] = {}
    for step in steps:
        grouped.setdefault(step.task_id, []).append(step)
    return grouped


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
    parents = {task.parent_id for task in timeline.tasks}
    # Only the tasks the window's own code started: a task left from an earlier cell
    # (a ticker in the background) lived through the window but was never "one after another".
    started = [t for t in users_tasks(timeline) if timeline.start <= t.created <= timeline.end]
    workers = [t for t in started if t.id not in parents and not t.is_cell]
    lives = [lifetime(task, timeline) for task in workers]
    serial = sum(end - start for start, end in lives)
    span = max(end for _, end in lives) - min(start for start, _ in lives) if lives else 0.0
    names = {task.id: task_label(task) for task in timeline.tasks}
    who = "" if longest is None else names.get(longest.task_id, _CALLBACKS)
    return TimelineSummary(
        wall=max(timeline.end - timeline.start, 0.0),
        busy=steps.busy(timeline.start, timeline.end),
        steps=len(steps),
        longest=longest,
        longest_task=who if longest is None or longest.task_id else "a callback",
        blocking_steps=_count_over(durations, timeline.threshold, most),
        serial=serial,
        concurrent=span,
        workers=len(workers),
    )


def _count_over(durations: list[float], limit: float, most: float) -> int:
    """How many of ``durations`` exceed ``limit`` (``most`` is the largest: usually none do)."""
    return sum(map(limit.__lt__, durations)) if most > limit else 0


def users_tasks(timeline: Timeline) -> list[TaskInfo]:
    """The tasks worth a row: all but asyncio's own clean-up at the end of ``asyncio.run``.

    :param timeline: the recorded window.
    """
    return [task for task in timeline.tasks if task.coro not in _HOUSEKEEPING]


def choose_rows(timeline: Timeline, max_rows: int) -> tuple[list[TaskInfo], int]:
    """The busiest ``max_rows`` tasks in the order they were created, and how many were left out.

    :param timeline: the recorded window.
    :param max_rows: at most this many rows.
    """
    run_time: dict[int, float] = {}
    if len(timeline.tasks) > max(max_rows, 1):  # only then are some left out: rank them
        run_time = StepColumns.of(timeline.steps).time_by_task()
    ranked = sorted(
        users_tasks(timeline), key=lambda t: (-run_time.get(t.id, 0.0), t.created, t.id)
    )
    chosen = sorted(ranked[: max(max_rows, 1)], key=lambda t: (t.created, t.id))
    return chosen, len(ranked) - len(chosen)


def axis_ticks(span: float, max_ticks: int) -> list[float]:
    """Round tick positions (1, 2 or 5 times a power of ten) from 0 to ``span``.

    :param span: seconds the axis covers.
    :param max_ticks: at most this many intervals.
    """
    if span <= 0 or max_ticks < 1:
        return [0.0]
    raw = span / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(span / step + 1e-9) + 1)]


def format_tick(value: float, step: float) -> str:
    """A tick label in the unit that suits the tick spacing: ``0.2 s``, ``150 ms``, ``40 µs``.

    :param value: seconds from the window's start.
    :param step: seconds between ticks.
    """
    scale, unit = (1.0, "s") if step >= 0.1 else (1e3, "ms") if step >= 1e-4 else (1e6, "µs")
    return f"{round(value * scale, 6):g} {unit}"


def render_timeline(
    timeline: Timeline, *, width: int = 80, max_rows: int = 20, scope: str = ""
) -> StyleAndTextTuples:
    """The whole chart: title, one row per task, the axis, the legend and the summary.

    :param timeline: the recorded window.
    :param width: columns available (the terminal's width).
    :param max_rows: at most this many task rows: the busiest ones.
    :param scope: what the window is, for the title: ``"cell 3"``, ``"the last 5 s"``.
    """
    where = f" in {scope}" if scope else ""
    if not timeline.steps and not timeline.tasks:
        return [("", f"Nothing ran on the event loop{where}.")]
    rows, hidden = choose_rows(timeline, max_rows)
    labels = [task_label(task) for task in rows]
    grouped = spans_by_task(timeline, {task.id for task in rows} | {0})
    callbacks = bool(grouped[0])
    extra = [_CALLBACKS] * callbacks + ["loop blocked"] * bool(timeline.blocks)
    name_width = min(max(len(label) for label in [*labels, *extra, "task"]), _NAME_WIDTH)
    chart = _Chart(timeline, max(width - name_width - 3, 10))
    wall = format_duration(timeline.end - timeline.start)
    title = f"Timeline of {scope}" if scope else "Timeline"
    out: StyleAndTextTuples = [("class:ar.title", f"{title} ({wall})\n")]
    for task, label in zip(rows, labels, strict=True):
        out += _name(label, name_width) + chart.task_row(task, grouped[task.id])
    if hidden:
        out.append(("class:ar.dim", f"{'':{name_width}}  … and {hidden} more tasks, less busy\n"))
    if callbacks:
        out += _name(_CALLBACKS, name_width) + chart.spans_row(grouped[0], "run")
    if timeline.blocks:
        blocks = [(b.started, b.started + b.duration) for b in timeline.blocks]
        out += _name("loop blocked", name_width) + chart.spans_row(blocks, "block")
    out += chart.axis(name_width + 1)
    out += _legend(chart.used, timeline.threshold, width)
    summary = render_summary(summarize(timeline), timeline.threshold, timeline.blocks, width)
    notes: StyleAndTextTuples = [
        ("class:ar.dim", "\n" + textwrap.fill(note, width, subsequent_indent="  "))
        for note in _notes(timeline)
    ]
    return out + summary + notes


def _notes(timeline: Timeline) -> list[str]:
    """What the chart cannot tell: tasks known only from their steps, and the recording's
    own notes."""
    forgotten = sum(task.outcome == FORGOTTEN for task in timeline.tasks)
    if not forgotten:
        return list(timeline.notes)
    told = f"{forgotten} tasks" if forgotten > 1 else "1 task"  # as the summary counts
    return [
        f"{told} finished too long ago to be remembered by name (finished_tasks keeps the "
        "last ones): drawn as Task #N, from their first step to their last.",
        *timeline.notes,
    ]


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
        count = summary.blocking_steps
        busy_asyncio = bool(blocks) and all(block.in_asyncio for block in blocks)
        fix = _ASYNCIO_BUSY_FIX if busy_asyncio else _BLOCKING_FIX
        out.append(
            (
                "class:ar.warn",
                f"⚠ {count} step{'s' * (count != 1)} held the loop longer than "
                f"{format_duration(threshold)} (▓): nothing else ran meanwhile. Fix: {fix}\n",
            )
        )
    if width is not None:
        out = [(fragment[0], _wrap(fragment[1], width)) for fragment in out]
    out[-1] = (out[-1][0], out[-1][1].removesuffix("\n"))
    return out


def _wrap(line: str, width: int) -> str:
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


def _name(label: str, width: int) -> StyleAndTextTuples:
    shown = label if len(label) <= width else label[: width - 1] + "…"
    return [("class:ar.name", f"{shown:<{width}} ")]


def _legend(used: set[str], threshold: float, width: int) -> StyleAndTextTuples:
    limit = format_duration(threshold)
    out: StyleAndTextTuples = []
    column = 0
    for kind, (glyph, style, words) in _KINDS.items():
        if kind not in used and kind not in ("run", "wait"):
            continue
        text = words.format(threshold=limit)
        if column and column + len(text) + 4 > width:
            out.append(("", "\n"))
            column = 0
        out += [(style, glyph), ("class:ar.dim", f" {text}  ")]
        column += len(text) + 4
    return [*out, ("", "\n")]


class _Chart:
    """Columns of equal time across the window; each cell shows the strongest thing in it."""

    def __init__(self, timeline: Timeline, columns: int) -> None:
        self.timeline = timeline
        self.columns = columns
        self.span = max(timeline.end - timeline.start, 1e-9)
        self.used: set[str] = set()

    def column(self, t: float) -> int:
        index = int((t - self.timeline.start) / self.span * self.columns)
        return min(max(index, 0), self.columns - 1)

    def task_row(self, task: TaskInfo, spans: Sequence[tuple[float, float]]) -> StyleAndTextTuples:
        cells = [""] * self.columns
        start, end = lifetime(task, self.timeline)
        self._fill(cells, [(start, end)], "wait")
        limit = self.timeline.threshold
        self._fill(cells, [(a, b) for a, b in spans if b - a <= limit], "run")
        self._fill(cells, [(a, b) for a, b in spans if b - a > limit], "block")
        # The marks sit just outside the bar: the cell before its first, the one after its last.
        cells = ["", *cells, ""]
        # A cell's task is made a moment before its window opens: that is not "before".
        born_before = task.created < self.timeline.start - self.span / self.columns
        goes_on = task.ended is None or task.ended > self.timeline.end
        cells[self.column(start)] = "beyond" if born_before else "created"
        cells[self.column(end) + 2] = "beyond" if goes_on else _END_MARK.get(task.state, "done")
        return self._line(cells)

    def spans_row(self, spans: Sequence[tuple[float, float]], kind: str) -> StyleAndTextTuples:
        cells = [""] * self.columns
        self._fill(cells, spans, kind)
        return self._line(["", *cells, ""])

    def _fill(self, cells: list[str], spans: Iterable[tuple[float, float]], kind: str) -> None:
        # The hot loop of a long recording (a million steps): locals only, no calls.
        rank, origin, stop = _RANK[kind], self.timeline.start, self.timeline.end
        scale, last = self.columns / self.span, self.columns - 1
        for start, end in spans:
            if end < origin or start > stop:
                continue
            first = min(max(int((start - origin) * scale), 0), last)
            for index in range(first, min(max(int((end - origin) * scale), 0), last) + 1):
                if rank > _RANK[cells[index]]:
                    cells[index] = kind

    def _line(self, cells: Sequence[str]) -> StyleAndTextTuples:
        out: StyleAndTextTuples = []
        for kind in cells:
            self.used.add(kind)
            text = GLYPHS.get(kind, " ")
            style = _STYLE[kind]
            if out and out[-1][0] == style:
                out[-1] = (style, out[-1][1] + text)
            else:
                out.append((style, text))
        if out and not out[-1][0]:
            out[-1] = ("", out[-1][1].rstrip())
        return [*out, ("", "\n")]

    def axis(self, indent: int) -> StyleAndTextTuples:
        ticks = axis_ticks(self.span, max(self.columns // 10, 1))
        step = ticks[1] if len(ticks) > 1 else self.span
        line = ["─"] * self.columns
        labels = [" "] * (self.columns + 2)
        free = 0
        for tick in ticks:
            index = self.column(self.timeline.start + tick)
            line[index] = "┴"
            text = format_tick(tick, step)
            at = index + 1
            if at + len(text) > len(labels):  # no room after the tick: end the label at it
                at = index + 2 - len(text)
            if at >= free:
                labels[at : at + len(text)] = text
                free = at + len(text) + 1
        pad = " " * indent
        return [("class:ar.dim", f"{pad} {''.join(line)}\n{pad}{''.join(labels).rstrip()}\n")]
