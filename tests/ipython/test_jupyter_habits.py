"""IPython habits in a real Jupyter kernel with asyncrepl: tracebacks without asyncrepl's
machinery, and %time with await."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.ipython.test_jupyter import execute, kernel

pytestmark = pytest.mark.jupyter

__all__ = ["kernel"]  # the fixture, shared with test_jupyter

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_a_traceback_shows_no_machinery(kernel: Any) -> None:
    execute(kernel, "%load_ext asyncrepl")
    execute(kernel, "async def bad():\n    raise ValueError('bad')")
    reply = execute(kernel, "asyncio.run(bad())")
    assert reply["status"] == "error"
    shown = ANSI.sub("", reply["output"])
    assert "raise ValueError('bad')" in shown
    assert not re.search(r"cellhooks|CellHooks|runners\.py|skipping hidden", shown), shown


def test_time_awaits_in_a_kernel(kernel: Any) -> None:
    execute(kernel, "%load_ext asyncrepl")
    execute(kernel, "async def nap():\n    await asyncio.sleep(0.05)\n    return 7")
    reply = execute(kernel, "%time await nap()")
    assert reply["status"] == "ok", reply["output"]
    assert "Wall time:" in reply["output"] and "7" in reply["output"]
