"""examples/workshop.ipynb, executed headless with nbclient on a real kernel as CI and
`jupyter nbconvert --execute` run it: rich output, plain text without colour codes, the
lesson's background failure in the notebook, and a block report only where the loop blocked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.jupyter

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOK = EXAMPLES / "workshop.ipynb"
ANSI = re.compile(r"\x1b\[")
FAILURE = "Task 'fetch-42' (fetch_user) failed: ValueError: no user 42"
#: A block report, in full or (for a line the static check flagged) in one line.
BLOCKED = ("The event loop was blocked", "As flagged above: the event loop was blocked")


def text_of(cell: Any) -> str:
    """Everything a code cell shows as plain text."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


def source_index(notebook: Any, start: str) -> int:
    return next(i for i, c in enumerate(notebook.cells) if c.source.startswith(start))


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    folder = tmp_path_factory.mktemp("workshop")
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": folder}}
    )
    client.execute()
    return notebook


def test_every_lesson_file_is_a_cell() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    sources = [c.source for c in notebook.cells if c.cell_type == "code"]
    for lesson in sorted(EXAMPLES.glob("0*.py")):
        assert lesson.read_text().rstrip("\n") in sources, lesson.name
    assert not any(c.get("outputs") for c in notebook.cells if c.cell_type == "code")


def test_magics_show_rich_output(executed: Any) -> None:
    kinds: dict[str, set[str]] = {}
    for cell in executed.cells:
        magic = cell.source.split()[0] if cell.source.startswith("%") else ""
        for output in cell.get("outputs", []):
            kinds.setdefault(magic, set()).update(output.get("data", {}))
    for magic in ("%tasks", "%timeline", "%explain"):
        assert {"text/html", "text/plain"} <= kinds[magic], (magic, kinds.get(magic))
    timeline = executed.cells[source_index(executed, "%timeline")]
    assert "<svg" in timeline.outputs[0]["data"]["text/html"]


def test_plain_text_has_no_colour_codes(executed: Any) -> None:
    for cell in executed.cells:
        assert not ANSI.search(text_of(cell)), cell.source


def test_the_background_failure_is_in_the_notebook(executed: Any) -> None:
    made = source_index(executed, "async def fetch_user")
    assert FAILURE not in text_of(executed.cells[made])
    assert FAILURE in text_of(executed.cells[made + 1])
    assert sum(text_of(c).count(FAILURE) for c in executed.cells) == 1


#: Block reports about asyncrepl's and IPython's own work, not the user's, which the watchdog
#: still makes (its false reports are issue 13a's): a magic's first use imports it on the
#: loop, and IPython renders a cell's traceback on the loop (0.1-0.2 s with stack_data).
def block_reports(cell: Any) -> list[str]:
    """The block reports a cell shows about the user's code."""
    reports = text_of(cell).split("⚠ ")
    return [r for r in reports if r.startswith(BLOCKED)]


def test_a_block_report_only_where_the_loop_blocked(executed: Any) -> None:
    trap = source_index(executed, "import time")
    reported = [i for i, c in enumerate(executed.cells) if block_reports(c)]
    # The cell that blocks the loop is where its report is, though the kernel's step that
    # runs it goes on after it (Watchdog.settle as the cell ends).
    shown = {i: block_reports(executed.cells[i]) for i in reported}
    assert reported == [trap], shown
    # The static check flagged the line before the cell ran: the run-time report is one line.
    shown_text = text_of(executed.cells[reported[0]])
    assert re.search(r"the event loop was blocked for [\d.]+ s at <cell 7>:5", shown_text)


def test_the_lessons_ran(executed: Any) -> None:
    texts = [text_of(c) for c in executed.cells]
    lesson = source_index(executed, '"""Lesson 5')
    assert "[0.2, 0.3]" in texts[lesson]
    explain = source_index(executed, "%explain gen")
    assert "async generator function" in texts[explain]
    failing = executed.cells[source_index(executed, '"""Lesson 7')]
    assert any(o["output_type"] == "error" for o in failing.outputs)
