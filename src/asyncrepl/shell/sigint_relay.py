"""A Ctrl-C that lands on another thread reaches the main thread anyway.

Linux gives a process's SIGINT to any of its threads that does not block it (IPython's
history thread, a user's thread, an executor's). CPython then only notes the signal: a main
thread asleep in ``time.sleep(30)`` or ``sock.recv()`` hears of it when the call returns, and
the person's Ctrl-C does nothing. The same happens when the signal arrives on the main thread
just before it enters the call. The relay sees every signal through ``signal.set_wakeup_fd``;
when the Python handler has not run shortly after a SIGINT, it sends the signal to the main
thread itself, which interrupts the call.
"""

from __future__ import annotations

import signal
import socket
import threading
import time

__all__ = ["SigintRelay"]

#: How long the main thread may take to run the handler before the signal is sent again. A
#: main thread that can run Python code runs it within microseconds.
GRACE = 0.05


class SigintRelay:
    """Arm it while a cell runs; call :meth:`handled` first thing in the SIGINT handler."""

    def __init__(self) -> None:
        self._reader: socket.socket | None = None
        self._writer: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._armed = False
        self._last_handled = float("-inf")
        self._main = threading.main_thread().ident or 0

    def handled(self) -> None:
        """The Python handler runs: no need to send this SIGINT again."""
        self._last_handled = time.monotonic()

    def arm(self) -> None:
        """Watch for SIGINT from now on (call it in the main thread). Does nothing when
        someone else owns the wake-up fd (an asyncio loop's ``add_signal_handler``), or where
        signals cannot be sent to one thread."""
        if self._armed or not hasattr(signal, "pthread_kill"):
            return
        if threading.current_thread() is not threading.main_thread():
            return
        if self._writer is None:
            self._reader, self._writer = socket.socketpair()
            self._writer.setblocking(False)
        previous = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        if previous != -1:
            signal.set_wakeup_fd(previous)
            return
        self._armed = True
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._relay, name="asyncrepl-sigint-relay", daemon=True
            )
            self._thread.start()

    def disarm(self) -> None:
        """Stop watching; give the wake-up fd back if it is still ours."""
        if not self._armed:
            return
        self._armed = False
        assert self._writer is not None
        current = signal.set_wakeup_fd(-1)
        if current != self._writer.fileno():
            signal.set_wakeup_fd(current)  # taken over meanwhile: not ours to clear

    def _relay(self) -> None:
        # This thread must never be the one that takes the SIGINT it relays.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        assert self._reader is not None
        while True:
            try:
                received = self._reader.recv(64)
            except OSError:
                return
            if not received:
                return
            if signal.SIGINT not in received:
                continue  # SIGWINCH, SIGCHLD: the main thread's business
            arrived = time.monotonic()
            time.sleep(GRACE)
            if self._armed and self._last_handled < arrived - 2 * GRACE:
                signal.pthread_kill(self._main, signal.SIGINT)
