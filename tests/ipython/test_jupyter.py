"""asyncrepl in a real Jupyter kernel (ipykernel driven through jupyter_client): it loads
cleanly, uses the kernel's own loop, and tasks run while the kernel is idle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ipython.kernels import execute as run_cell
from tests.ipython.kernels import running_kernel, wait_for_output

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.jupyter


@pytest.fixture(scope="module")
def kernel() -> Iterator[Any]:
    with running_kernel() as client:
        yield client


def execute(client: Any, code: str, timeout: float = 20) -> dict[str, Any]:
    """Run a cell; return its reply content plus everything it printed."""
    cell = run_cell(client, code, timeout)
    return {**cell.reply, "output": cell.text}


def test_loads_cleanly_and_uses_the_kernels_loop(kernel: Any) -> None:
    reply = execute(kernel, "%load_ext asyncrepl")
    assert reply["status"] == "ok", reply["output"]
    reply = execute(kernel, "import asyncio\nasyncio.get_running_loop().is_running()")
    assert reply["status"] == "ok" and "True" in reply["output"]


def test_a_task_runs_while_the_kernel_is_idle(kernel: Any) -> None:
    execute(kernel, "%load_ext asyncrepl")
    reply = execute(
        kernel,
        "async def ticker():\n"
        "    for i in range(50):\n"
        "        print(f'tick {i}', flush=True)\n"
        "        await asyncio.sleep(0.05)\n"
        "t = asyncio.create_task(ticker())",
    )
    assert reply["status"] == "ok", reply["output"]
    wait_for_output(kernel, "tick 5")
    reply = execute(kernel, "t.cancel(); 6 * 7")
    assert "42" in reply["output"]


def test_magics_and_unload(kernel: Any) -> None:
    execute(kernel, "%load_ext asyncrepl")
    reply = execute(kernel, "%asyncrepl")
    assert "AsyncREPL.blocking" in reply["output"]
    reply = execute(kernel, "%unload_ext asyncrepl")
    assert reply["status"] == "ok", reply["output"]
    reply = execute(kernel, "%asyncrepl")
    assert reply["status"] == "error"
    reply = execute(kernel, "%load_ext asyncrepl")
    assert reply["status"] == "ok", reply["output"]


def test_asyncio_run_works_in_a_notebook_cell(kernel: Any) -> None:
    execute(kernel, "%load_ext asyncrepl")
    execute(kernel, "async def main():\n    await asyncio.sleep(0.01)\n    return 'done'")
    reply = execute(kernel, "asyncio.run(main())")
    assert reply["status"] == "ok", reply["output"]
    assert "'done'" in reply["output"] and "already running" in reply["output"]


def test_a_background_failure_is_reported(kernel: Any) -> None:
    execute(kernel, "%load_ext asyncrepl")
    execute(kernel, "async def boom():\n    raise ValueError('bad')")
    execute(kernel, "b = asyncio.create_task(boom(), name='bomb')")
    wait_for_output(kernel, "Task 'bomb' (boom) failed: ValueError: bad")


def test_the_last_cell_is_the_last_that_ran_the_users_code(kernel: Any) -> None:
    """In a kernel too, "the last cell" of %timeline and %explain skips cells of magics only,
    and a cell's window is its own (it was keyed one cell ahead at its start)."""
    execute(kernel, "%load_ext asyncrepl")
    reply = execute(kernel, "await asyncio.gather(asyncio.sleep(0.05), asyncio.sleep(0.05))")
    cell = reply["execution_count"]
    execute(kernel, "%tasks")
    reply = execute(kernel, "%timeline")
    assert f"Timeline of cell {cell} " in reply["output"], reply["output"]
    reply = execute(
        kernel,
        "session = get_ipython()._asyncrepl_state.session\n"
        f"start, end = session.cell_windows[{cell}]\n"
        "print(round(end - start, 2))",
    )
    assert float(reply["output"]) >= 0.05, reply["output"]
