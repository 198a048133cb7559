"""The timeline chart as an SVG picture, for Jupyter and for ``--export chart.svg``: the same
rows, marks, axis and summary as the terminal chart, drawn at pixel resolution."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from asyncrepl.durations import format_duration
from asyncrepl.records import BlockReport, TaskInfo, TaskState
from asyncrepl.render.fragments import fragments_text
from asyncrepl.render.html import escape_text
from asyncrepl.render.rows import (
    choose_rows,
    fit_label,
    lifetime,
    spans_by_task,
    task_label,
    task_outcome,
)
from asyncrepl.render.timeline import GLYPHS, axis_ticks, format_tick
from asyncrepl.render.timeline_summary import render_summary, summarize
from asyncrepl.windows import Timeline

__all__ = ["COLOURS", "render_svg", "row_labels"]

COLOURS = {
    "run": "#2a7d2a",
    "wait": "#b0b0b0",
    "block": "#c0392b",
    "created": "#888888",
    "done": "#2a7d2a",
    "failed": "#c0392b",
    "cancelled": "#b58900",
    "text": "#222222",
    "dim": "#888888",
}
_END = {TaskState.DONE: "done", TaskState.FAILED: "failed", TaskState.CANCELLED: "cancelled"}
_NAME_WIDTH = 200
_ROW = 22
_TOP = 34
_LINE = 16
_NAME_CHARS = 28  # what fits in the name column


def render_svg(timeline: Timeline, *, width: int = 960, max_rows: int = 20, scope: str = "") -> str:
    """An ``<svg>`` element of the chart with its legend and summary.

    :param timeline: the recorded window.
    :param width: pixels across.
    :param max_rows: at most this many task rows: the busiest ones.
    :param scope: what the window is, for the title: ``"cell 3"``.
    """
    rows, hidden = choose_rows(timeline, max_rows)
    picture = _Picture(timeline, width)
    grouped = spans_by_task(timeline, {task.id for task in rows} | {0})
    y: float = _TOP
    labels = row_labels(rows)
    for task in rows:
        picture.task_row(task, labels[task.id], y, grouped[task.id])
        y += _ROW
    if hidden:
        picture.text(_NAME_WIDTH, y + 15, f"… and {hidden} more tasks, less busy", "dim")
        y += _ROW
    if grouped[0]:
        picture.name("callbacks", y)
        picture.bars(grouped[0], y + 5, 12, "run")
        y += _ROW
    picture.blocks(timeline, _TOP, y)
    y = picture.axis(y + 4)
    y = picture.legend(y + 8)
    summary = fragments_text(render_summary(summarize(timeline), timeline.threshold))
    for line in summary.splitlines():
        y += _LINE
        picture.text(8, y, line, "block" if line.startswith("⚠") else "text")
    of = f" of {scope}" if scope else ""
    title = f"Timeline{of} ({format_duration(timeline.end - timeline.start)})"
    picture.text(8, 20, title, "text", bold=True)
    return picture.finish(y + 12)


def row_labels(rows: Sequence[TaskInfo]) -> dict[int, str]:
    """Each row's name, short enough for the name column, and never the same for two tasks:
    a long name loses the middle of its coroutine, never the ``(Task-12)`` that tells two
    tasks of one coroutine apart, and two tasks with one name get their ids.

    :param rows: the tasks drawn.
    """
    full = {task.id: task_label(task) for task in rows}
    seen = list(full.values())
    for task in rows:
        if seen.count(full[task.id]) > 1:
            full[task.id] += f" #{task.id}"
    return {task_id: fit_label(label, _NAME_CHARS) for task_id, label in full.items()}


def _block_tooltip(block: BlockReport) -> str:
    """``loop blocked 0.5 s by time.sleep(0.5) at <cell 3>:2: time.sleep(0.5)``."""
    words = f"loop blocked {format_duration(block.duration)}"
    if block.task_name:
        words += f" by task {block.task_name!r}"
    if block.call:
        words += f", in {block.call}"
    where = block.location
    if where is not None:
        words += f", at {where.label}" + (f": {where.source}" if where.source else "")
    return words


class _Picture:
    """Collects SVG elements; time maps to x between the name column and the right edge."""

    def __init__(self, timeline: Timeline, width: int) -> None:
        self.timeline = timeline
        self.width = max(width, _NAME_WIDTH + 200)
        self.left = _NAME_WIDTH + 12
        self.right = self.width - 16
        self.span = max(timeline.end - timeline.start, 1e-9)
        self.parts: list[str] = []
        self.used: set[str] = {"run", "wait"}

    def x(self, t: float) -> float:
        fraction = min(max((t - self.timeline.start) / self.span, 0.0), 1.0)
        return round(self.left + fraction * (self.right - self.left), 2)

    def text(self, x: float, y: float, text: str, colour: str, *, bold: bool = False) -> None:
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(
            f'<text x="{x}" y="{y}" fill="{COLOURS[colour]}"{weight}>{escape_text(text)}</text>'
        )

    def name(self, label: str, y: float, tooltip: str = "") -> None:
        shown = fit_label(label, _NAME_CHARS)
        title = f"<title>{escape_text(tooltip)}</title>" if tooltip else ""
        self.parts.append(
            f'<text x="8" y="{y + 15}" fill="{COLOURS["text"]}">{escape_text(shown)}{title}</text>'
        )

    def task_row(
        self, task: TaskInfo, label: str, y: float, spans: Sequence[tuple[float, float]]
    ) -> None:
        tooltip = f"{task.name} (#{task.id}): {task.coro}, {task.state.value}"
        outcome = task_outcome(task)
        self.name(label, y, tooltip + (f", {outcome}" if outcome else ""))
        start, end = lifetime(task, self.timeline)
        x0, x1 = self.x(start), self.x(end)
        self.parts.append(
            f'<line x1="{x0}" y1="{y + 11}" x2="{x1}" y2="{y + 11}" '
            f'stroke="{COLOURS["wait"]}" stroke-width="2"/>'
        )
        threshold = self.timeline.threshold
        self.bars([(a, b) for a, b in spans if b - a <= threshold], y + 4, 14, "run")
        slow = [(a, b) for a, b in spans if b - a > threshold]
        self.bars(slow, y + 2, 18, "block")
        if task.created >= self.timeline.start:
            self.mark(x0 - 7, y, "created")
        if task.ended is not None and task.ended <= self.timeline.end:
            self.mark(x1 + 2, y, _END.get(task.state, "done"))

    def mark(self, x: float, y: float, kind: str) -> None:
        self.used.add(kind)
        self.text(x, y + 15, GLYPHS[kind], kind)

    def bars(self, spans: Iterable[tuple[float, float]], y: float, height: int, kind: str) -> None:
        merged: list[list[float]] = []
        for start, end in spans:
            x0, x1 = self.x(start), max(self.x(end), self.x(start) + 2)  # 2 px: visible
            if merged and x0 <= merged[-1][1] + 0.5:
                merged[-1][1] = max(merged[-1][1], x1)
            else:
                merged.append([x0, x1])
        if merged:
            self.used.add(kind)
        for x0, x1 in merged:
            self.parts.append(
                f'<rect x="{x0}" y="{y}" width="{round(x1 - x0, 2)}" height="{height}" '
                f'fill="{COLOURS[kind]}"/>'
            )

    def blocks(self, timeline: Timeline, top: float, bottom: float) -> None:
        """Blocked intervals as a translucent band behind every row."""
        for block in timeline.blocks:
            x0 = self.x(block.started)
            x1 = max(self.x(block.started + block.duration), x0 + 1)
            self.used.add("block")
            self.parts.insert(
                0,
                f'<rect x="{x0}" y="{top}" width="{round(x1 - x0, 2)}" height="{bottom - top}" '
                f'fill="{COLOURS["block"]}" fill-opacity="0.12">'
                f"<title>{escape_text(_block_tooltip(block))}</title></rect>",
            )

    def axis(self, y: float) -> float:
        self.parts.append(
            f'<line x1="{self.left}" y1="{y}" x2="{self.right}" y2="{y}" '
            f'stroke="{COLOURS["dim"]}"/>'
        )
        ticks = axis_ticks(self.span, max(int((self.right - self.left) // 80), 1))
        step = ticks[1] if len(ticks) > 1 else self.span
        for tick in ticks:
            x = self.x(self.timeline.start + tick)
            self.parts.append(
                f'<line x1="{x}" y1="{y}" x2="{x}" y2="{y + 5}" stroke="{COLOURS["dim"]}"/>'
            )
            self.text(x - 6, y + 18, format_tick(tick, step), "dim")
        return y + 22

    def legend(self, y: float) -> float:
        names = {
            "run": "ran",
            "wait": "waited",
            "block": f"held the loop > {format_duration(self.timeline.threshold)}",
            "created": "created",
            "done": "finished",
            "failed": "failed",
            "cancelled": "cancelled",
        }
        x = 8.0
        for kind, text in names.items():
            if kind in self.used:
                self.text(x, y + 12, GLYPHS[kind], kind)
                self.text(x + 14, y + 12, text, "dim")
                x += 24 + 7 * len(text)
        return y + 14

    def finish(self, height: float) -> str:
        body = "".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{height}" '
            f'viewBox="0 0 {self.width} {height}" font-family="sans-serif" font-size="12">'
            f'<rect width="100%" height="100%" fill="white"/>{body}</svg>'
        )
