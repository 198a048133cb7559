"""Ctrl-C while a cell runs: cancel the cell's task when the loop is waiting, interrupt the
code when it is busy, and never leave a traceback through asyncio's insides."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import selectors
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

__all__ = ["CellInterrupter"]


def _module_file(name: str) -> str:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return spec.origin


#: Frames in these files are the loop's own machinery (the recorder's round among them):
#: raising KeyboardInterrupt there would leave the loop half-way through its bookkeeping, so
#: the cell is cancelled instead.
_LOOP_FILES = (
    os.path.dirname(asyncio.__file__) + os.sep,
    selectors.__file__,
    # Found, not imported: the recorder is imported with the first cell, not before the prompt.
    _module_file("asyncrepl.instrument.rounds"),
)

SignalHandler = Callable[[int, FrameType | None], Any] | int | None


class CellInterrupter:
    """Owns SIGINT while installed.

    :param loop: the live loop.
    :param cell_task: returns the task of the cell that runs now, or None.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        cell_task: Callable[[], asyncio.Task[Any] | None],
    ) -> None:
        self._loop = loop
        self._cell_task = cell_task
        self._previous: SignalHandler = None
        self._installed = False
        self._pressed_during: asyncio.Task[Any] | None = None
        #: Set when Ctrl-C cancelled or interrupted the cell; the shell resets it.
        self.interrupted = False

    def install(self) -> None:
        """Take over SIGINT (only possible in the main thread; elsewhere this does nothing)."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        self._installed = True

    def uninstall(self) -> None:
        """Give SIGINT back to whoever had it."""
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        cell = self._cell_task()
        if cell is None or cell.done():
            if self._loop.is_running():
                # The prompt is waiting in the loop, and a background print briefly put the
                # terminal in cooked mode (prompt_toolkit's run_in_terminal): Ctrl-C came as
                # a signal instead of a key. Interrupting the prompt would lose the line.
                return
            raise KeyboardInterrupt
        self.interrupted = True
        running = asyncio.current_task(self._loop)
        in_loop = frame is not None and frame.f_code.co_filename.startswith(_LOOP_FILES)
        if not in_loop and (running is cell or running is None):
            # The cell's own code is running: blocking (time.sleep), spinning, or just busy.
            raise KeyboardInterrupt
        if running is not None and running is self._pressed_during:
            # Pressed again while the same other task still holds the loop: it is blocking
            # it, and only interrupting that task's code gives the loop back.
            raise KeyboardInterrupt
        # The loop is waiting, or another task is taking one of its (usually short) steps:
        # cancel the cell where it awaits. call_soon_threadsafe also wakes the selector,
        # which would otherwise go on sleeping after the signal (PEP 475).
        self._pressed_during = running
        self._loop.call_soon_threadsafe(self._cancel, cell)

    def _cancel(self, task: asyncio.Task[Any]) -> None:
        self._pressed_during = None
        task.cancel("Ctrl-C")
