"""One event loop for a terminal IPython shell: every cell runs on it as a task, and the prompt
waits for input inside it, so tasks started in one cell go on while you type the next."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from IPython.core import async_helpers
from IPython.core.error import UsageError
from prompt_toolkit.patch_stdout import patch_stdout

from asyncrepl.shell.cellfiles import cell_numbers
from asyncrepl.shell.interrupt import CellInterrupter

__all__ = ["CellListener", "LiveLoop"]

log = logging.getLogger("asyncrepl")

#: Called when a cell starts (``cell``, its task) and ends (``cell``, None).
CellListener = Callable[[int, "asyncio.Task[Any] | None"], None]

#: IPython methods the live loop replaces on the shell instance, restored on uninstall.
_REPLACED = ("should_run_async", "prompt_for_code", "_atexit_once")


class LiveLoop:
    """Installs the live loop into a ``TerminalInteractiveShell`` and takes it out again.

    :param shell: the shell.
    :param on_cell: told when each cell starts and ends.
    :param exit_timeout: seconds to wait for cancelled tasks when the REPL exits.
    """

    def __init__(self, shell: Any, *, on_cell: CellListener, exit_timeout: float = 1.0) -> None:
        self.shell = shell
        self.loop = _adopt_loop()
        self.exit_timeout = exit_timeout
        self.cell_task: asyncio.Task[Any] | None = None
        #: Called when the REPL starts leaving, before pending tasks are cancelled.
        self.before_shutdown: list[Callable[[], None]] = []
        self._on_cell = on_cell
        self._interrupter = CellInterrupter(self.loop, lambda: self.cell_task, self._is_cell_file)
        self._saved: dict[str, Any] = {}
        self._runner = self.run_cell  # one object: the shell's loop_runner while installed
        self._closed = False
        self._prompt_failures = 0

    def _is_cell_file(self, filename: str) -> bool:
        """Whether ``filename`` is a cell's (IPython's compiler names each cell's code)."""
        return filename in cell_numbers(self.shell)

    # -- installing ------------------------------------------------------------------

    def install(self) -> None:
        """Run cells and the prompt on :attr:`loop` from now on."""
        shell = self.shell
        self._saved = {name: shell.__dict__.get(name) for name in _REPLACED}
        self._saved["loop_runner"] = shell.loop_runner
        self._saved["custom_exc"] = (shell.custom_exceptions, shell.CustomTB)
        line_magics = shell.magics_manager.magics["line"]
        self._saved["autoawait"] = line_magics.get("autoawait")
        line_magics["autoawait"] = self.autoawait
        shell.loop_runner = self._runner
        shell.should_run_async = self.should_run_async
        if not shell.simple_prompt:
            shell.prompt_for_code = self.prompt_for_code
        original_atexit = shell._atexit_once

        def atexit_once() -> None:
            self.shutdown()
            original_atexit()

        # Before IPython clears the namespace at exit (mainloop calls this, then atexit).
        shell._atexit_once = atexit_once
        shell.set_custom_exc((KeyboardInterrupt, asyncio.CancelledError), self._show_interrupt)
        self._interrupter.install()

    def uninstall(self) -> None:
        """Give the shell back its own methods; the loop stays open for IPython to reuse."""
        shell = self.shell
        self._interrupter.uninstall()
        for name in _REPLACED:
            if self._saved.get(name) is None:
                shell.__dict__.pop(name, None)
            else:
                setattr(shell, name, self._saved[name])
        shell.loop_runner = self._saved["loop_runner"]
        line_magics = shell.magics_manager.magics["line"]
        if line_magics.get("autoawait") == self.autoawait and self._saved["autoawait"]:
            line_magics["autoawait"] = self._saved["autoawait"]
        exceptions, handler = self._saved["custom_exc"]
        shell.custom_exceptions, shell.CustomTB = exceptions, handler

    # -- what IPython calls ------------------------------------------------------------

    def should_run_async(
        self,
        raw_cell: str,
        *,
        transformed_cell: str | None = None,
        preprocessing_exc_tuple: Any = None,
    ) -> bool:
        """Every cell runs on the loop, so ``create_task`` works without an ``await``.

        ``%run`` is the exception: a script calls ``asyncio.run`` itself, which needs no loop
        running, as in plain IPython. So is a cell that a cell runs (``%%capture``, a macro,
        ``%rerun``): the loop is already running it, and it runs inside that cell's step.
        """
        if preprocessing_exc_tuple is not None or not self.shell.autoawait:
            return False
        if self.shell.loop_runner is not self._runner:  # set by %config or by hand
            # Cells cannot run on the live loop: only those that await run async, with the
            # runner given, as in plain IPython (a `1 + 1` still works if it fails).
            return bool(
                type(self.shell).should_run_async(
                    self.shell, raw_cell, transformed_cell=transformed_cell
                )
            )
        if self.loop.is_running():
            return False
        cell = (transformed_cell or raw_cell).lstrip()
        return not cell.startswith("get_ipython().run_line_magic('run',")

    def autoawait(self, parameter_s: str = "") -> None:
        """Switch top-level ``await`` in cells off and on, as in IPython; cells stay on
        asyncrepl's event loop::

            In [1]: %autoawait        # says whether it is on
            In [2]: %autoawait off    # cells are plain code: `await` needs an `async def`
            In [3]: %autoawait on     # back on (or: %autoawait asyncio)

        Another runner (trio, curio, sync, a function) would take every cell off the live
        loop, and with trio not installed every later cell failed: it is refused in one
        line, and nothing changes.

        :param parameter_s: what follows ``%autoawait``.
        """
        shell, word = self.shell, parameter_s.strip()
        if not word:
            state = "on" if shell.autoawait else "off"
            print(
                f"IPython autoawait is `{state}`, and set to use `asyncio` "
                "(asyncrepl's event loop, which keeps running while you type)."
            )
        elif word.lower() in ("off", "false"):
            shell.autoawait = False
        elif word.lower() in ("on", "true", "asyncio"):
            shell.autoawait = True
            shell.loop_runner = self._runner
        else:
            raise UsageError(
                f"asyncrepl runs every cell on its asyncio event loop, so `%autoawait {word}` "
                "is not available: use `%autoawait on` or `off`, or IPython without asyncrepl "
                f"for {word}."
            )

    def run_cell(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """IPython's ``loop_runner``: run one cell's coroutine as a task on the live loop."""
        cell = self.shell.execution_count
        task = self.loop.create_task(coro, name=f"cell [{cell}]")
        self.cell_task = task
        self._on_cell(cell, task)
        self._interrupter.cell_runs(True)
        try:
            while True:
                try:
                    return self.run_until_done(task)
                except KeyboardInterrupt:
                    if self._interrupter.stopped_stuck():
                        # It stopped a task blocking the loop after the cell ended.
                        if task.done():
                            return task.result()
                        continue
                    # Raised in a step of another task (it was blocking the loop): the
                    # cell is what the person wanted to stop.
                    if task.done():
                        raise
                    self._interrupter.interrupted = True
                    task.cancel("Ctrl-C")
        finally:
            self._interrupter.cell_runs(False)
            self.cell_task = None
            self._on_cell(cell, None)
            asyncio.set_event_loop(self.loop)

    def prompt_for_code(self) -> str:
        """Read a cell with prompt_toolkit, inside the live loop. A prompt that breaks (a
        task stopped the loop, our own bug) is reported in one line and drawn again."""
        try:
            text = self._read_cell()
        except (EOFError, KeyboardInterrupt):
            raise
        except Exception as error:
            self._prompt_failures += 1
            if self._prompt_failures > 3 or self.loop.is_closed():
                raise
            log.debug("prompt failed", exc_info=True)
            print(f"asyncrepl: the prompt was interrupted ({error}); here is a new one.")
            return ""
        self._prompt_failures = 0
        return text

    def _read_cell(self) -> str:
        shell = self.shell
        default, shell.rl_next_input = shell.rl_next_input or "", None
        prompt = shell.pt_app.prompt_async(
            default=default,
            handle_sigint=False,
            set_exception_handler=False,
            **shell._extra_prompt_options(),
        )
        with patch_stdout(raw=True):
            task = self.loop.create_task(prompt, name="asyncrepl prompt")
            self._interrupter.prompt_task = task
            try:
                text: str = self._wait_for_prompt(task)
            finally:
                self._interrupter.prompt_task = None
        return text

    def _wait_for_prompt(self, task: asyncio.Task[Any]) -> Any:
        """Run the loop until the prompt has its line. A Ctrl-C that interrupted a task
        blocking the loop meanwhile ends that task (its failure is reported as any other),
        not the prompt."""
        while True:
            try:
                return self.run_until_done(task)
            except KeyboardInterrupt:
                if not self._interrupter.stopped_stuck() and task.done():
                    raise

    def loop_stuck(self, task: asyncio.Task[Any] | None, stuck: bool) -> None:
        """The watchdog's ``on_stuck``: see :meth:`CellInterrupter.loop_stuck`."""
        self._interrupter.loop_stuck(task, stuck)

    def run_until_done(self, task: asyncio.Task[Any]) -> Any:
        """``run_until_complete``, but a ``loop.stop()`` in user code does not end the REPL:
        the loop just goes on running until ``task`` is done."""
        while True:
            try:
                return self.loop.run_until_complete(task)
            except RuntimeError as error:
                if task.done() or "stopped before Future completed" not in str(error):
                    raise

    def _show_interrupt(
        self, shell: Any, etype: type[BaseException], value: BaseException, tb: Any, **_: Any
    ) -> None:
        """The cell raised KeyboardInterrupt or CancelledError."""
        if self._interrupter.interrupted or etype is KeyboardInterrupt:
            # Loaded since the first prompt (with the cells' wiring), not before it.
            from asyncrepl.render.hints import render_interrupted
            from asyncrepl.render.printer import print_fragments

            self._interrupter.interrupted = False
            others = [t for t in asyncio.all_tasks(self.loop) if t is not self.cell_task]
            print_fragments(render_interrupted(shell.execution_count - 1, len(others)))
            return
        # Cancelled by the code itself (it awaited a task that was cancelled): a real error.
        shell.showtraceback((etype, value, tb), tb_offset=None)

    # -- leaving ---------------------------------------------------------------------

    def shutdown(self) -> None:
        """Cancel pending tasks, wait for them at most :attr:`exit_timeout` seconds (a second
        Ctrl-C or Ctrl-D ends the wait at once), close the loop. A task that ignores the
        cancellation is named once and left: its coroutine is closed now, while the names
        its ``except`` clauses use still exist, so nothing is printed at interpreter exit."""
        if self._closed or self.loop.is_closed():
            return
        from asyncrepl.render.hints import describe_task, render_exit_report, render_exit_stuck
        from asyncrepl.render.printer import print_fragments

        self._closed = True
        for listener in self.before_shutdown:
            listener()
        loop = self.loop
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        forced: list[bool] = []

        def force() -> None:
            forced.append(True)
            loop.stop()

        # Before anything is said: a Ctrl-C pressed as soon as it is must end the wait.
        self._interrupter.leaving = force
        print_fragments(render_exit_report([describe_task(t) for t in pending], []))
        stop_reading = _watch_for_end_of_input(loop, force)
        try:
            stuck = self._wait(pending, forced)
            if not forced:
                self._wait([loop.create_task(loop.shutdown_asyncgens())], forced)
        finally:
            stop_reading()
        names = [describe_task(t) for t in stuck]
        print_fragments(render_exit_stuck(names, forced=bool(forced)))
        for task in stuck:
            _abandon(task)
        self._interrupter.uninstall()
        loop.close()

    def _wait(self, tasks: list[asyncio.Task[Any]], forced: list[bool]) -> list[asyncio.Task[Any]]:
        """Run the loop until ``tasks`` are done, :attr:`exit_timeout` passes, or the user
        forces the exit (which stops the loop); return the tasks not done."""
        if tasks and not forced:
            waiter = self.loop.create_task(asyncio.wait(tasks, timeout=self.exit_timeout))
            with contextlib.suppress(BaseException):  # leaving goes on, whatever happens here
                self.loop.run_until_complete(waiter)
            if not waiter.done():
                _abandon(waiter)
        return [t for t in tasks if not t.done()]


def _abandon(task: asyncio.Task[Any]) -> None:
    """Leave a task that is still pending, quietly: asyncio's "Task was destroyed but it is
    pending" is not shown, and its coroutine is closed now rather than at interpreter exit,
    when the user's namespace is gone (``NameError: name 'asyncio' is not defined``)."""
    task._log_destroy_pending = False  # type: ignore[attr-defined]
    coro = task.get_coro()
    close = getattr(coro, "close", None)
    if close is not None:
        with contextlib.suppress(BaseException):  # it ignored GeneratorExit too, or raised
            close()


def _watch_for_end_of_input(
    loop: asyncio.AbstractEventLoop, force: Callable[[], None]
) -> Callable[[], None]:
    """While leaving waits, Ctrl-D on the terminal (end of input) forces it; returns the
    function that stops watching. Only for a terminal: a pipe at its end is always readable."""
    try:
        fd = sys.stdin.fileno()
        if not os.isatty(fd):
            return lambda: None
        loop.add_reader(fd, lambda: _read_key(fd, force))
    except (AttributeError, OSError, ValueError, NotImplementedError, RuntimeError):
        return lambda: None

    def stop() -> None:
        loop.remove_reader(fd)

    return stop


def _read_key(fd: int, force: Callable[[], None]) -> None:
    try:
        data = os.read(fd, 1024)
    except OSError:
        data = b""
    if not data or b"\x04" in data or b"\x03" in data:
        force()


def _adopt_loop() -> asyncio.AbstractEventLoop:
    """IPython's own loop (``get_asyncio_loop``), made the current loop for ``asyncio`` too."""
    loop: asyncio.AbstractEventLoop = async_helpers.get_asyncio_loop()  # type: ignore[no-untyped-call]
    asyncio.set_event_loop(loop)
    return loop
