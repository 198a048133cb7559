"""What ``%timeline`` draws in a terminal: one row per task across time, when each step ran,
when it waited and when it held the loop too long, an axis, a legend and a summary."""

from __future__ import annotations

import bisect
import math
import operator
from collections.abc import Iterator, Sequence
from itertools import compress, repeat
from typing import TYPE_CHECKING

from asyncrepl.durations import format_duration
from asyncrepl.instrument.ring import CALLBACK
from asyncrepl.records import FORGOTTEN, TaskInfo, TaskState
from asyncrepl.render.rows import CALLBACKS, choose_rows, fit_label, lifetime, task_label
from asyncrepl.render.timeline_summary import render_summary, summarize, wrap_line
from asyncrepl.windows import StepColumns, TaskColumns, Timeline

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = ["GLYPHS", "axis_ticks", "format_tick", "render_timeline"]

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
#: The widest a row's name is drawn: ``print_values (Task-12345)`` whole, as in the SVG.
_NAME_WIDTH = 28


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
    steps = StepColumns.of(timeline.steps)
    grouped = steps.spans_of({task.id for task in rows})
    callbacks = CALLBACK in steps.task_ids
    extra = [CALLBACKS] * callbacks + ["loop blocked"] * bool(timeline.blocks)
    name_width = min(max(len(label) for label in [*labels, *extra, "task"]), _NAME_WIDTH)
    chart = _Chart(timeline, max(width - name_width - 3, 10))
    wall = format_duration(timeline.end - timeline.start)
    title = f"Timeline of {scope}" if scope else "Timeline"
    out: StyleAndTextTuples = [("class:ar.title", f"{title} ({wall})\n")]
    for task, label in zip(rows, labels, strict=True):
        out += _name(label, name_width) + chart.task_row(task, grouped[task.id])
    if hidden:
        out.append(("class:ar.dim", f"{'':{name_width}}  … and {hidden} more tasks, less busy\n"))
    if callbacks:  # drawn from all the steps, as a long run has 100,000 callbacks among them
        row = chart.spans_row(steps.starts, steps.ends, "run", steps.task_ids)
        out += _name(CALLBACKS, name_width) + row
    if timeline.blocks:
        blocks = sorted((b.started, b.started + b.duration) for b in timeline.blocks)
        starts, ends = [a for a, _ in blocks], [b for _, b in blocks]
        out += _name("loop blocked", name_width) + chart.spans_row(starts, ends, "block")
    out += chart.axis(name_width + 1)
    out += _legend(chart.used, timeline.threshold, width)
    summary = render_summary(summarize(timeline), timeline.threshold, timeline.blocks, width)
    notes: StyleAndTextTuples = [
        ("class:ar.dim", "\n" + wrap_line(note, width)) for note in _notes(timeline)
    ]
    return out + summary + notes


def _notes(timeline: Timeline) -> list[str]:
    """What the chart cannot tell: tasks known only from their steps, and the recording's
    own notes."""
    forgotten = sum(TaskColumns.of(timeline.tasks).read(_forgotten))
    if not forgotten:
        return list(timeline.notes)
    told = f"{forgotten} tasks" if forgotten > 1 else "1 task"  # as the summary counts
    return [
        f"{told} finished too long ago to be remembered by name (finished_tasks keeps the "
        "last ones): drawn as Task #N, from their first step to their last.",
        *timeline.notes,
    ]


def _forgotten(task: TaskInfo) -> bool:
    return task.outcome == FORGOTTEN


def _name(label: str, width: int) -> StyleAndTextTuples:
    return [("class:ar.name", f"{fit_label(label, width):<{width}} ")]


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
        self._fill(cells, [start], [end], "wait")
        limit = self.timeline.threshold
        short = [(a, b) for a, b in spans if b - a <= limit]
        long = [(a, b) for a, b in spans if b - a > limit]
        self._fill(cells, [a for a, _ in short], [b for _, b in short], "run")
        self._fill(cells, [a for a, _ in long], [b for _, b in long], "block")
        # The marks sit just outside the bar: the cell before its first, the one after its last.
        cells = ["", *cells, ""]
        # A cell's task is made a moment before its window opens: that is not "before".
        born_before = task.created < self.timeline.start - self.span / self.columns
        goes_on = task.ended is None or task.ended > self.timeline.end
        cells[self.column(start)] = "beyond" if born_before else "created"
        cells[self.column(end) + 2] = "beyond" if goes_on else _END_MARK.get(task.state, "done")
        return self._line(cells)

    def spans_row(
        self,
        starts: Sequence[float],
        ends: Sequence[float],
        kind: str,
        owners: Sequence[int] | None = None,
    ) -> StyleAndTextTuples:
        """A row of spans in time order; with ``owners``, whose each span is, only those of
        the plain callbacks (task id 0)."""
        cells = [""] * self.columns
        self._fill(cells, starts, ends, kind, owners)
        return self._line(["", *cells, ""])

    def _fill(
        self,
        cells: list[str],
        starts: Sequence[float],
        ends: Sequence[float],
        kind: str,
        owners: Sequence[int] | None = None,
    ) -> None:
        """``kind`` in each cell the spans ``(starts[i], ends[i])`` reach (only those of the
        plain callbacks when ``owners`` says whose each is), where nothing stronger is."""
        rank = _RANK[kind]
        for first, last in self._reached(starts, ends, owners):
            for index in range(first, last + 1):
                if rank > _RANK[cells[index]]:
                    cells[index] = kind

    def _reached(
        self,
        starts: Sequence[float],
        ends: Sequence[float],
        owners: Sequence[int] | None,
    ) -> Iterator[tuple[int, int]]:
        """For each column where spans start, the columns they reach: from it to the column of
        the latest of their ends. The spans are in time order (and end after they start), so
        those of each column are found by bisection and their latest end by one C-level
        max(): the 300,000 steps of a long run take a few hundred Python steps, not a million.
        """
        origin, stop, last = self.timeline.start, self.timeline.end, self.columns - 1
        scale = self.columns / self.span

        def column(t: float) -> int:  # unclamped: the spans of column 0 start at or before it
            return int((t - origin) * scale)

        after = bisect.bisect_right(starts, stop)  # those that start after the window: none
        begin = 0
        for at in range(self.columns):
            if at == last:
                until = after
            else:
                until = bisect.bisect_left(starts, at + 1, begin, after, key=column)
            if begin < until and (owners is None or CALLBACK in owners[begin:until]):
                reach = max(ends[begin:until])
                if owners is not None and (at == 0 or column(reach) > at):
                    # A span goes on past this column (or all may end before the window):
                    # is it a callback's?
                    mine = map(operator.eq, owners[begin:until], repeat(CALLBACK))
                    reach = max(compress(ends[begin:until], mine))
                if reach >= origin:  # or they all ended before the window
                    yield at, min(max(column(reach), 0), last)
            begin = until

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
