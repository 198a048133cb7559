"""``asyncrepl check PATH...``: the static blocking-call check on files and folders, as
``path:line:col: CODE message`` lines or JSON. Exit 1 when something is found, 0 when clean,
2 on bad usage or input that cannot be read or parsed."""

from __future__ import annotations

import argparse
import json
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from asyncrepl.analysis import check_source
from asyncrepl.records import Finding

__all__ = ["main_check"]

_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages"})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asyncrepl check",
        description="Find calls that block the event loop in async code.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="Python files or folders")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (text)"
    )
    return parser


def main_check(argv: list[str]) -> int:
    """Run ``asyncrepl check``.

    :param argv: the arguments after ``check``.
    :returns: 0 clean, 1 findings, 2 bad usage or unreadable input.
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage line
        return 0 if exit_.code == 0 else 2
    found: list[tuple[str, Finding]] = []
    failed = False
    for path in _python_files([Path(p) for p in args.paths], sys.stderr):
        if path is None:
            failed = True
            continue
        try:
            with tokenize.open(path) as stream:  # honours the file's encoding line
                source = stream.read()
            findings = check_source(source, str(path))
        except SyntaxError as error:
            _error(f"{path}:{error.lineno or 0}:{error.offset or 0}: cannot parse: {error.msg}")
            failed = True
            continue
        except (OSError, UnicodeDecodeError, ValueError) as error:
            _error(f"{path}: cannot read: {error}")
            failed = True
            continue
        found += [(str(path), finding) for finding in findings]
    _report(found, args.format, sys.stdout)
    if failed:
        return 2
    return 1 if found else 0


def _python_files(paths: list[Path], errors: TextIO) -> Iterator[Path | None]:
    """Each file, and each ``*.py`` under each folder, sorted; None for a missing path."""
    for path in paths:
        if path.is_dir():
            for file in sorted(path.rglob("*.py")):
                parts = file.relative_to(path).parts[:-1]
                if not any(p.startswith(".") or p in _SKIP_DIRS for p in parts):
                    yield file
        elif path.exists():
            yield path
        else:
            _error(f"{path}: no such file or folder")
            yield None


def _error(text: str) -> None:
    sys.stderr.write(f"asyncrepl check: {text}\n")


def _report(found: list[tuple[str, Finding]], form: str, out: TextIO) -> None:
    if form == "json":
        rows = [
            {
                "path": path,
                "line": f.line,
                "col": f.col + 1,
                "code": f.code,
                "slug": f.slug,
                "message": f.message,
                "fix": f.fix,
            }
            for path, f in found
        ]
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    for path, f in found:
        out.write(f"{path}:{f.line}:{f.col + 1}: {f.code} {f.message}\n")
