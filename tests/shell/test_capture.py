"""``%%capture`` of a cell that awaits: IPython's own runs the cell with ``run_cell``, which
cannot wait for the live loop it is running on; with asyncrepl the cell is awaited on that
loop and captured as IPython captures it."""

from __future__ import annotations

from typing import Any

import pytest


def run(ip: Any, cell: str) -> Any:
    return ip.run_cell(cell, store_history=True)


def test_a_cell_that_awaits_is_captured_whole(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(
        arip,
        "%%capture out\n"
        "await asyncio.sleep(0.01)\n"
        "print('hi')\n"
        "import sys; print('oops', file=sys.stderr)\n"
        "6 * 7\n",
    )
    assert result.error_in_exec is None and result.error_before_exec is None
    assert capsys.readouterr().out == ""  # nothing reached the screen
    out = arip.user_ns["out"]
    assert out.stdout == "hi\n" and out.stderr == "oops\n"
    assert [o.data["text/plain"] for o in out.outputs] == ["42"]


def test_tasks_of_earlier_cells_run_meanwhile(arip: Any) -> None:
    run(
        arip,
        "ticks = []\nasync def tick():\n    while True:\n        ticks.append(1)\n"
        "        await asyncio.sleep(0.005)\nt = asyncio.create_task(tick())",
    )
    try:
        run(arip, "%%capture\nbefore = len(ticks)\nawait asyncio.sleep(0.1)\nafter = len(ticks)")
        assert arip.user_ns["after"] > arip.user_ns["before"]  # the live loop ran on
    finally:
        run(arip, "t.cancel()")


def test_options_and_a_failure_are_ipythons(arip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(
        arip,
        "%%capture out --no-stdout\nawait asyncio.sleep(0)\nprint('shown')\nraise ValueError('x')",
    )
    assert result.error_in_exec is None  # as in IPython: the captured cell failed, not this one
    shown = capsys.readouterr().out
    assert shown.startswith("shown\n")  # not captured
    assert "ValueError" in shown  # the traceback goes to stdout, which is not captured
    run(arip, "%%capture out3\nawait asyncio.sleep(0);")  # a cell ending in ';': no name
    assert "out3" not in arip.user_ns


def test_a_cell_without_await_is_ipythons_own(arip: Any) -> None:
    run(arip, "%%capture plain\nprint('sync')")
    assert arip.user_ns["plain"].stdout == "sync\n"
