"""Where a Ctrl-C lands while a cell's task runs: in the cell's code it interrupts that code;
in IPython's work between two statements of the cell (compiling the next one) it cancels the
cell where it next awaits, since raised there it would show IPython's traceback; pressed again
before that, it interrupts whatever runs. A real loop and a real task; the signal handler is
called as Python calls it, with the frame it interrupted."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import pytest

from asyncrepl.shell.interrupt import CellInterrupter


def run_cell(body: Any, *, cell_files: set[str]) -> asyncio.Task[Any]:
    """Run ``body(press)`` as a cell's task; ``press()`` is a Ctrl-C landing in its caller."""
    loop = asyncio.new_event_loop()
    try:
        task: asyncio.Task[Any] | None = None
        interrupter = CellInterrupter(loop, lambda: task, cell_files.__contains__)

        def press() -> None:
            interrupter._on_sigint(signal.SIGINT, sys._getframe(1))

        task = loop.create_task(body(press))
        with pytest.raises((asyncio.CancelledError, KeyboardInterrupt)):
            loop.run_until_complete(task)
        assert interrupter.interrupted
        return task
    finally:
        loop.close()


async def press_then_await(press: Any) -> None:
    press()
    await asyncio.sleep(10)


def test_in_the_cells_code_it_interrupts_the_code() -> None:
    task = run_cell(press_then_await, cell_files={__file__})
    assert isinstance(task.exception(), KeyboardInterrupt)


def test_between_the_cells_statements_it_cancels_the_cell_where_it_awaits() -> None:
    task = run_cell(press_then_await, cell_files=set())
    assert task.cancelled()


def test_pressed_again_before_the_cell_awaits_it_interrupts() -> None:
    async def press_twice(press: Any) -> None:
        press()
        press()
        await asyncio.sleep(10)

    task = run_cell(press_twice, cell_files=set())
    assert isinstance(task.exception(), KeyboardInterrupt)


def in_the_recorders_books(press: Any) -> Any:
    """A function that calls ``press()`` from a frame of the recorder's own file, as the loop
    runs it between steps (the watcher moving a round's entries into its rings)."""
    from asyncrepl.instrument import watcher

    namespace = {"press": press}
    exec(compile("def keep_books():\n    press()\n", watcher.__file__, "exec"), namespace)
    return namespace["keep_books"]


def test_in_the_recorders_bookkeeping_it_cancels_the_cell_where_it_awaits() -> None:
    # Raised there, the interrupt left a round's entries half moved into the ring, and the
    # next round switched the recorder off with a traceback (seen under load, after Ctrl-C
    # on `await asyncio.sleep(30)` with a ticker running).
    async def await_while_the_books_are_kept(press: Any) -> None:
        asyncio.get_running_loop().call_soon(in_the_recorders_books(press))
        await asyncio.sleep(10)

    task = run_cell(await_while_the_books_are_kept, cell_files={__file__})
    assert task.cancelled()
