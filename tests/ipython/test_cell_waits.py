"""A cell's waits, through IPython's in-process shell on the live loop: a cell's task runs the
shell's coroutine, yet what it waited for is named at the user's ``await`` in the cell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError


def run(ip: Any, cell: str) -> Any:
    result = ip.run_cell(cell, store_history=True)
    if result.error_in_exec is not None and not isinstance(result.error_in_exec, UsageError):
        raise result.error_in_exec
    return result


def out_of(ip: Any, capsys: pytest.CaptureFixture[str], cell: str) -> str:
    capsys.readouterr()
    run(ip, cell)
    return capsys.readouterr().out


def cell_waits(export: Path, cell: int) -> list[str]:
    """What the trace export says cell ``cell``'s track waited for, in order."""
    events = json.loads(export.read_text())["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    tid = next(t for t, name in names.items() if name.startswith(f"cell [{cell}]"))
    return [
        e["args"]["woken after waiting for"]
        for e in events
        if e.get("tid") == tid and "woken after waiting for" in e.get("args", {})
    ]


@pytest.mark.parametrize("debug", [False, True], ids=["fast round", "careful round"])
def test_an_export_names_the_cells_own_await(arip: Any, tmp_path: Path, debug: bool) -> None:
    run(arip, f"import asyncio\nasyncio.get_running_loop().set_debug({debug})")
    cell = int(arip.execution_count)
    try:
        run(arip, "import asyncio\nx = 1\nawait asyncio.sleep(0.05)")
    finally:
        run(arip, "asyncio.get_running_loop().set_debug(False)")
    export = tmp_path / "t.json"
    run(arip, f"%timeline --cell {cell} --export {export}")
    waits = cell_waits(export, cell)
    assert waits == [f"asyncio.sleep at <cell {cell}>:3: await asyncio.sleep(0.05)"], waits


def test_a_gather_and_a_helper_are_named_where_the_users_code_waits(
    arip: Any, tmp_path: Path
) -> None:
    run(
        arip,
        "import asyncio\n"
        "async def nap(t):\n"
        "    await asyncio.sleep(t)\n"
        "async def helper():\n"
        "    return await asyncio.gather(nap(0.01), nap(0.02))\n",
    )
    helpers = int(arip.execution_count) - 1
    cell = int(arip.execution_count)
    run(arip, "await asyncio.gather(nap(0.01), nap(0.02))\nawait helper()")
    export = tmp_path / "t.json"
    run(arip, f"%timeline --cell {cell} --export {export}")
    assert cell_waits(export, cell) == [
        f"asyncio.gather at <cell {cell}>:1: await asyncio.gather(nap(0.01), nap(0.02))",
        f"asyncio.gather at <cell {helpers}>:5: return await asyncio.gather(nap(0.01), nap(0.02))",
    ]


def test_tasks_detail_of_a_cell_says_where_it_waited(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    cell = int(arip.execution_count)
    run(arip, "import asyncio\nfor _ in range(3):\n    await asyncio.sleep(0.01)")
    out = out_of(arip, capsys, f'%tasks "cell [{cell}]"').splitlines()
    waited = next(line for line in out if line.startswith("  waited"))
    assert f"3 times for asyncio.sleep at <cell {cell}>:3" in waited, out
