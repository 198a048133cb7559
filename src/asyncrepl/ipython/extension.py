"""``%load_ext asyncrepl``: wires the live loop, the recorder, the checks and the magics into
a shell, and ``%unload_ext asyncrepl`` takes them all out again. What cells and magics need
is in :mod:`~asyncrepl.ipython.wiring`; the ``asyncrepl`` command installs it once its first
prompt is drawn (or before any code runs), so that the prompt does not wait for it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

from asyncrepl.ipython.output import is_terminal
from asyncrepl.ipython.settings import AsyncREPL
from asyncrepl.ipython.state import STATE_ATTRIBUTE, ExtensionState
from asyncrepl.session import Session
from asyncrepl.shell.cellfiles import cell_numbers

__all__ = ["ExtensionState", "load", "unload"]

log = logging.getLogger("asyncrepl")

#: The shell's methods through which code runs (cells, startup files, ``-m`` modules): the
#: first of them to be called wires the cells, when the command put that off until its
#: first prompt (startup code runs before the prompt).
_RUNS_CODE = ("run_cell", "safe_execfile", "safe_execfile_ipy", "safe_run_module")


def load(shell: Any, *, wire_after_first_prompt: bool = False) -> None:
    """Make ``shell`` an asyncio REPL (once; loading again does nothing).

    :param shell: the IPython shell, terminal or kernel.
    :param wire_after_first_prompt: install what cells and magics need (see
        :mod:`~asyncrepl.ipython.wiring`) once the first prompt is on the screen, or before
        any code runs if that comes first, not now: the ``asyncrepl`` command's start. Only
        a prompt_toolkit terminal puts it off; ``%load_ext`` never does (the next line of
        the cell may use a magic).
    """
    if getattr(shell, STATE_ATTRIBUTE, None) is not None:
        return
    settings = AsyncREPL(shell)
    session = Session(labeler=cell_labeler(shell))
    if not is_terminal(shell):
        from asyncrepl.ipython.wiring import wire_cells, wire_magics

        state = ExtensionState(session=session, settings=settings, loop=_kernel_loop())
        setattr(shell, STATE_ATTRIBUTE, state)
        wire_cells(shell, state)
        _follow_kernel_cells(shell, state)
        _start_watching(shell, state)
        wire_magics(shell, state)
        return
    from asyncrepl.shell.liveloop import LiveLoop

    live = LiveLoop(
        shell,
        on_cell=lambda cell, task: _cell_changed(shell, cell, task),
        exit_timeout=settings.exit_timeout,
    )
    # No task exists before the first cell: watching starts once the first prompt is on the
    # screen (while the person reads it) or with the first cell, whichever comes first, so
    # that neither the first prompt nor the first cell waits for it.
    state = ExtensionState(
        session=session, settings=settings, loop=live.loop, live_loop=live, watching=False
    )
    setattr(shell, STATE_ATTRIBUTE, state)
    live.install()
    state.undo.append(live.uninstall)
    app = getattr(getattr(shell, "pt_app", None), "app", None)
    if wire_after_first_prompt and app is not None:
        _wire_before_any_code(shell, state)
    else:
        _wire(shell, state)
    if app is not None:  # a simple prompt: watching starts with the first cell
        _after_first_prompt(shell, state, app)


def unload(shell: Any) -> None:
    """Undo :func:`load`, newest first.

    :param shell: the shell that loaded asyncrepl.
    """
    state: ExtensionState | None = getattr(shell, STATE_ATTRIBUTE, None)
    if state is None:
        return
    for undo in reversed(state.undo):
        try:
            undo()
        except Exception:
            log.exception("asyncrepl: could not undo a part of loading")
    delattr(shell, STATE_ATTRIBUTE)


def cell_labeler(shell: Any) -> Callable[[str], str | None]:
    """``"<cell 3>"`` for the filename IPython gave cell 3, None for other files.

    :param shell: the shell whose compiler names the cells.
    """
    filename_map = cell_numbers(shell)

    def label(filename: str) -> str | None:
        number = filename_map.get(filename)
        return None if number is None else f"<cell {number}>"

    return label


def _kernel_loop() -> asyncio.AbstractEventLoop:
    """A kernel (Jupyter) already runs a loop: use it as it is."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        from IPython.core.async_helpers import get_asyncio_loop

        loop: asyncio.AbstractEventLoop = get_asyncio_loop()  # type: ignore[no-untyped-call]
        return loop


def _cell_changed(shell: Any, cell: int, task: asyncio.Task[Any] | None) -> None:
    """The live loop's listener: a task means the cell started, None that it ended."""
    if task is None:
        _cell_ended(shell, cell)
    else:
        _cell_started(shell, cell, task)


def _cell_started(shell: Any, cell: int, task: asyncio.Task[Any] | None) -> None:
    state: ExtensionState | None = getattr(shell, STATE_ATTRIBUTE, None)
    if state is None:
        return
    if not state.watching:
        _start_watching(shell, state)
    session = state.session
    recorder = session.recorder
    session.start_cell(cell, _now(session))
    if recorder is not None and task is not None:
        recorder.mark_cell_task(task, cell)


def _wire(shell: Any, state: ExtensionState) -> None:
    from asyncrepl.ipython.wiring import wire_cells, wire_magics

    wire_cells(shell, state)
    wire_magics(shell, state)


def _wire_before_any_code(shell: Any, state: ExtensionState) -> None:
    """Put off wiring the cells until the first prompt is drawn (:func:`_after_first_prompt`
    calls ``state.wire_pending``), unless code runs before it (a startup file, ``-c``, ``-i
    script.py``, ``exec_lines``): the first of the shell's methods that run code wires them
    first. Those methods are the shell's own again once it is done."""
    originals = {name: getattr(shell, name) for name in _RUNS_CODE}
    saved = {name: shell.__dict__.get(name) for name in _RUNS_CODE}
    guards: dict[str, Callable[..., Any]] = {}

    def give_back() -> None:
        state.wire_pending = None
        for name, guard in guards.items():
            if shell.__dict__.get(name) is guard:  # not wrapped again since: ours to undo
                if saved[name] is None:
                    del shell.__dict__[name]
                else:
                    shell.__dict__[name] = saved[name]

    def wire() -> None:
        if state.wire_pending is wire:
            give_back()
            _wire(shell, state)

    def guard_of(name: str) -> Callable[..., Any]:
        original = originals[name]

        def guard(*args: Any, **kwargs: Any) -> Any:
            wire()
            return original(*args, **kwargs)

        return guard

    for name in _RUNS_CODE:
        guards[name] = shell.__dict__[name] = guard_of(name)
    state.wire_pending = wire
    state.undo.append(give_back)


def _after_first_prompt(shell: Any, state: ExtensionState, app: Any) -> None:
    """Once the first prompt has reached the screen: wire the cells if that was put off,
    and start watching (the recorder and the failure reporter; the watchdog waits for the
    first cell)."""

    def drawn(_: object) -> None:
        # After this render has reached the screen, in the loop's next round (the handler
        # goes then too: removing it now would skip the next one of this event). Keys typed
        # ahead are read after it: the first cell finds everything wired.
        state.loop.call_soon(start)

    def start() -> None:
        app.after_render.remove_handler(drawn)
        if getattr(shell, STATE_ATTRIBUTE, None) is not state:
            return
        if state.wire_pending is not None:
            state.wire_pending()
        if not state.watching:
            # The watchdog waits for the first cell: the first key press at the first prompt
            # builds prompt_toolkit's key-binding caches, a step that a busy machine makes
            # long enough to be reported as blocking the loop.
            _start_watching(shell, state, watchdog=False)
            shell.events.register("pre_run_cell", first_cell)
        # Start-up's objects live as long as the session: out of the collector with them,
        # now that nobody waits. Otherwise the first full collection, which walks them all
        # (10 ms), falls on whichever key press or cell allocates past its threshold.
        gc.collect()
        gc.freeze()

    def first_cell(info: object) -> None:
        shell.events.unregister("pre_run_cell", first_cell)
        from asyncrepl.ipython.watching import start_watchdog

        start_watchdog(state)

    def undo() -> None:
        app.after_render.remove_handler(drawn)
        with contextlib.suppress(ValueError):  # the first cell ran, or the prompt never came
            shell.events.unregister("pre_run_cell", first_cell)

    app.after_render += drawn
    state.undo.append(undo)


def _start_watching(shell: Any, state: ExtensionState, *, watchdog: bool = True) -> None:
    # Imported after the first prompt is drawn (or at load in a kernel), not before it.
    from asyncrepl.ipython.quiet_timing import quiet_when_timing
    from asyncrepl.ipython.watching import start_watching

    start_watching(state, watchdog=watchdog)
    state.undo.append(quiet_when_timing(shell, state))


def _cell_ended(shell: Any, cell: int) -> None:
    state: ExtensionState | None = getattr(shell, STATE_ATTRIBUTE, None)
    if state is None:
        return
    state.session.end_cell(cell, _now(state.session))


def _now(session: Session) -> float:
    recorder = session.recorder
    return float(recorder.now()) if recorder is not None else time.perf_counter()


def _follow_kernel_cells(shell: Any, state: ExtensionState) -> None:
    """In a kernel, cells do not go through the live loop: follow them with IPython's events,
    and send reports to the cell they belong to (see :class:`KernelCells`)."""
    from asyncrepl.ipython.kernel import KernelCells

    cells = KernelCells(shell, state.session)
    state.undo.append(cells.install(state.loop))
    state.show_report = cells.show
