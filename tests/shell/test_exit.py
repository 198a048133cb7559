"""Leaving with a task that ignores its cancellation: the task is left quietly, and its
coroutine is finished while its names still exist, so nothing is printed at interpreter exit."""

from __future__ import annotations

import asyncio
import gc
import sys
from typing import Any

from asyncrepl.shell.liveloop import _abandon

STUBBORN = """
import asyncio

async def stubborn():
    while True:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass
"""


def leave_stubborn_task(abandon: bool) -> list[BaseException]:
    """Run a task that swallows its cancellation, leave it as the REPL does, then clear its
    namespace (IPython does at exit) and collect it; return what went unraisable."""
    namespace: dict[str, Any] = {}
    exec(STUBBORN, namespace)
    loop = asyncio.new_event_loop()
    task = loop.create_task(namespace["stubborn"]())
    loop.run_until_complete(asyncio.sleep(0.01))
    task.cancel()
    loop.run_until_complete(asyncio.sleep(0.01))
    assert not task.done()
    if abandon:
        _abandon(task)
    else:
        task._log_destroy_pending = False  # type: ignore[attr-defined]
    loop.close()
    unraisable: list[BaseException] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda info: unraisable.append(info.exc_value)  # type: ignore[assignment]
    try:
        namespace.clear()
        del task
        gc.collect()
    finally:
        sys.unraisablehook = previous
    return unraisable


def test_an_abandoned_task_says_nothing_when_its_namespace_is_gone() -> None:
    assert leave_stubborn_task(abandon=True) == []


def test_without_it_python_reports_a_name_error_at_exit() -> None:
    # What users saw: "Exception ignored in: <coroutine ...> NameError: name 'asyncio' ..."
    unraisable = leave_stubborn_task(abandon=False)
    assert any(isinstance(e, NameError) for e in unraisable), unraisable
