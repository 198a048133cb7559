"""``needs_check``: the REPL skips the checker for a cell only when the checker would find
nothing in it, tried on every top-level statement of the labelled corpus as a cell."""

from __future__ import annotations

import ast
import asyncio
import time

import pytest

from asyncrepl.analysis import check_source, needs_check
from tests.analysis.corpus_eval import corpus_files


def statements() -> list[str]:
    found = []
    for path in corpus_files():
        source = path.read_text(encoding="utf-8")
        found += [ast.get_source_segment(source, node) or "" for node in ast.parse(source).body]
    return found


def test_a_statement_skipped_has_no_finding() -> None:
    cells = statements()
    skipped = [cell for cell in cells if not needs_check(cell)]
    checked = [cell for cell in cells if needs_check(cell)]
    # Both kinds are there, and the skipped ones include blocking calls outside the loop.
    assert len(skipped) >= 20 and len(checked) >= 20
    assert any("time.sleep" in cell for cell in skipped)
    for cell in skipped:
        assert check_source(cell, "<cell>") == [], cell
    assert sum(bool(check_source(cell, "<cell>")) for cell in checked) >= 10


def test_a_cell_using_an_earlier_cells_coroutine_has_no_finding() -> None:
    namespace = {"asyncio": asyncio, "time": time}
    exec("async def f():\n    time.sleep(1)\n", namespace)
    cell = "task = asyncio.create_task(f())"
    assert not needs_check(cell)
    assert check_source(cell, "<cell 2>", namespace) == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1 + 1", False),
        ("import asyncio\nasyncio.sleep", False),
        ("x = 'asynchronous awaiting'", False),
        ("await asyncio.sleep(1)", True),
        ("async def f():\n    pass", True),
        ("async  with lock:\n    pass", True),
        ("async for x in y:\n    pass", True),
        ("s = 'async'  # a string is enough to read the cell", True),
    ],
)
def test_the_words_that_put_code_on_the_loop(cell: str, expected: bool) -> None:
    assert needs_check(cell) is expected
