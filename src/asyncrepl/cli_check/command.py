"""``asyncrepl check PATH...``: the static blocking-call check on files, folders, notebooks and
standard input. Exit 1 when something is found, 0 when clean (and it says so), 2 on bad usage,
a configuration mistake, or any file that could not be checked to its end: never a false clean.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from asyncrepl.analysis import IncompleteCheck, check_source
from asyncrepl.cli_check.config import (
    Config,
    ConfigError,
    Selection,
    find_config,
    load_config,
    parse_codes,
)
from asyncrepl.cli_check.files import Problem, Target, decode_source, find_targets, read_source
from asyncrepl.cli_check.notebooks import NotebookError, NotebookSource, notebook_source
from asyncrepl.cli_check.report import (
    FORMATS,
    Reported,
    clean_line,
    render_report,
    render_statistics,
)
from asyncrepl.records import Finding

__all__ = ["main_check"]

_HELPER_LINE = re.compile(r"` \(line (\d+)\), which")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asyncrepl check",
        description="Find calls that block the event loop in async code.",
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="Python files, notebooks, folders; - for stdin"
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format (text)")
    parser.add_argument("--select", metavar="CODES", help="only these codes or prefixes: AR101,AR1")
    parser.add_argument("--ignore", metavar="CODES", help="leave out these codes or prefixes")
    parser.add_argument("--config", metavar="PATH", help="this pyproject.toml, not the nearest")
    parser.add_argument("--statistics", action="store_true", help="count the findings by code")
    parser.add_argument("--stdin-filename", metavar="NAME", help="the name of what - reads")
    return parser


def main_check(argv: list[str]) -> int:
    """Run ``asyncrepl check``.

    :param argv: the arguments after ``check``.
    :returns: 0 clean, 1 findings, 2 bad usage or input that could not be checked.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if not args.paths and not args.stdin_filename:
            parser.error("name a file or folder to check, or - for standard input")
        if args.statistics and args.format not in ("text", "json"):
            parser.error("--statistics works with --format text or json")
    except SystemExit as exit_:  # argparse has printed the usage line
        return 0 if exit_.code == 0 else 2
    try:
        selection = Selection(
            select=parse_codes(args.select, "--select") if args.select is not None else None,
            ignore=parse_codes(args.ignore or "", "--ignore"),
        )
        fixed = load_config(Path(args.config)) if args.config else None
        found, problems, files = _check_all(args, selection, fixed)
    except ConfigError as error:
        _error(str(error))
        return 2
    for problem in problems:
        _error(problem.text)
    out = sys.stdout
    if args.statistics:
        out.write(render_statistics(found, args.format))
    else:
        out.write(render_report(found, problems, args.format))
    if problems:
        failed = len({p.shown for p in problems})  # a notebook may have several broken cells
        _error(f"{failed} file{'s' if failed > 1 else ''} could not be checked")
        return 2
    if not files:
        _error("no Python files or notebooks found")
    if not found and args.format in ("text", "github"):
        out.write(clean_line(files) + "\n")
    return 1 if found else 0


def _check_all(
    args: argparse.Namespace, selection: Selection, fixed: Config | None
) -> tuple[list[Reported], list[Problem], int]:
    found: list[Reported] = []
    problems: list[Problem] = []
    files = 0
    cache: dict[Path, Config] = {}
    names = [p for p in args.paths if p != "-"]
    if "-" in args.paths or not args.paths:
        shown = args.stdin_filename or "-"
        path = Path(shown).absolute()
        config = fixed or find_config(path.parent, cache)
        if not config.excluded_with_parents(path):
            files += 1
            _check_one(
                Target(shown, path, config), sys.stdin.buffer.read(), selection, found, problems
            )
    for target in find_targets(names, fixed, cache):
        if isinstance(target, Problem):
            problems.append(target)
            continue
        files += 1
        try:
            data = read_source(target.path)
        except OSError as error:
            reason = error.strerror or str(error)
            problems.append(Problem(target.shown, f"{target.shown}: cannot read: {reason}"))
            continue
        _check_one(target, data, selection, found, problems)
    return found, problems, files


def _check_one(
    target: Target,
    data: bytes,
    selection: Selection,
    found: list[Reported],
    problems: list[Problem],
) -> None:
    shown = target.shown
    codes = target.config.codes_for(target.path, selection)
    try:
        if target.path.suffix == ".ipynb":
            _check_notebook(target, data.decode("utf-8-sig"), codes, found, problems)
            return
        findings = check_source(decode_source(data), shown)
    except SyntaxError as error:
        line, col = error.lineno or 0, error.offset or 0
        problems.append(Problem(shown, f"{shown}:{line}:{col}: cannot parse: {error.msg}"))
        return
    except ValueError as error:  # a null byte (3.11), bad bytes, a notebook that is not JSON
        problems.append(Problem(shown, f"{shown}: cannot read: {error}"))
        return
    except IncompleteCheck as error:
        problems.append(Problem(shown, f"{shown}: cannot check to the end: {error.reason}"))
        return
    found += [Reported(shown, f) for f in findings if f.code in codes]


def _check_notebook(
    target: Target,
    text: str,
    codes: frozenset[str],
    found: list[Reported],
    problems: list[Problem],
) -> None:
    shown = target.shown
    try:
        notebook = notebook_source(text)
    except NotebookError as error:
        problems.append(Problem(shown, f"{shown}: cannot read: {error}"))
        return
    if notebook is None:
        return  # another kernel's language
    for cell, bad in notebook.errors:
        where = f"{shown}:cell {cell}:{bad.lineno or 0}:{bad.offset or 0}"
        problems.append(Problem(shown, f"{where}: cannot parse: {bad.msg}"))
    for finding in check_source(notebook.source, shown):
        if finding.code in codes:
            cell, line = notebook.locate(finding.line)
            found.append(Reported(shown, _moved(finding, line, notebook), cell))


def _moved(finding: Finding, line: int, notebook: NotebookSource) -> Finding:
    """The finding at its line in its cell; a helper's line in the message (``calls
    `time.sleep(1)` (line 3), which ...``) becomes that helper's cell and line too."""

    def in_cell(match: re.Match[str]) -> str:
        cell, inner = notebook.locate(int(match.group(1)))
        return f"` (cell {cell}, line {inner}), which"

    message = _HELPER_LINE.sub(in_cell, finding.message, count=1)
    return finding._replace(line=line, message=message)


def _error(text: str) -> None:
    sys.stderr.write(f"asyncrepl check: {text}\n")
