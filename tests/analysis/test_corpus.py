"""The checker, measured on the labelled corpus: precision and recall, and every code covered."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncrepl.analysis import RULES, check_source
from tests.analysis.corpus_eval import cases, corpus_files, expected, score


def our_points() -> set[tuple[str, int, str]]:
    points = set()
    for path in corpus_files():
        for finding in check_source(path.read_text(encoding="utf-8"), str(path)):
            points.add((path.name, finding.line, finding.code))
    return points


def test_precision_and_recall_on_the_corpus() -> None:
    result = score(our_points(), corpus_files())
    detail = f"missed: {sorted(result.false_neg)}\nwrong: {sorted(result.false_pos)}"
    assert result.precision >= 0.95, detail
    assert result.recall >= 0.95, detail


def test_every_code_has_a_fixture() -> None:
    labelled = {code for path in corpus_files() for _, _, code in expected(path)}
    assert set(RULES) - labelled == set()
    assert labelled - set(RULES) == set(), "a label names a code that does not exist"


def test_at_least_a_third_of_the_cases_are_clean() -> None:
    total = clean = 0
    for path in corpus_files():
        file_total, file_clean = cases(path)
        total, clean = total + file_total, clean + file_clean
    assert total >= 150
    assert clean * 3 >= total


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_each_corpus_file_parses_and_is_labelled(path: Path) -> None:
    compile(path.read_text(encoding="utf-8"), str(path), "exec")
    labels = expected(path)
    assert all(line > 0 for _, line, _ in labels)


def test_scoring_can_fail() -> None:
    """A checker that finds nothing scores recall 0; one that flags everything, low precision."""
    files = corpus_files()
    assert score(set(), files).recall == 0.0
    everything = {(p.name, n, "AR101") for p in files for n in range(1, 200)}
    assert score(everything, files).precision < 0.2
