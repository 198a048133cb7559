"""Findings of the static check, shown before a cell runs: the line with a caret under the
call, what blocks, why every other task waits, and the fix as code."""

from __future__ import annotations

from collections.abc import Sequence

from prompt_toolkit.formatted_text import StyleAndTextTuples

from asyncrepl.analysis.catalogue import RULES
from asyncrepl.records import Finding
from asyncrepl.render.wrap import wrap_fragments

__all__ = ["refusal_text", "render_finding", "render_findings"]

_INDENT = "    "


def render_finding(finding: Finding) -> StyleAndTextTuples:
    """One finding, as several lines (no trailing newline).

    :param finding: from :func:`asyncrepl.analysis.check_source`.
    """
    rule = RULES.get(finding.code)
    fragments: StyleAndTextTuples = [
        ("class:ar.warn", "⚠ "),
        ("class:ar.location", f"{finding.filename}, line {finding.line}"),
        ("", ": "),
        ("class:ar.code", f"{finding.code} {finding.slug}"),
        ("", "\n"),
    ]
    fragments += _source_with_caret(finding)
    fragments += [("", f"  {finding.message}\n")]
    if rule is not None:
        fragments += [("class:ar.dim", f"  {rule.why}\n")]
    if finding.fix:
        fragments += [("", "  Fix: "), ("class:ar.fix", finding.fix), ("", "\n")]
    if fragments[-1] == ("", "\n"):
        fragments.pop()
    else:
        fragments[-1] = (fragments[-1][0], fragments[-1][1].rstrip("\n"))
    return fragments


def _source_with_caret(finding: Finding) -> StyleAndTextTuples:
    line = finding.source_line.rstrip()
    if not line:
        return []
    shown = line.lstrip()
    shift = len(line) - len(shown)
    start = max(finding.col - shift, 0)
    width = max(min(finding.end_col, len(line)) - finding.col, 1)
    return [
        ("", f"{_INDENT}{shown}\n"),
        ("class:ar.caret", f"{_INDENT}{' ' * start}{'^' * width}\n"),
    ]


def render_findings(
    findings: Sequence[Finding], *, explain_hint: bool = True
) -> StyleAndTextTuples:
    """All findings of one cell or file, a blank line between them.

    :param findings: in line order.
    :param explain_hint: end with the pointer to ``%explain`` (the REPL, not the command line).
    """
    fragments: StyleAndTextTuples = []
    for index, finding in enumerate(findings):
        if index:
            fragments.append(("", "\n\n"))
        fragments += render_finding(finding)
    if findings and explain_hint:
        fragments += [("", "\n"), ("class:ar.hint", "(%explain for more)")]
    return wrap_fragments(fragments)


def refusal_text(count: int) -> str:
    """The one line that says a cell was not run in strict mode, and how to run it anyway.

    :param count: how many findings the cell had.
    """
    calls = "a blocking call" if count == 1 else f"{count} blocking calls"
    return (
        f"✋ Not run: this cell has {calls} and `%blocking` is `strict`. "
        "Fix it, or run `%blocking warn` and run the cell again."
    )
