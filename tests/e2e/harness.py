"""Drives the real ``asyncrepl`` in a pseudo-terminal, as a person at a keyboard would, and
reads the screen's text with the terminal's escape sequences taken out."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pexpect

__all__ = ["Repl"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[=>()][0-9A-B]?|\r")
PROMPT = r"In \[(\d+)\]:"


class Repl:
    """A running ``python -m asyncrepl`` in a 24x80 pseudo-terminal.

    :param home: a private directory for IPython's profile and history.
    :param args: extra command-line arguments.
    :param module: the module to run: ``"IPython"`` to start plain IPython instead.
    """

    def __init__(
        self, home: Path, *args: str, timeout: float = 15, module: str = "asyncrepl"
    ) -> None:
        env = {
            **os.environ,
            "NO_COLOR": "1",
            "PROMPT_TOOLKIT_NO_CPR": "1",  # nobody here answers cursor-position requests
            "IPYTHONDIR": str(home / "ipython"),
            "TERM": "xterm",
        }
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", module, *args],
            env=env,
            encoding="utf-8",
            dimensions=(24, 80),
            timeout=timeout,
        )
        self.timeout = timeout
        #: Everything read so far, escape sequences removed.
        self.text = ""
        self._pos = 0

    def expect(self, pattern: str, timeout: float | None = None) -> re.Match[str]:
        """Wait until ``pattern`` appears in what follows the last match; return the match."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        regex = re.compile(pattern)
        while True:
            match = regex.search(self.text, self._pos)
            if match:
                self._pos = match.end()
                return match
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"{pattern!r} did not appear within the deadline; the screen said:\n"
                    + self.text[self._pos :][-2000:]
                )
            self._read(min(left, 0.2))

    def expect_prompt(self, timeout: float | None = None) -> int:
        """Wait for the next ``In [N]:`` prompt; return N."""
        return int(self.expect(PROMPT, timeout).group(1))

    def send_line(self, code: str) -> None:
        """Type one line and press Enter."""
        self.child.send(code + "\r")

    def paste(self, code: str) -> None:
        """Paste code as a terminal does (bracketed paste), then press Enter to run it."""
        self.child.send("\x1b[200~" + code + "\x1b[201~")
        self.child.send("\r")

    def send(self, keys: str) -> None:
        """Type keys without pressing Enter."""
        self.child.send(keys)

    def ctrl(self, key: str) -> None:
        """Press Ctrl and ``key``."""
        self.child.sendcontrol(key)

    def exit(self, timeout: float | None = None, *, press: bool = True, typed: bool = False) -> int:
        """Press Ctrl-D (at a prompt) and wait for the process to end; return its exit status.

        :param press: False when the caller already made it leave.
        :param typed: type ``exit`` instead. While background output is being printed the
            terminal is briefly in cooked mode (prompt_toolkit's ``run_in_terminal``), where a
            Ctrl-D is the line discipline's end-of-file and never reaches the prompt; typed
            letters and Enter do.
        """
        if typed:
            self.send_line("exit")
        elif press:
            self.child.sendcontrol("d")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self.child.isalive() and time.monotonic() < deadline:
            self._read(0.2)
        self._drain()
        self.child.close()
        status = self.child.exitstatus
        assert status is not None, f"asyncrepl ended by a signal: {self.child.signalstatus}"
        return int(status)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)

    def _read(self, timeout: float) -> None:
        try:
            chunk = self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            time.sleep(0.01)  # the child is gone; let the caller's deadline decide
            return
        self.text += _ANSI.sub("", chunk)

    def _drain(self) -> None:
        while True:
            try:
                chunk = self.child.read_nonblocking(65536, timeout=0.1)
            except (pexpect.TIMEOUT, pexpect.EOF):
                return
            self.text += _ANSI.sub("", chunk)
