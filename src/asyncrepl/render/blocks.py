"""The run-time blocking report for a person: how long the event loop was blocked, by which
task, the line and the call, why, and the fix; the one-line "still blocked" note; and the one
line for a block the static check flagged before the cell ran."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from asyncrepl.durations import format_duration
from asyncrepl.records import BlockReport
from asyncrepl.render.hints import EXPLAIN_HINT
from asyncrepl.render.wrap import wrap_fragments

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = ["render_block", "render_flagged_block", "render_still_blocked"]

_CPU_FIX = (
    "run it in a thread with `await asyncio.to_thread(function, ...)`,\n"
    "       or let other tasks take turns: `await asyncio.sleep(0)` inside the loop."
)
_ASYNCIO_WHY = "Starting very many tasks or callbacks at once keeps the event loop busy."
_ASYNCIO_FIX = (
    "start them in batches of a few thousand (`await asyncio.gather(*batch)`),\n"
    "       or accept it as a one-off start-up cost."
)


def render_block(
    report: BlockReport, *, explain_hint: bool = False, width: int | None = None
) -> StyleAndTextTuples:
    """The report of one block, after it ended (``report.still_blocked`` is False), its lines
    broken between words when they are wider than the terminal (code is never cut).

    :param report: from the watchdog.
    :param explain_hint: end with ``(%explain for more)``.
    :param width: the columns to fit; None means the terminal's width.
    """
    if report.still_blocked:
        return render_still_blocked(report, width)
    took = format_duration(report.duration)
    fragments: StyleAndTextTuples = [
        ("class:ar.warn", "⚠ "),
        ("class:ar.warn", f"The event loop was blocked for {took} "),
        *_by_whom(report),
        ("class:ar.dim", f" ({report.code} {report.slug})"),
    ]
    fragments += _where(report)
    fragments += [("", "\n  "), *_why(report, took)]
    fragments += _recording(report)
    fix = _fix(report)
    if fix:
        fragments += [("", "\n  Fix: "), *fix]
    if explain_hint:
        fragments += [("", "\n  "), ("class:ar.hint", EXPLAIN_HINT)]
    return wrap_fragments(fragments, width)


#: How a long block is stopped in the terminal (asyncrepl routes Ctrl-C to what blocks).
STOP_IN_TERMINAL = "Ctrl-C stops it."
#: In a kernel, when the running cell's own code blocks: the notebook's interrupt stops it.
STOP_CELL_IN_KERNEL = "Interrupt the kernel (■) to stop it."
#: In a kernel, when a task blocks: the interrupt reaches a running cell's own code only.
STOP_TASK_IN_KERNEL = (
    "Only restarting the kernel stops it: an interrupt stops a cell's own code, not a task."
)


def render_still_blocked(
    report: BlockReport, width: int | None = None, stop: str = STOP_IN_TERMINAL
) -> StyleAndTextTuples:
    """The one interim line sent while a long block goes on, broken between words when it is
    wider than the terminal (a call as written is never cut).

    :param report: an interim report (``still_blocked`` True).
    :param width: the columns to fit; None means the terminal's width.
    :param stop: how to stop it, where the note is shown.
    """
    so_far = format_duration(report.duration)
    fragments: StyleAndTextTuples = [
        ("class:ar.warn", "⏳ "),
        ("class:ar.warn", f"Event loop blocked for {so_far} so far: "),
        *_by_whom(report, short=True),
    ]
    if report.location is not None:
        fragments += [("", ", "), ("class:ar.location", report.location.label)]
        shown = report.call or report.location.source
        if shown:
            fragments += [("", " "), ("class:ar.code", f"`{shown}`")]
    fragments += [("", "\n  "), ("class:ar.hint", stop)]
    return wrap_fragments(fragments, width)


def render_flagged_block(report: BlockReport) -> StyleAndTextTuples:
    """One short line for a block at a line the static check flagged before it ran: the
    finding above already said why and how to fix it.

    :param report: a final report whose line has a finding.
    """
    took = format_duration(report.duration)
    where = report.location.label if report.location is not None else ""
    return [
        ("class:ar.warn", "⚠ "),
        ("class:ar.warn", f"As flagged above: the event loop was blocked for {took}"),
        ("", " at "),
        ("class:ar.location", where),
    ]


def _by_whom(report: BlockReport, *, short: bool = False) -> StyleAndTextTuples:
    by = "" if short else "by "
    if report.task_name is None:
        return [("", f"{by}a callback")]
    return [("", f"{by}task "), ("class:ar.name", f"'{report.task_name}'")]


def _where(report: BlockReport) -> StyleAndTextTuples:
    location = report.location
    if location is None:
        return [("", "\n  "), ("class:ar.dim", "No line of your code was running then.")]
    fragments: StyleAndTextTuples = [("", "\n  "), ("class:ar.location", location.label)]
    if location.function:
        fragments += [("", " in "), ("class:ar.name", location.function)]
    if location.source:
        fragments += [("", "\n      "), ("class:ar.code", location.source)]
        column = location.source.find(report.call) if report.call else -1
        if column >= 0:
            caret = " " * column + "^" * len(report.call)
            fragments += [("", "\n      "), ("class:ar.caret", caret)]
    return fragments


def _why(report: BlockReport, took: str) -> StyleAndTextTuples:
    if report.call:
        callee = _callee(report.call)
        named: StyleAndTextTuples = (
            [("class:ar.code", f"`{callee}`")] if callee else [("", "This call")]
        )
        if report.in_asyncio and report.tasks_made:
            # Not "in asyncio itself": recording each new task is asyncrepl's work (see
            # _recording), and the collector walking its records more.
            started = f"{report.tasks_made:,} task{'s' if report.tasks_made != 1 else ''}"
            return [
                *named,
                ("", f" started {started}: no other task ran for {took}.\n  "),
                ("", _ASYNCIO_WHY),
            ]
        if report.in_asyncio:
            return [
                *named,
                ("", f" spent {took} in asyncio itself: no other task ran meanwhile.\n  "),
                ("", _ASYNCIO_WHY),
            ]
        return [*named, ("", f" blocks the entire event loop: no other task ran for {took}.")]
    if report.location is not None:
        return [("", f"Your code computed here without an `await`: no other task ran for {took}.")]
    return [("", f"A callback or library code held the loop: no other task ran for {took}.")]


def _recording(report: BlockReport) -> StyleAndTextTuples:
    """asyncrepl's own part of the block, when it is a tenth of it or more: recording each
    task the step started. A lower bound: the collector's walks over the records, which make
    a step that starts 100,000 tasks about twice as long as without asyncrepl, fall anywhere."""
    if not report.tasks_made or report.recording * 10 < report.duration:
        return []
    took = format_duration(report.recording)
    return [
        ("", "\n  "),
        ("class:ar.dim", f"asyncrepl's own work, recording each new task, took at least {took}."),
    ]


def _fix(report: BlockReport) -> StyleAndTextTuples:
    if report.in_asyncio:
        return [("", _ASYNCIO_FIX)]
    if report.fix:
        return [("class:ar.fix", report.fix)]
    if report.location is not None and not report.call:
        return [("", _CPU_FIX)]
    return []


def _callee(call: str) -> str | None:
    """``"time.sleep()"`` for ``"time.sleep(1)"``; None when the function is not a plain
    name (``getattr(time, "sleep")(1)``)."""
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
        name = ast.unparse(node.func)
        if all(part.isidentifier() for part in name.split(".")):
            return f"{name}()"
    return None
