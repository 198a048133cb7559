"""In a Jupyter kernel: which cell runs (the number the notebook shows), its window and its
task, where a report goes (the cell that runs, or the next one when it came between cells),
and the one line an interrupted cell ends with."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_to_text

from asyncrepl.instrument.snapshot import snapshot_tasks
from asyncrepl.render.hints import render_interrupted
from asyncrepl.render.printer import print_fragments
from asyncrepl.session import Session

__all__ = ["KernelCells", "wake_on_signals"]

log = logging.getLogger("asyncrepl")

#: Reports kept for the top of the next cell (each was also shown live when it came).
_BETWEEN_LIMIT = 20
#: The cells whose windows a late block report is matched against (the newest).
_CELLS_LOOKED_AT = 8
#: The coroutine a kernel runs one cell in when it makes the cell a task of its own
#: (ipykernel's ``ensure_future(shell.run_cell_async(...))``).
_CELL_COROUTINE = "run_cell_async"


class KernelCells:
    """Follows the cells of a kernel through IPython's ``pre_run_cell`` and ``post_run_cell``.

    IPython adds one to ``execution_count`` before ``pre_run_cell`` (when the cell is kept
    in the history), so the cell that starts is the count less one. The kernel's output
    streams send what is written to the request of the context that writes it: a task's
    callbacks run in the context of the cell that created the task, and a kernel sends what
    comes after a cell's reply to a cell that has ended (nbclient drops it). So a report is
    written in the context of the cell that runs now; between cells it is written where the
    frontend can show it at once, and again at the top of the next cell.

    :param shell: the kernel's shell.
    :param session: the session whose cell windows and cell number this keeps.
    """

    def __init__(self, shell: Any, session: Session) -> None:
        self._shell = shell
        self._session = session
        self._depth = 0  # a cell that calls run_cell starts a cell inside a cell
        self._context: contextvars.Context | None = None  # the running cell's
        self._last_context: contextvars.Context | None = None
        #: reports that came while no cell ran: the cell each happened in (None: between)
        self._between: list[tuple[int | None, str]] = []
        self._last_cell = 0
        self._cell_task: asyncio.Task[Any] | None = None
        self._borrowed: tuple[asyncio.Task[Any], str] | None = None  # a kernel task, its name

    def install(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        """Listen to the shell's cell events, own its interrupt message, and wake ``loop``
        on a signal; return the undo.

        :param loop: the kernel's event loop.
        """
        shell = self._shell
        shell.events.register("pre_run_cell", self.started)
        shell.events.register("post_run_cell", self.ended)
        saved = shell.custom_exceptions, shell.CustomTB
        shell.set_custom_exc((KeyboardInterrupt, asyncio.CancelledError), self._interrupted)
        unwake = wake_on_signals(loop)

        def undo() -> None:
            unwake()
            shell.events.unregister("pre_run_cell", self.started)
            shell.events.unregister("post_run_cell", self.ended)
            shell.custom_exceptions, shell.CustomTB = saved

        return undo

    # -- cells -------------------------------------------------------------------------

    def started(self, info: Any) -> None:
        """``pre_run_cell``: the cell's number, window and task; reports from between cells."""
        self._depth += 1
        if self._depth > 1:
            return
        self._settle()  # a block that ended before this cell: one report among the waiting
        kept = getattr(info, "store_history", True)
        cell = self._shell.execution_count - (1 if kept else 0)
        session = self._session
        session.start_cell(cell, self._now())
        self._context = contextvars.copy_context()
        task = _current_task()
        self._cell_task = task if task is not None and _runs_a_cell(task) else None
        if self._cell_task is not None:
            self._cell_task.set_name(f"cell [{cell}]")
            if session.recorder is not None:
                session.recorder.mark_cell_task(self._cell_task, cell)
        elif task is not None:
            # A cell without an await runs inside the kernel's own long-lived task: while it
            # runs, that task goes by the cell's name, so that a report of a block names the
            # cell, not 'Task-24' (the task is the kernel's, and never listed as the user's).
            self._borrowed = task, task.get_name()
            task.set_name(f"cell [{cell}]")
        if self._between:
            waiting, self._between = self._between, []
            print_fragments(_waiting(waiting, self._last_cell, cell))

    def ended(self, result: Any) -> None:
        """``post_run_cell`` (``result`` is None when the kernel cancelled the cell)."""
        if not self._depth:  # an empty cell: IPython skips pre_run_cell, not post_run_cell
            return
        if self._depth == 1:
            # A block during the cell, or of the cell itself (its step outlasts it, as the
            # kernel answers): shown in the cell, not after it.
            self._settle(so_far=True)
        self._depth -= 1
        if self._depth:
            return
        cell = getattr(result, "execution_count", None) or self._session.cell
        self._session.end_cell(cell, self._now())
        self._last_context, self._context = self._context, None
        self._last_cell = cell
        self._cell_task = None
        if self._borrowed is not None:
            task, name = self._borrowed
            self._borrowed = None
            task.set_name(name)

    def _settle(self, *, so_far: bool = False) -> None:
        """Have the watchdog report a block that has ended, now (see ``Watchdog.settle``)."""
        watchdog = self._session.watchdog
        if watchdog is not None:
            watchdog.settle(so_far=so_far)

    def _cell_at(self, span: tuple[float, float]) -> int | None:
        """The cell that ran for most of ``span`` (of the last few), None when none ran."""
        start, end = span
        best, most = None, 0.0
        windows = self._session.cell_windows
        for cell in list(windows)[-_CELLS_LOOKED_AT:]:
            began, ended = windows[cell]
            overlap = min(end, float("inf") if ended is None else ended) - max(start, began)
            if overlap > most:
                best, most = cell, overlap
        return best

    def _now(self) -> float:
        recorder = self._session.recorder
        return float(recorder.now()) if recorder is not None else asyncio.get_event_loop().time()

    # -- reports -----------------------------------------------------------------------

    def show(
        self, fragments: StyleAndTextTuples, *, span: tuple[float, float] | None = None
    ) -> None:
        """Write a report (a background failure, a block) where the user sees it: in the
        cell it happened in while that cell runs; else at the top of the next cell (and at
        once where the frontend can show it), marked as from between cells or from the cell
        it happened in.

        :param fragments: the rendered report.
        :param span: when what it reports began and ended (the recorder's clock); None for
            now. A block is reported when the watchdog sees it has ended, which may be
            after the cell it happened in, or the next one, has begun.
        """
        cell = self._cell_at(span) if span is not None else None
        context = self._context
        if context is not None:
            if span is not None and cell != self._session.cell:  # before this cell began
                late = [(cell, fragment_list_to_text(fragments))]
                fragments = _waiting(late, self._last_cell, self._session.cell)
            context.copy().run(print_fragments, fragments)
            return
        self._between.append((cell, fragment_list_to_text(fragments)))
        del self._between[:-_BETWEEN_LIMIT]  # a storm while nobody looks: the newest
        if self._last_context is not None:  # shown live under the last cell, where it can be
            self._last_context.copy().run(print_fragments, fragments)
        else:
            print_fragments(fragments)

    # -- interrupt ---------------------------------------------------------------------

    def _interrupted(
        self, shell: Any, etype: type[BaseException], value: BaseException, tb: Any, **_: Any
    ) -> None:
        """The cell raised KeyboardInterrupt or CancelledError: the kernel's interrupt gets
        one line, as in the terminal; a cell that awaited a task cancelled by its own code
        gets the traceback of any other error."""
        task = self._cell_task
        by_kernel = task is not None and task.cancelling() > 0
        if etype is not KeyboardInterrupt and not by_kernel:
            shell.showtraceback((etype, value, tb), tb_offset=None)
            return
        line = render_interrupted(self._session.cell, self._background())
        text = fragment_list_to_text(line)
        # IPython keeps a formatted traceback of the cell's error in its history, through
        # this protocol when the exception has it: the one line, not a 0.2 s stack_data
        # render on the loop (which the watchdog would rightly report as a block).
        value._render_traceback_ = lambda: [text]  # type: ignore[attr-defined]
        send = getattr(shell, "_showtraceback", None)  # ipykernel's: an "error" output
        if send is None:
            print_fragments(line)
            return
        rest = text.partition(": ")[2]
        send(KeyboardInterrupt, rest, [text])

    def _background(self) -> int:
        """How many of the user's tasks keep running after the cell."""
        session = self._session
        loop = session.recorder.loop if session.recorder is not None else None
        if loop is None:
            return 0
        infos = snapshot_tasks(loop, recorder=session.recorder, labeler=session.labeler)
        return sum(1 for i in infos if i.by_user and not i.is_cell and not i.state.finished)


def wake_on_signals(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """Make a signal wake ``loop`` when it waits for I/O; return the undo.

    ipykernel's interrupt handler (SIGINT while a cell awaits) schedules the cell's
    cancellation with a plain ``call_soon``, which does not wake a loop asleep in its
    selector: the interrupt waited for the next timer (all of ``asyncio.sleep(10)``). A
    wake-up fd (``signal.set_wakeup_fd``) gets a byte for every signal, so the selector
    returns and runs the handler's callback at once. Only in the main thread, and only when
    no one else set a wake-up fd.

    :param loop: the kernel's loop.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    try:
        previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter, or the fd cannot be used
        previous = None
    if previous is not None and previous != -1:  # somebody else's: leave it to them
        signal.set_wakeup_fd(previous)
    if previous != -1:
        reader.close()
        writer.close()
        return lambda: None

    def drain() -> None:
        with contextlib.suppress(OSError):
            while reader.recv(4096):
                pass

    try:
        loop.add_reader(reader.fileno(), drain)
    except NotImplementedError:  # a loop without readers (Windows' proactor)
        signal.set_wakeup_fd(-1)
        reader.close()
        writer.close()
        return lambda: None

    def undo() -> None:
        with contextlib.suppress(ValueError):  # undone from another thread: leave it
            current = signal.set_wakeup_fd(-1)
            if current != writer.fileno():  # somebody set theirs since: put it back
                signal.set_wakeup_fd(current)
        with contextlib.suppress(Exception):
            loop.remove_reader(reader.fileno())
        reader.close()
        writer.close()

    return undo


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


def _runs_a_cell(task: asyncio.Task[Any]) -> bool:
    """Whether the kernel made ``task`` to run this one cell (not its own long-lived task
    that happens to run it, like ipykernel's ``Kernel.shell_main``)."""
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_name == _CELL_COROUTINE


def _waiting(reports: list[tuple[int | None, str]], before: int, cell: int) -> StyleAndTextTuples:
    """Reports that came while no cell ran, at the top of the next cell: under a line that
    says they happened between cells, or in which earlier cell (reported after it ended).

    :param reports: ``(cell it happened in or None, text)`` each, oldest first.
    :param before: the cell that ended last, 0 for none.
    :param cell: the cell they are shown in.
    """
    after = f"cell [{before}] ended" if before else "asyncrepl loaded"
    out: StyleAndTextTuples = []
    heading: str | None = None
    for happened, text in reports:
        if happened is None:
            line = f"── Between cells: after {after}, before cell [{cell}] ran ──"
        else:
            line = f"── In cell [{happened}], reported after it ended ──"
        if line != heading:
            out.append(("class:ar.dim", ("\n" if out else "") + line + "\n"))
            heading = line
        elif out:
            out.append(("", "\n"))
        out.append(("", text))
    return out
