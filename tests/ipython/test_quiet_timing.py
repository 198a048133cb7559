"""IPython's %time and %timeit hold the loop on purpose to time plain code: the watchdog rests
while they run, so its looks do not disturb their figures, and it is back afterwards."""

from __future__ import annotations

from typing import Any

from asyncrepl.ipython.state import session_of


def watchdog_running(ip: Any) -> bool:
    watchdog = session_of(ip).watchdog
    assert watchdog is not None
    return watchdog.running


def test_the_watchdog_rests_while_time_and_timeit_run(arip: Any) -> None:
    arip.run_cell("await asyncio.sleep(0)")  # the watchdog starts with the first cell
    assert watchdog_running(arip)
    arip.user_ns["watchdog_running"] = lambda: watchdog_running(arip)
    arip.run_cell("seen = []", store_history=True)
    for cell in (
        "%time seen.append(watchdog_running())",
        "%timeit -n 1 -r 1 seen.append(watchdog_running())",
        "%%time\nseen.append(watchdog_running())",
        "%%timeit -n 1 -r 1\nseen.append(watchdog_running())",
    ):
        result = arip.run_cell(cell, store_history=True)
        assert result.success, cell
        assert watchdog_running(arip), f"not back after {cell!r}"
    assert arip.user_ns["seen"] == [False, False, False, False]
