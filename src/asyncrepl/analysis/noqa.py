"""``# noqa`` comments as flake8 and ruff spell them: a bare ``# noqa`` silences every finding on
its line, ``# noqa: AR101, AR105`` only the codes it names. Comments are read with
:mod:`tokenize`, so ``# noqa`` written inside a string never counts."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable

from asyncrepl.records import Finding

__all__ = ["noqa_lines", "unsuppressed"]

_NOQA = re.compile(
    r"#\s*noqa(?P<colon>\s*:\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)?)?(?![\w-])",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
#: ``ast`` ends a line at ``\r`` too; :mod:`tokenize` reading lines of a string does not.
_CARRIAGE_RETURN = re.compile(r"\r\n?")


def noqa_lines(source: str) -> dict[int, frozenset[str] | None]:
    """Each line with a ``# noqa`` comment -> the codes it names, or None for a bare one.

    A ``# noqa:`` followed by no code silences nothing (flake8 would silence everything, a trap
    ruff warns about). Code that does not tokenize keeps the comments read before the error.

    :param source: the checked source, as given to ``check_source``.
    """
    found: dict[int, frozenset[str] | None] = {}
    text = _CARRIAGE_RETURN.sub("\n", source)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.COMMENT:
                continue
            match = _NOQA.search(token.string)
            if match is None:
                continue
            codes = match.group("codes")
            if codes is not None:
                found[token.start[0]] = frozenset(c.upper() for c in _CODE.findall(codes))
            elif match.group("colon") is None:
                found[token.start[0]] = None
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def unsuppressed(findings: Iterable[Finding], source: str) -> list[Finding]:
    """The findings that no ``# noqa`` on their own line silences.

    :param findings: found in ``source``; :param source: the checked source.
    """
    found = list(findings)
    if not found or "noqa" not in source.lower():
        return found  # tokenizing a large file costs more than checking it: only when needed
    lines = noqa_lines(source)
    kept = []
    for finding in found:
        if finding.line not in lines:
            kept.append(finding)
            continue
        codes = lines[finding.line]
        if codes is not None and finding.code not in codes:
            kept.append(finding)
    return kept
