"""Ctrl-C while a cell runs: cancel the cell's task when the loop is waiting, interrupt the
code when it is busy, and never leave a traceback through asyncio's insides. Ctrl-C while the
prompt waits and a background task holds the loop: interrupt that task."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import selectors
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from asyncrepl.shell.sigint_relay import SigintRelay

__all__ = ["CellInterrupter"]


def _module_file(name: str) -> str:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return spec.origin


#: Frames in these files are the loop's own machinery (the recorder's round and books among
#: them): raising KeyboardInterrupt there would leave the loop or the recorder half-way
#: through its bookkeeping (a ring half written switched the recorder off), so the cell is
#: cancelled instead.
_LOOP_FILES = (
    os.path.dirname(asyncio.__file__) + os.sep,
    selectors.__file__,
    # Found, not imported: the recorder is imported with the first cell, not before the prompt.
    os.path.dirname(_module_file("asyncrepl.instrument.rounds")) + os.sep,
)

#: The shell and the loop that a KeyboardInterrupt raised in a task's step goes up through.
_MACHINERY = (*_LOOP_FILES, os.path.dirname(os.path.dirname(__file__)) + os.sep)

SignalHandler = Callable[[int, FrameType | None], Any] | int | None


class CellInterrupter:
    """Owns SIGINT while installed.

    :param loop: the live loop.
    :param cell_task: returns the task of the cell that runs now, or None.
    :param is_cell_file: whether a code object's file name is a cell's.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        cell_task: Callable[[], asyncio.Task[Any] | None],
        is_cell_file: Callable[[str], bool],
    ) -> None:
        self._loop = loop
        self._cell_task = cell_task
        self._is_cell_file = is_cell_file
        self._previous: SignalHandler = None
        self._installed = False
        self._pressed_during: asyncio.Task[Any] | None = None
        #: Set when Ctrl-C cancelled or interrupted the cell; the shell resets it.
        self.interrupted = False
        #: Set while the REPL leaves and waits for cancelled tasks: Ctrl-C calls it (it
        #: ends the wait) instead of interrupting anything.
        self.leaving: Callable[[], None] | None = None
        #: The task reading the prompt, while it waits.
        self.prompt_task: asyncio.Task[Any] | None = None
        #: While the prompt waits and a step of another task (or a callback: None) holds
        #: the loop, that step: Ctrl-C interrupts it.
        self._stuck: tuple[asyncio.Task[Any] | None] | None = None
        self._stopped_stuck = False
        self._sent: KeyboardInterrupt | None = None
        self._signals = _TerminalSignals()
        self._relay = SigintRelay()

    def install(self) -> None:
        """Take over SIGINT (only possible in the main thread; elsewhere this does nothing)."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        self._installed = True

    def uninstall(self) -> None:
        """Give SIGINT back to whoever had it."""
        self._relay.disarm()
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False

    def cell_runs(self, running: bool) -> None:
        """A cell starts (``running``) or ends: while it runs, a Ctrl-C that another thread
        took is sent on to the main thread (see :mod:`asyncrepl.shell.sigint_relay`)."""
        if not self._installed:
            return
        if running:
            self.interrupted = False
            self._relay.arm()
        else:
            self._relay.disarm()

    def loop_stuck(self, task: asyncio.Task[Any] | None, stuck: bool) -> None:
        """The watchdog's ``on_stuck`` (called from its thread): a step of the user's code
        holds the loop (``stuck``), or no longer does.

        While the prompt waits, the terminal is in raw mode: Ctrl-C is a key for the prompt
        to read, and the prompt cannot read while the loop is held. So the terminal's Ctrl-C
        is made a signal again for as long as the loop is stuck.
        """
        if not stuck:
            self._stuck = None
            self._signals.restore()
        elif task is not self.prompt_task:
            self._stuck = (task,)
            cell = self._cell_task()
            if cell is None or cell.done():
                # No cell runs (the prompt waits, or is about to: a task started by the
                # cell that just ended can take its first step before the prompt's).
                self._signals.enable()

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self._relay.handled()
        if self.leaving is not None:
            if not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self.leaving)
            return
        cell = self._cell_task()
        if cell is None or cell.done():
            if self._loop.is_running():
                if self._holds_the_loop(frame):
                    self._stopped_stuck = True
                    raise self._into_task()  # out of the stuck task's step, to the shell
                # The prompt is waiting in the loop, and a background print briefly put the
                # terminal in cooked mode (prompt_toolkit's run_in_terminal): Ctrl-C came as
                # a signal instead of a key. Interrupting the prompt would lose the line.
                return
            raise KeyboardInterrupt
        self.interrupted = True
        running = asyncio.current_task(self._loop)
        in_loop = frame is not None and frame.f_code.co_filename.startswith(_LOOP_FILES)
        if (
            running is cell
            and running is not self._pressed_during
            and not self._runs_the_cells_code(frame)
        ):
            # IPython between two statements of the cell (it compiles each one on its own):
            # raised there, the interrupt would show IPython's traceback. The cell is
            # cancelled where it next awaits; pressed again before that, it raises.
            self._pressed_during = cell
            self._loop.call_soon_threadsafe(self._cancel, cell)
            return
        if not in_loop and (running is cell or running is None):
            # The cell's own code is running: blocking (time.sleep), spinning, or just busy.
            raise KeyboardInterrupt
        if running is not None and (running is self._pressed_during or self._holds_the_loop(frame)):
            # Pressed again while the same other task still holds the loop (or the watchdog
            # saw it hold the loop): only interrupting that task's code gives the loop back.
            raise self._into_task()
        # The loop is waiting, or another task is taking one of its (usually short) steps:
        # cancel the cell where it awaits. call_soon_threadsafe also wakes the selector,
        # which would otherwise go on sleeping after the signal (PEP 475).
        self._pressed_during = running
        self._loop.call_soon_threadsafe(self._cancel, cell)

    def _runs_the_cells_code(self, frame: FrameType | None) -> bool:
        """Whether a frame of the cell's code is on the stack (under whatever it called)."""
        while frame is not None:
            if self._is_cell_file(frame.f_code.co_filename):
                return True
            frame = frame.f_back
        return False

    def _cancel(self, task: asyncio.Task[Any]) -> None:
        self._pressed_during = None
        task.cancel("Ctrl-C")

    def _holds_the_loop(self, frame: FrameType | None) -> bool:
        """Whether the step the watchdog saw stuck is the one running now: a task's (raising
        in it fails the task with KeyboardInterrupt) or a plain callback's outside the
        loop's own bookkeeping."""
        stuck = self._stuck
        if stuck is None:
            return False
        (task,) = stuck
        if task is not None:
            return asyncio.current_task(self._loop) is task
        in_loop = frame is not None and frame.f_code.co_filename.startswith(_LOOP_FILES)
        return not in_loop and asyncio.current_task(self._loop) is None

    def _into_task(self) -> KeyboardInterrupt:
        """The KeyboardInterrupt to raise in another task's step (it fails that task)."""
        self._sent = KeyboardInterrupt()
        return self._sent

    def stopped_stuck(self) -> bool:
        """Whether the KeyboardInterrupt that came out of the loop was raised in a stuck
        background step while no cell ran (it failed that task; the shell goes on). Asking
        resets it; call it wherever a KeyboardInterrupt comes out of the loop."""
        sent, self._sent = self._sent, None
        if sent is not None:
            # The task's failure report shows this traceback: from the task's code on, not
            # through the shell and the loop that it went up through, nor this handler.
            sent.__traceback__ = _users_part(sent.__traceback__)
        stopped, self._stopped_stuck = self._stopped_stuck, False
        if stopped:
            self.loop_stuck(None, False)
        return stopped


def _users_part(tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without the leading entries of asyncrepl and asyncio (the shell, the loop) and
    without the trailing ones of this module (the signal handler)."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_MACHINERY):
        tb = tb.tb_next
    last = tb
    while last is not None and last.tb_next is not None:
        if last.tb_next.tb_frame.f_code.co_filename == __file__:
            last.tb_next = None
            break
        last = last.tb_next
    return tb


class _TerminalSignals:
    """Turns the terminal's Ctrl-C into SIGINT (``ISIG``) while the prompt's raw mode is on,
    and back. Does nothing when standard input is not a terminal."""

    def __init__(self) -> None:
        self._changed = False

    def enable(self) -> None:
        termios = _termios()
        if termios is None or self._changed:
            return
        try:
            attrs = termios.tcgetattr(sys.stdin.fileno())
            if attrs[3] & termios.ISIG:
                return  # cooked mode: Ctrl-C is a signal already
            attrs[3] |= termios.ISIG
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, attrs)
            self._changed = True
        except (OSError, ValueError, termios.error):
            pass

    def restore(self) -> None:
        termios = _termios()
        if termios is None or not self._changed:
            return
        self._changed = False
        try:
            attrs = termios.tcgetattr(sys.stdin.fileno())
            if attrs[3] & termios.ICANON:
                return  # back in cooked mode meanwhile, where Ctrl-C is a signal
            attrs[3] &= ~termios.ISIG
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSANOW, attrs)
        except (OSError, ValueError, termios.error):
            pass


def _termios() -> Any:
    """The ``termios`` module when standard input is a terminal (POSIX), else None."""
    try:
        import termios
    except ImportError:  # Windows
        return None
    try:
        return termios if sys.stdin is not None and sys.stdin.isatty() else None
    except ValueError:  # closed
        return None
