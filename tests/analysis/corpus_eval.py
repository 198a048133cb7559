"""Reads the labelled corpus (``# AR101`` comments name what a line should get) and scores a
checker on it: precision and recall over (file, line, code)."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CORPUS", "Score", "cases", "corpus_files", "expected", "score"]

CORPUS = Path(__file__).resolve().parent / "corpus"
_CODE = re.compile(r"\bAR\d{3}\b")

#: A labelled point: (file name, line, code).
Point = tuple[str, int, str]


def expected(path: Path) -> set[Point]:
    """The expectations written in ``path``'s comments (only comments, never strings)."""
    found: set[Point] = set()
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    for token in tokens:
        if token.type == tokenize.COMMENT:
            found.update((path.name, token.start[0], code) for code in _CODE.findall(token.string))
    return found


def cases(path: Path) -> tuple[int, int]:
    """How many cases (coroutine functions and methods) ``path`` holds, and how many are
    clean (no expectation inside)."""
    lines = {line for _, line, _ in expected(path)}
    total = clean = 0
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.AsyncFunctionDef):
            total += 1
            end = node.end_lineno or node.lineno
            clean += not any(node.lineno <= line <= end for line in lines)
    return total, clean


@dataclass(frozen=True)
class Score:
    true_pos: int
    false_pos: set[Point]
    false_neg: set[Point]

    @property
    def precision(self) -> float:
        found = self.true_pos + len(self.false_pos)
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_pos + len(self.false_neg)
        return self.true_pos / wanted if wanted else 1.0


def score(found: Iterable[Point], files: Iterable[Path], *, by_line: bool = False) -> Score:
    """Compare ``found`` with the corpus labels. ``by_line`` ignores codes (for ruff, whose
    codes are not ours): a labelled line counts as found when anything is reported there."""
    want: set[Point] = set().union(*(expected(path) for path in files))
    got = set(found)
    if by_line:
        want = {(name, line, "") for name, line, _ in want}
        got = {(name, line, "") for name, line, _ in got}
    return Score(len(want & got), got - want, want - got)


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.py"))


Checker = Callable[[Path], Iterable[Point]]
