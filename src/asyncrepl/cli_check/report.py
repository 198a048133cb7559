"""What ``asyncrepl check`` writes: findings as text lines, JSON, GitHub workflow annotations
or SARIF 2.1.0 for code scanning, counts by code (``--statistics``), and the one-line clean
summary. Pure functions from results to text; the command writes it out."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from asyncrepl.analysis import RULES
from asyncrepl.cli_check.files import Problem
from asyncrepl.records import Finding

__all__ = ["FORMATS", "Reported", "clean_line", "render_report", "render_statistics"]

FORMATS = ("text", "json", "github", "sarif")
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class Reported:
    """A finding in a checked file. :param shown: the file's path as shown; :param cell: the
    notebook cell, None in a Python file (then ``finding.line`` is the file's line, else the
    cell's)."""

    shown: str
    finding: Finding
    cell: int | None = None

    @property
    def where(self) -> str:
        """``path:line:col`` or ``notebook.ipynb:cell 3:line:col`` (columns from 1)."""
        cell = "" if self.cell is None else f"cell {self.cell}:"
        return f"{self.shown}:{cell}{self.finding.line}:{self.finding.col + 1}"


def clean_line(files: int) -> str:
    """``All checks passed: 412 files.``"""
    return f"All checks passed: {files} file{'' if files == 1 else 's'}."


def render_report(found: list[Reported], problems: list[Problem], form: str) -> str:
    """The findings in ``form`` (one of :data:`FORMATS`); problems are included only where the
    format has a place for them (GitHub annotations, SARIF notifications)."""
    if form == "json":
        return json.dumps([_json_row(r) for r in found], indent=2, ensure_ascii=False) + "\n"
    if form == "github":
        return "".join(
            [*(_annotation(r) for r in found), *(_problem_annotation(p) for p in problems)]
        )
    if form == "sarif":
        return json.dumps(_sarif(found, problems), indent=2, ensure_ascii=False) + "\n"
    return "".join(f"{r.where}: {r.finding.code} {r.finding.message}\n" for r in found)


def render_statistics(found: list[Reported], form: str) -> str:
    """How many findings of each code, most frequent first (``--statistics``)."""
    counts = sorted(Counter(r.finding.code for r in found).items(), key=lambda i: (-i[1], i[0]))
    if form == "json":
        rows = [{"code": c, "slug": RULES[c].slug, "count": n} for c, n in counts]
        return json.dumps(rows, indent=2) + "\n"
    width = max((len(str(n)) for _, n in counts), default=1)
    return "".join(f"{n:>{width}}  {c}  {RULES[c].slug}\n" for c, n in counts)


def _json_row(reported: Reported) -> dict[str, object]:
    f = reported.finding
    return {
        "path": reported.shown,
        "cell": reported.cell,
        "line": f.line,
        "col": f.col + 1,
        "end_col": f.end_col + 1,
        "code": f.code,
        "slug": f.slug,
        "message": f.message,
        "fix": f.fix,
    }


def _escape(text: str, *, prop: bool = False) -> str:
    """GitHub's workflow-command escaping (``%``, line breaks; in properties ``:`` and ``,``)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def _annotation(reported: Reported) -> str:
    f = reported.finding
    props = {"file": reported.shown}
    message = f.message
    if reported.cell is None:
        props |= {"line": str(f.line), "col": str(f.col + 1), "endColumn": str(f.end_col + 1)}
    else:  # lines of a cell are not lines of the .ipynb file: say where in the message
        message = f"cell {reported.cell}, line {f.line}: {message}"
    props["title"] = f"{f.code} {f.slug}"
    text = ",".join(f"{k}={_escape(v, prop=True)}" for k, v in props.items())
    return f"::error {text}::{_escape(message)}\n"


def _problem_annotation(problem: Problem) -> str:
    file = _escape(problem.shown, prop=True)
    return f"::error file={file},title=not checked::{_escape(problem.text)}\n"


def _uri(shown: str) -> str:
    """A SARIF artifact URI: relative to the working folder when inside it, else ``file://``."""
    path = Path(shown).absolute()
    try:
        relative = path.relative_to(Path.cwd())
    except ValueError:
        return path.as_uri()
    return quote(relative.as_posix())


def _sarif(found: list[Reported], problems: list[Problem]) -> dict[str, object]:
    codes = sorted(RULES)
    rules = [
        {
            "id": code,
            "name": RULES[code].slug,
            "shortDescription": {"text": RULES[code].title},
            "fullDescription": {"text": RULES[code].why},
            "help": {"text": f"Fix: {RULES[code].fix}"},
            "defaultConfiguration": {"level": "error"},
        }
        for code in codes
    ]
    notifications = [
        {"level": "error", "message": {"text": p.text}, "locations": [_file_location(p.shown)]}
        for p in problems
    ]
    run = {
        "tool": {"driver": {"name": "asyncrepl", "rules": rules}},
        "columnKind": "unicodeCodePoints",
        "results": [_sarif_result(r, codes.index(r.finding.code)) for r in found],
        "invocations": [
            {"executionSuccessful": not problems, "toolExecutionNotifications": notifications}
        ],
    }
    return {"version": "2.1.0", "$schema": _SARIF_SCHEMA, "runs": [run]}


def _sarif_result(reported: Reported, index: int) -> dict[str, object]:
    f = reported.finding
    prefix = "" if reported.cell is None else f"cell {reported.cell}, line {f.line}: "
    location = _file_location(reported.shown)
    location["physicalLocation"]["region"] = {
        "startLine": f.line,
        "startColumn": f.col + 1,
        "endColumn": f.end_col + 1,
    }
    return {
        "ruleId": f.code,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": prefix + f.message},
        "locations": [location],
    }


def _file_location(shown: str) -> dict[str, dict[str, object]]:
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(shown)}}}
