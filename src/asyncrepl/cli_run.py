"""``asyncrepl run SCRIPT.py [ARGS]``: run a script as ``python SCRIPT.py ARGS`` would, under the
loop recorder (and the blocking-call watchdog), then print its timeline to standard error."""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import runpy
import shutil
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from asyncrepl.api import Recording, recording
from asyncrepl.records import BlockReport
from asyncrepl.render.printer import print_fragments
from asyncrepl.render.timeline_html import EXPORT_KINDS, ExportError, check_export_path

__all__ = ["main_run"]

log = logging.getLogger("asyncrepl")

DESCRIPTION = """\
Run SCRIPT.py as `python SCRIPT.py ARGS` would, recording what its event loop does,
then print the timeline of its tasks to standard error (its own output stays as it is).
The script's exit status is kept. Options go before SCRIPT.py; everything after it is
the script's own arguments."""


def main_run(argv: list[str]) -> int:
    """Run ``asyncrepl run``; returns the script's exit status (2 for a usage error).

    :param argv: the arguments after ``run``: ``[--export PATH] SCRIPT.py [ARGS...]``.
    """
    parser = _parser()
    try:
        options = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse has already printed
        return _status(exc)
    script = Path(options.script)
    problem = _check(script, options)
    if problem:
        _say(f"asyncrepl run: {problem}")
        return 2
    status: int | None = None
    try:
        with recording(
            threshold=options.threshold, watch_blocking=True, on_block=_show_block
        ) as rec:
            rec.scope = script.name
            with _tool_frozen():
                status = _run_script(script, options.args)
        _report(rec, script, options.export)
    except KeyboardInterrupt:
        if status is None:
            raise
        # Ctrl-C while the report is drawn: the person has seen enough. Stop quietly, with
        # the script's own exit status.
        sys.stderr.write("\n")
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="asyncrepl run", description=DESCRIPTION)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--export", metavar="PATH", help="also write the timeline: .json, .svg or .html"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=0.1,
        metavar="SECONDS",
        help="a step longer than this blocks the loop (default: 0.1)",
    )
    parser.add_argument("script", metavar="SCRIPT.py", help="the script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    return parser


def _check(script: Path, options: argparse.Namespace) -> str:
    """What stops the run before it starts, in one line, or ``""``."""
    if not script.is_file():
        return f"cannot find `{script}`: give the path of a Python file."
    if not math.isfinite(options.threshold) or options.threshold <= 0:
        return f"`--threshold {options.threshold}` must be a number of seconds above 0 (say 0.1)."
    if options.export:
        try:
            check_export_path(options.export)
        except ExportError as exc:
            return str(exc)
    return ""


def _run_script(script: Path, args: list[str]) -> int:
    """Run the script as ``__main__``; its exit status, as Python would report it."""
    with _as_main(script, args):
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exc:
            return _status(exc)
        except KeyboardInterrupt:
            _print_traceback(script, *sys.exc_info())
            return 130
        except BaseException:
            _print_traceback(script, *sys.exc_info())
            return 1
    return 0


@contextmanager
def _as_main(script: Path, args: list[str]) -> Iterator[None]:
    """``sys.argv`` and ``sys.path[0]`` as ``python SCRIPT.py ARGS`` sets them."""
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [str(script), *args]
    sys.path[0:1] = [str(script.resolve().parent)]
    try:
        yield
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path


@contextmanager
def _tool_frozen() -> Iterator[None]:
    """While the script runs, the garbage collector leaves out what was made before it:
    asyncrepl's modules and the recorder's tables (those of every task, which grow with
    the script). A script that makes 100,000 tasks at once has the collector go through
    everything about ten times; leaving ours out took a 100,000-task run from 2.7-3.3 s
    to 2.1 s (plain: 1.3 s). The script's own objects are collected as under ``python``;
    ours go back to the collector when it ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _status(exc: SystemExit) -> int:
    """Python's rule: None is 0, an int is itself, anything else is printed and is 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    _say(str(exc.code))
    return 1


def _print_traceback(
    script: Path, kind: Any, value: BaseException | None, tb: TracebackType | None
) -> None:
    """The traceback from the script's own first frame, as ``python SCRIPT.py`` shows it."""
    target = str(script.resolve())
    start = tb
    while start is not None and os.path.abspath(start.tb_frame.f_code.co_filename) != target:
        start = start.tb_next
    traceback.print_exception(kind, value, start or tb, file=sys.stderr)


def _show_block(report: BlockReport) -> None:
    """Each block as it ends (and one note while a long one lasts), from the watchdog's thread.
    The renderer is loaded by the first block: a run with none never loads it."""
    from asyncrepl.render.blocks import render_block

    print_fragments(render_block(report), file=sys.stderr)


def _report(rec: Recording, script: Path, export: str | None) -> None:
    """The chart and summary on standard error, after the script's own output."""
    sys.stdout.flush()
    if rec.reason:
        _say(f"asyncrepl run: nothing recorded: {rec.reason}")
        return
    rec.show(file=sys.stderr, width=shutil.get_terminal_size().columns)
    if export:
        try:
            written = rec.export(export)
        except ExportError as exc:
            _say(f"asyncrepl run: {exc}")
            return
        _say(f"Wrote {EXPORT_KINDS[written.suffix.lower()]}: {written}")


def _say(line: str) -> None:
    """One line on standard error, where all of ``asyncrepl run``'s own output goes."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
