"""The lessons in ``examples/`` print what the tutorial says they print: run with ``python``
and pasted as a cell into asyncrepl (IPython with ``%load_ext asyncrepl``).

Time runs ten times faster here: ``asyncio.sleep`` is scaled by :data:`SCALE` (in the test
process, and by a small runner for ``python``), so the files stay the tutorial's own code.
The order of events does not change: the loop wakes timers by their deadlines.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.testing import globalipapp

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCALE = 0.1
RUNNER = f"""
import asyncio, runpy, sys
_real = asyncio.sleep
async def _scaled(delay, result=None):
    return await _real(delay * {SCALE}, result)
asyncio.sleep = _scaled
runpy.run_path(sys.argv[1], run_name="__main__")
"""

#: What each lesson prints, line by line (asyncrepl's own notes left out).
EXPECTED: dict[str, list[str]] = {
    "01_coroutines.py": ["<class 'function'>", "<class 'coroutine'>", "main"],
    "02_await.py": ["something", "finished"],
    "03_tasks.py": ["main continues immediately", "something", "finished"],
    "04_concurrent_tasks.py": ["1", "2", "3", "4", "5"],
    "05_gather.py": ["1", "2", "3", "4", "5", "[0.2, 0.3]"],
    "06_fetch_and_algorithm.py": [
        "Start fetching", "0", "1", "2", "3", "Done fetching",
        "4", "5", "6", "7", "8", "9", "[1, 2, 3]",
    ],
    "07_async_generators.py": [str(i) for i in range(10)],
    "08_async_methods.py": ["hi"],
}  # fmt: skip
AGEN_ERROR = "TypeError: 'async_generator' object is not iterable"


def test_every_lesson_is_checked() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)
    assert (EXAMPLES / "WORKSHOP.md").is_file()


def printed(text: str) -> list[str]:
    """The lines a lesson printed, without asyncrepl's notes and the hint (a note wrapped to
    the terminal's width goes on in indented lines; a lesson prints none)."""
    lines: list[str] = []
    in_note = False
    for line in text.splitlines():
        if line.startswith(("↪", "⚠", "(%explain")):
            in_note = True
        elif not (in_note and line.startswith("  ")):
            in_note = False
            if line.strip():
                lines.append(line)
    return lines


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_with_python(name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert printed(result.stdout) == EXPECTED[name]
    if name == "07_async_generators.py":
        assert result.returncode == 1 and result.stderr.rstrip().endswith(AGEN_ERROR)
    else:
        assert result.returncode == 0, result.stderr


# -- in asyncrepl ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ip() -> Any:
    shell = globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "asyncrepl")
    return shell


@pytest.fixture
def fast_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real = asyncio.sleep

    async def scaled(delay: float, result: Any = None) -> Any:
        return await real(delay * SCALE, result)

    monkeypatch.setattr(asyncio, "sleep", scaled)
    yield


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.filterwarnings("ignore:coroutine 'main' was never awaited")  # lesson 1 shows it
def test_in_asyncrepl(
    name: str, ip: Any, fast_sleep: None, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    ip.run_cell((EXAMPLES / name).read_text(encoding="utf-8"), store_history=True)
    out = capsys.readouterr().out
    lines = printed(out)
    if name != "07_async_generators.py":
        assert lines == EXPECTED[name]
        return
    assert lines[:10] == EXPECTED[name]
    assert AGEN_ERROR in out and "(%explain for more)" in out
    ip.run_line_magic("explain", "")
    explained = capsys.readouterr().out
    assert "`for` over an async generator" in explained
    assert "Your code, fixed:\n      async for i in gen(10):" in explained


def test_with_asyncrepl_run() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "asyncrepl", "run", str(EXAMPLES / "04_concurrent_tasks.py")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert printed(result.stdout)[:5] == EXPECTED["04_concurrent_tasks.py"]
