"""``%time`` and ``%timeit`` with asyncrepl: plain code is timed as IPython times it, and code
that awaits (``await``, ``asyncio.run``) is awaited on the live loop and timed, in IPython's
own format."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

UNITS = {"ns": 1e-9, "μs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def run(ip: Any, cell: str) -> Any:
    return ip.run_cell(cell, store_history=True)


def seconds(text: str, label: str) -> float:
    """The duration after ``label`` (``Wall time:``), or at the start of a line when empty."""
    match = re.search(rf"{label or '^'}:? ?([\d.]+) (ns|μs|us|ms|s)\b", text, re.M)
    assert match, f"no {label!r} in {text!r}"
    return float(match.group(1)) * UNITS[match.group(2)]


@pytest.fixture
def sleeper(arip: Any) -> Iterator[Any]:
    run(arip, "async def nap(s=0.05):\n    await asyncio.sleep(s)\n    return 7")
    yield arip


@pytest.mark.parametrize("code", ["await nap()", "asyncio.run(nap())"])
def test_time_awaits_the_code_and_reports_its_time(
    sleeper: Any, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(sleeper, f"%time {code}")
    assert result.error_in_exec is None and result.error_before_exec is None
    assert result.result == 7
    out = capsys.readouterr().out
    assert re.search(r"^CPU times: user .+, sys: .+, total: .+$", out, re.M)
    assert 0.05 <= seconds(out, "Wall time") < 1


def test_time_as_a_value(sleeper: Any) -> None:
    run(sleeper, "x = %time await nap(0.01)")
    assert sleeper.user_ns["x"] == 7


def test_cell_time_runs_every_statement_and_shows_the_last_value(
    sleeper: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(sleeper, "%%time\nawait nap(0.02)\ny = await nap(0.02)\ny + 1")
    assert result.result == 8
    assert 0.04 <= seconds(capsys.readouterr().out, "Wall time") < 1


def test_timeit_awaits_each_loop(sleeper: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(sleeper, "%timeit -n 2 -r 3 await nap(0.02)")
    assert result.error_in_exec is None
    out = capsys.readouterr().out
    assert "per loop (mean ± std. dev. of 3 runs, 2 loops each)" in out
    assert 0.02 <= seconds(out, "") < 0.5


def test_cell_timeit_with_setup_and_a_result(sleeper: Any) -> None:
    run(sleeper, "%%timeit -n 1 -r 2 -o -q delay = 0.01\nawait nap(delay)")
    timing = sleeper.user_ns["_"]
    assert timing.loops == 1 and timing.repeat == 2
    assert timing.best >= 0.01


@pytest.mark.filterwarnings("ignore:coroutine 'nap' was never awaited")
def test_timeit_of_a_plain_call_shows_no_hint_per_loop(
    sleeper: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(sleeper, "%timeit -n 3 -r 1 nap()")
    assert "nothing ran" not in capsys.readouterr().out


def test_timeit_reports_what_plain_ipython_reports(arip: Any) -> None:
    def best() -> float:
        run(arip, "_t = %timeit -o -q -n 20000 -r 5 len('abc')")
        return float(arip.user_ns["_t"].best)

    loaded = best()
    arip.run_line_magic("unload_ext", "asyncrepl")
    try:
        plain = best()
    finally:
        arip.run_line_magic("load_ext", "asyncrepl")
    # asyncrepl's wrapper used to cost ~100 ns a loop against ~20 ns for len('abc') itself.
    assert loaded < 2 * plain + 20e-9, (loaded, plain)
