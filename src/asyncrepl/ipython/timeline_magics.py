"""The ``%timeline`` magic: when each task ran and waited during a cell (or the last seconds,
or the whole session), as a chart, and as a trace, picture or page file."""

from __future__ import annotations

import dataclasses
import difflib
import math
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from asyncrepl.ipython.arguments import parse_line
from asyncrepl.ipython.output import show
from asyncrepl.ipython.state import session_of, settings_of
from asyncrepl.render.printer import print_fragments
from asyncrepl.render.rows import task_label
from asyncrepl.render.timeline_html import EXPORT_KINDS, ExportError, export_timeline, timeline_view
from asyncrepl.session import Session
from asyncrepl.windows import Timeline

__all__ = ["ScopeError", "TimelineMagics", "TimelineRequest", "select_timeline"]

# IPython's argument helpers are untyped: typed names keep mypy strict for the rest.
_ARGS: Callable[[], Callable[[Any], Any]] = magic_arguments
_ARG: Callable[..., Callable[[Any], Any]] = argument

NO_RECORDER = (
    "%timeline has nothing to show: the loop recorder is off. If you turned it off, turn it on "
    "with `%config AsyncREPL.record = True` and `%reload_ext asyncrepl`; otherwise this event "
    "loop cannot be watched (asyncrepl said why when it loaded)."
)


class ScopeError(ValueError):
    """The request names a cell, task or number that does not fit; one line for the user."""


@dataclass(frozen=True)
class TimelineRequest:
    """What the user asked for, as typed (checked by :func:`select_timeline`).

    :param cell: ``--cell N``.
    :param last: ``--last SECONDS``.
    :param everything: ``--all``.
    :param tasks: ``--task NAME`` names, commas split.
    :param threshold: seconds above which a step blocks the loop; None keeps the recorder's.
    """

    cell: str | None = None
    last: str | None = None
    everything: bool = False
    tasks: tuple[str, ...] = ()
    threshold: float | None = None


def select_timeline(session: Session, request: TimelineRequest) -> tuple[Timeline, str]:
    """The recorded timeline the request asks for, and its scope in words (``"cell 3"``).

    :param session: gives the recorder and the cell windows.
    :param request: the user's choice of window and tasks.
    :raises ScopeError: an unknown cell or task, a bad number, no recorder.
    """
    recorder = session.recorder
    if recorder is None:
        raise ScopeError(NO_RECORDER)
    if sum((request.cell is not None, request.last is not None, request.everything)) > 1:
        raise ScopeError("Pick one of `--cell N`, `--last SECONDS` and `--all`.")
    start, end, scope = _window(session, request)
    # The REPL's own tasks (the prompt, a kernel's machinery) are left out before anything
    # else, so that neither the chart nor a `--task` suggestion names them.
    timeline: Timeline = recorder.timeline(start, end).by_user()
    if request.tasks:
        timeline = timeline.only(_task_ids(timeline, request.tasks, scope))
        scope += f", task{'s' * (len(request.tasks) > 1)} {', '.join(request.tasks)}"
    changes: dict[str, Any] = {}
    if request.threshold is not None:
        changes["threshold"] = request.threshold
    reports = getattr(session.watchdog, "reports", None)
    if reports is not None:  # the blocks the watchdog saw, drawn on their own row
        changes["blocks"] = tuple(reports(timeline.start, timeline.end))
    return dataclasses.replace(timeline, **changes), scope


def _window(session: Session, request: TimelineRequest) -> tuple[float | None, float | None, str]:
    now = float(session.recorder.now())
    if request.everything:
        return None, None, "the whole session"
    if request.last is not None:
        seconds = _number(request.last, "--last", "%timeline --last 5")
        return now - seconds, now, f"the last {request.last} s"
    if request.cell is not None:
        cell = _cell_number(request.cell)
        if cell not in session.cell_windows:
            raise ScopeError(f"Cell {cell} was not recorded. {_known_cells(session)}")
    else:
        # The last cell that ran the user's code (not the one running %timeline, nor one
        # that only ran magics); before the first, show what there is.
        if session.last_user_cell is None or session.last_user_cell not in session.cell_windows:
            return None, None, "the whole session"
        cell = session.last_user_cell
    start, end = session.cell_windows[cell]
    return start, now if end is None else end, f"cell {cell}"


def _number(text: str, option: str, example: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ScopeError(f"`{option} {text}` needs a number of seconds above 0: try `{example}`.")
    return value


def _cell_number(text: str) -> int:
    try:
        return int(text.strip().strip("[]"))
    except ValueError:
        raise ScopeError(
            f"`--cell {text}` needs a cell number, as in `In [3]`: try `%timeline --cell 3`."
        ) from None


def _known_cells(session: Session) -> str:
    cells = sorted(session.cell_windows)
    if not cells:
        return "No cell has run on the loop yet."
    shown = ", ".join(map(str, cells[-8:]))
    return f"Recorded cells: {'..., ' if len(cells) > 8 else ''}{shown}."


def _task_ids(timeline: Timeline, wanted: Sequence[str], scope: str) -> list[int]:
    ids: list[int] = []
    for name in wanted:
        found = [
            t.id
            for t in timeline.tasks
            if name in (t.name, t.coro, task_label(t), str(t.id), f"#{t.id}")
        ]
        if not found:
            # A cell's coroutine is the shell's (run_cell_async): the cell goes by its name.
            coros = {t.coro for t in timeline.tasks if not t.is_cell}
            names = sorted({t.name for t in timeline.tasks} | coros)
            close = difflib.get_close_matches(name, names, n=3)
            hint = (
                f"did you mean {', '.join(f'`{c}`' for c in close)}?"
                if close
                else (
                    f"the tasks there: {', '.join(names[:6])}." if names else "no task ran there."
                )
            )
            raise ScopeError(f"No task `{name}` ran in {scope}: {hint}")
        ids += [i for i in found if i not in ids]
    return ids


@magics_class
class TimelineMagics(Magics):
    """``%timeline``: when each task of a cell ran and waited."""

    def __init__(self, shell: Any, session: Session) -> None:
        super().__init__(shell)
        self.session = session

    @_ARGS()
    @_ARG("--cell", metavar="N", help="the cell `In [N]` (default: the last that ran your code)")
    @_ARG("--last", metavar="SECONDS", help="the last SECONDS seconds, whatever ran")
    @_ARG("--all", action="store_true", help="everything the recorder still holds")
    @_ARG("--task", action="append", metavar="NAME", help="only these tasks (repeat, or a,b)")
    @_ARG("--export", metavar="PATH", help="also write PATH: .json trace, .svg or .html")
    @line_magic
    def timeline(self, line: str) -> None:
        """Show when each task ran and when it waited, during the last cell.

        One row per task, time across. ``█`` a step ran, ``─`` it waited at an ``await``,
        ``▓`` a step held the event loop longer than ``AsyncREPL.blocking_threshold``
        (nothing else could run). Under the chart: wall time, how busy the loop was, the
        longest step, and how much running the tasks concurrently saved.

        In [1]: await asyncio.gather(print_values([1, 3, 5], 0.2), print_values([2, 4], 0.3))
        In [2]: %timeline
        In [3]: %timeline --cell 1 --task print_values --export trace.json

        ``--export trace.json`` opens in https://ui.perfetto.dev or chrome://tracing;
        ``.svg`` and ``.html`` are pictures of the chart.
        """
        args = parse_line(self.timeline, line)
        names = tuple(n.strip() for spec in args.task or () for n in spec.split(",") if n.strip())
        request = TimelineRequest(args.cell, args.last, args.all, names, self._threshold())
        try:
            found, scope = select_timeline(self.session, request)
            written = None
            if args.export:
                waited = self.session.recorder.with_waits(found)
                written = export_timeline(waited, args.export, scope=scope)
        except (ScopeError, ExportError) as exc:
            raise UsageError(str(exc)) from None
        width = shutil.get_terminal_size().columns
        view = timeline_view(found, width=width, scope=scope)
        show(self.shell, view, lambda: view.fragments)
        if written is not None:
            print_fragments([("", f"Wrote {EXPORT_KINDS[written.suffix.lower()]}: {written}")])

    def _threshold(self) -> float | None:
        try:
            return float(settings_of(self.shell).blocking_threshold)
        except AttributeError:  # constructed by hand, without the extension
            return None


def load_ipython_extension(shell: Any) -> None:
    """asyncrepl declares %timeline lazily: its first use loads this module, which registers it.

    :param shell: the shell that loaded asyncrepl.
    """
    shell.register_magics(TimelineMagics(shell, session=session_of(shell)))
