"""Tracebacks show the user's code and the libraries', never asyncrepl's machinery."""

from __future__ import annotations

import re
from typing import Any

import pytest

BAD = (
    "async def bad():\n    raise ValueError('bad')\n"
    "async def outer():\n    asyncio.run(bad())\n"
    "loop = asyncio.get_running_loop()"
)
MACHINERY = re.compile(
    r"cellhooks|timing\.py|tracebacks\.py|CellHooks|Timing\.|runners\.py|skipping"
)


def traceback_of(ip: Any, cell: str, capsys: pytest.CaptureFixture[str]) -> str:
    ip.run_cell(BAD, store_history=True)
    capsys.readouterr()
    result = ip.run_cell(cell, store_history=True)
    assert result.error_in_exec is not None
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "cell",
    [
        "asyncio.run(bad())",
        "await outer()",
        "%time await bad()",
        "%timeit -n 1 -r 1 await bad()",
        "loop.run_until_complete(bad())",
    ],
)
def test_the_traceback_ends_in_the_users_code(
    arip: Any, cell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = traceback_of(arip, cell, capsys)
    assert "Traceback (most recent call last)" in shown
    assert not MACHINERY.search(shown), shown
    last_frame = shown.rsplit("Cell In[", 1)[1]
    assert "raise ValueError('bad')" in last_frame or "asyncio.run(bad())" in last_frame


def test_a_nested_run_ends_on_the_users_call(arip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    shown = traceback_of(arip, "await outer()", capsys)
    ending = (
        r"----> \d+ +asyncio\.run\(bad\(\)\)\n\nRuntimeError: asyncio\.run\(\) cannot be called"
    )
    assert re.search(ending, shown), shown


def test_debug_still_gets_the_whole_exception(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    traceback_of(arip, "asyncio.run(bad())", capsys)
    import sys

    assert isinstance(sys.last_value, ValueError)
    assert sys.last_value.__traceback__ is not None


@pytest.mark.parametrize(
    "cell",
    [
        "%time undefined_name",
        "%timeit -n 1 -r 1 undefined_name",
        "%%time\nundefined_name",
        "%%timeit -n 1 -r 1\nundefined_name",
    ],
)
def test_time_and_timeit_of_plain_code_show_no_frame_of_asyncrepl(
    arip: Any, cell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # IPython's own magics time plain code; asyncrepl only rests its watchdog around them,
    # and that wrapper is not part of the learner's traceback (plain IPython has no such frame).
    arip.run_cell("await asyncio.sleep(0)")  # the watchdog runs from the first cell on
    capsys.readouterr()
    result = arip.run_cell(cell, store_history=True)
    assert isinstance(result.error_in_exec, NameError)
    shown = capsys.readouterr().out
    assert "NameError" in shown
    assert "asyncrepl" not in shown and not MACHINERY.search(shown), shown
