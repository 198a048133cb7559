"""asyncrepl in a real Jupyter kernel (ipykernel driven through jupyter_client): it loads
cleanly, uses the kernel's own loop, and tasks run while the kernel is idle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.jupyter


@pytest.fixture(scope="module")
def kernel() -> Iterator[Any]:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(client: Any, code: str, timeout: float = 20) -> dict[str, Any]:
    """Run a cell; return its reply content plus everything it printed."""
    outputs: list[str] = []

    def collect(msg: dict[str, Any]) -> None:
        content = msg["content"]
        if msg["msg_type"] == "stream":
            outputs.append(content["text"])
        elif msg["msg_type"] in ("execute_result", "display_data"):
            outputs.append(content["data"].get("text/plain", ""))
        elif msg["msg_type"] == "error":
            outputs.append("\n".join(content["traceback"]))

    reply = client.execute_interactive(code, timeout=timeout, output_hook=collect)
    return {**reply["content"], "output": "".join(outputs)}


def wait_for_output(client: Any, text: str, timeout: float = 10) -> str:
    """Read iopub while no cell runs, until ``text`` is printed."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        try:
            msg = client.get_iopub_msg(timeout=0.2)
        except Exception:  # queue.Empty: nothing printed yet
            continue
        if msg["msg_type"] == "stream":
            seen += msg["content"]["text"]
            if text in seen:
                return seen
    raise AssertionError(f"{text!r} was not printed while the kernel was idle; got {seen!r}")


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
