"""``%load_ext asyncrepl``: wires the live loop, the recorder, the checks and the magics into
a shell, and ``%unload_ext asyncrepl`` takes them all out again."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import time
import types
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from asyncrepl.ipython import blocking_check
from asyncrepl.ipython.blocking_check import BlockingMagics
from asyncrepl.ipython.cellkinds import runs_user_code
from asyncrepl.ipython.live_settings import follow_settings
from asyncrepl.ipython.output import is_terminal
from asyncrepl.ipython.quiet_timing import quiet_when_timing
from asyncrepl.ipython.settings import AsyncREPL
from asyncrepl.ipython.state import STATE_ATTRIBUTE, ExtensionState, explainable, note
from asyncrepl.render.printer import print_fragments
from asyncrepl.session import Session
from asyncrepl.shell.cellfiles import cell_numbers
from asyncrepl.shell.cellhooks import CellHooks, close_failed_run_argument
from asyncrepl.shell.tracebacks import install_traceback_filter
from asyncrepl.shell.transforms import CellTransformer
from asyncrepl.shell.unawaited import NEVER_AWAITED, UnawaitedHints

if TYPE_CHECKING:
    from asyncrepl.shell.timing import Timing

__all__ = ["ExtensionState", "load", "unload"]

log = logging.getLogger("asyncrepl")

#: Magics declared lazily (IPython imports the module, as an extension, on first use):
#: name -> module. Start-up stays fast; the module registers its class with the session.
_LAZY_MAGICS = {
    "tasks": "asyncrepl.ipython.tasks_magics",
    "timeline": "asyncrepl.ipython.timeline_magics",
    "explain": "asyncrepl.ipython.explain_magics",
}


def load(shell: Any) -> None:
    """Make ``shell`` an asyncio REPL (once; loading again does nothing).

    :param shell: the IPython shell, terminal or kernel.
    """
    if getattr(shell, STATE_ATTRIBUTE, None) is not None:
        return
    settings = AsyncREPL(shell)
    session = Session(labeler=cell_labeler(shell))
    live = None
    if is_terminal(shell):
        from asyncrepl.shell.liveloop import LiveLoop

        live = LiveLoop(
            shell,
            on_cell=lambda cell, task: _cell_changed(shell, cell, task),
            exit_timeout=settings.exit_timeout,
        )
    loop = live.loop if live is not None else _kernel_loop()
    state = ExtensionState(session=session, settings=settings, loop=loop, live_loop=live)
    setattr(shell, STATE_ATTRIBUTE, state)
    if live is not None:
        live.install()
        state.undo.append(live.uninstall)
    _install_cell_support(shell, state)
    _install_warning_hints(shell, state)
    if state.live_loop is None:
        _follow_kernel_cells(shell, state)
        _start_watching(shell, state)
    else:
        # No task exists before the first cell: watching starts once the first prompt is on
        # the screen (while the person reads it) or with the first cell, whichever comes
        # first, so that neither the first prompt nor the first cell waits for it.
        state.watching = False
        _watch_after_first_prompt(shell, state)
    _install_magics(shell, state)
    _install_blocking_check(shell, state)
    state.undo.append(follow_settings(state))
    _import_asyncio_for_the_user(shell, state)


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


def _watch_after_first_prompt(shell: Any, state: ExtensionState) -> None:
    app = getattr(getattr(shell, "pt_app", None), "app", None)
    if app is None:  # a simple prompt: watching starts with the first cell
        return

    def drawn(_: object) -> None:
        # After this render has reached the screen, in the loop's next round (the handler
        # goes then too: removing it now would skip the next one of this event).
        state.loop.call_soon(start)

    def start() -> None:
        app.after_render.remove_handler(drawn)
        if not state.watching and getattr(shell, STATE_ATTRIBUTE, None) is state:
            # The watchdog waits for the first cell: the first key press at the first prompt
            # builds prompt_toolkit's key-binding caches, a step that a busy machine makes
            # long enough to be reported as blocking the loop.
            _start_watching(shell, state, watchdog=False)
            shell.events.register("pre_run_cell", first_cell)
            # Start-up's objects live as long as the session: out of the collector with them,
            # now that nobody waits. Otherwise the first full collection, which walks them
            # all (10 ms), falls on whichever key press or cell allocates past its threshold.
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


def _install_cell_support(shell: Any, state: ExtensionState) -> None:
    """The syntax rewrite for ``asyncio.run`` and un-awaited coroutines, and its helpers."""
    session = state.session
    hooks = CellHooks(report=lambda incident: note(session, incident), labeler=session.labeler)
    hooks.register()
    transformer = CellTransformer(
        lambda: shell.user_ns,
        hooks.key,
        awaiting_magic=lambda magic, line, cell: timing().awaits(magic, line, cell),
    )

    @functools.cache
    def timing() -> Timing:
        # Made with the first %time or %timeit: its IPython parts are not a start-up cost.
        from asyncrepl.shell.timing import Timing

        return Timing(shell, transformer.rewrite_runs)

    hooks.timing = timing
    shell.ast_transformers.append(transformer)
    shell.events.register("pre_execute", transformer.expect_cell)
    shell.events.register("post_execute", transformer.cell_done)
    shell.events.register("pre_run_cell", lambda info: _before_cell(shell, session, info))
    before = shell.events.callbacks["pre_run_cell"][-1]
    shell.events.register("post_run_cell", lambda result: _after_cell(shell, state, result))
    after = shell.events.callbacks["post_run_cell"][-1]
    if state.live_loop is None:
        _run_rewritten_cells_async(shell, transformer, state)

    state.undo.append(install_traceback_filter(shell))

    def undo() -> None:
        if transformer in shell.ast_transformers:
            shell.ast_transformers.remove(transformer)
        shell.events.unregister("pre_execute", transformer.expect_cell)
        shell.events.unregister("post_execute", transformer.cell_done)
        shell.events.unregister("pre_run_cell", before)
        shell.events.unregister("post_run_cell", after)
        hooks.unregister()

    state.undo.append(undo)


def _import_asyncio_for_the_user(shell: Any, state: ExtensionState) -> None:
    """``asyncio`` is imported for the user, and again each time IPython sets up a fresh
    namespace (``%reset`` and ``embed()`` call ``init_user_ns``)."""
    original = shell.init_user_ns

    def import_asyncio() -> None:
        # Hidden as IPython's own names are: %who lists what the user made.
        if shell.user_ns.setdefault("asyncio", asyncio) is asyncio:
            shell.user_ns_hidden["asyncio"] = asyncio

    def init_user_ns() -> None:
        original()
        import_asyncio()

    import_asyncio()

    shell.init_user_ns = init_user_ns
    state.undo.append(lambda: shell.__dict__.pop("init_user_ns", None))


def _run_rewritten_cells_async(
    shell: Any, transformer: CellTransformer, state: ExtensionState
) -> None:
    """In a kernel, a cell whose ``asyncio.run`` became an ``await`` must run as async code."""
    original = shell.should_run_async

    def should_run_async(raw_cell: str, **kwargs: Any) -> bool:
        if original(raw_cell, **kwargs):
            return True
        transformed = kwargs.get("transformed_cell")
        return kwargs.get("preprocessing_exc_tuple") is None and transformer.rewrites_to_await(
            transformed if transformed is not None else raw_cell
        )

    shell.should_run_async = should_run_async
    state.undo.append(lambda: shell.__dict__.pop("should_run_async", None))


def _before_cell(shell: Any, session: Session, info: Any) -> None:
    """Mark a cell that runs the user's code: "the last cell" is the last of those."""
    if info.silent:
        return
    if runs_user_code(shell, info.raw_cell or "", info.transformed_cell):
        session.mark_user_cell(_running_cell(shell, info))


def _running_cell(shell: Any, info: Any) -> int:
    """The execution count of the cell ``pre_run_cell`` announces: IPython has already
    counted it when it stores history."""
    return int(shell.execution_count) - (1 if info.store_history else 0)


def _after_cell(shell: Any, state: ExtensionState, result: Any) -> None:
    """Journal the cell's error for ``%explain``, and say when ``%explain`` knows it."""
    exc = result.error_in_exec or result.error_before_exec
    if exc is None:
        return
    # Imported with the first error, not at start-up.
    from asyncrepl.records import Incident, IncidentKind
    from asyncrepl.render.hints import render_explain_hint

    close_failed_run_argument(exc)
    if isinstance(exc, blocking_check.BlockingRejected):
        return  # its findings are journalled: %explain explains those
    source = getattr(result.info, "raw_cell", "") or ""
    cell = result.execution_count or state.session.cell
    # An interrupted cell is journalled too: %explain can tell what it was stuck on.
    state.session.journal.add(Incident(IncidentKind.EXCEPTION, exc, cell=cell, source=source))
    if not isinstance(exc, KeyboardInterrupt | asyncio.CancelledError) and explainable(exc):
        print_fragments(render_explain_hint())


def _install_warning_hints(shell: Any, state: ExtensionState) -> None:
    """A coroutine never awaited gets asyncrepl's hint instead of Python's warning; after
    another warning ``%explain`` knows, journal it and say so."""
    original = warnings.showwarning
    session = state.session
    hints = UnawaitedHints(
        labeler=session.labeler,
        findings=session.journal.findings,
        report=lambda incident: note(session, incident),
        cells=lambda: reversed(list(cell_numbers(shell))),
    )
    _show_every_unawaited_warning(state)

    def showwarning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        try:
            if hints.handle(str(message), filename, lineno):
                return
        except Exception:
            log.exception("asyncrepl: the hint for a coroutine never awaited failed")
        original(message, category, filename, lineno, file, line)
        try:
            # Imported with the first warning, not at start-up.
            from asyncrepl.explain import explain_warning
            from asyncrepl.records import Incident, IncidentKind
            from asyncrepl.render.hints import render_explain_hint

            explanation = explain_warning(str(message), category)
            if explanation is None:
                return
            incident = Incident(IncidentKind.WARNING, str(message), code=explanation.key)
            note(state.session, incident)
            print_fragments(render_explain_hint())
        except Exception:
            log.exception("asyncrepl: explaining a warning failed")

    warnings.showwarning = showwarning

    def undo() -> None:
        if warnings.showwarning is showwarning:
            warnings.showwarning = original

    state.undo.append(undo)


def _follow_kernel_cells(shell: Any, state: ExtensionState) -> None:
    """In a kernel, cells do not go through the live loop: follow them with IPython's events,
    and send reports to the cell they belong to (see :class:`KernelCells`)."""
    from asyncrepl.ipython.kernel import KernelCells

    cells = KernelCells(shell, state.session)
    state.undo.append(cells.install(state.loop))
    state.show_report = cells.show


def _show_every_unawaited_warning(state: ExtensionState) -> None:
    """Every "never awaited" warning reaches the hint, which says each line once: Python's
    "default" action would show a line once per namespace, and every cell shares the user's."""
    warnings.filterwarnings("always", message=NEVER_AWAITED.pattern, category=RuntimeWarning)
    always = warnings.filters[0]

    def undo() -> None:
        filters: list[Any] = warnings.filters  # type: ignore[assignment]  # a list at run time
        if always in filters:
            filters.remove(always)
            # Tell the warnings module its filters changed (private; absent, it is harmless).
            getattr(warnings, "_filters_mutated", lambda: None)()

    state.undo.append(undo)


def _install_blocking_check(shell: Any, state: ExtensionState) -> None:
    """The static check of each cell for calls that block the loop (``%blocking``)."""
    state.undo.append(blocking_check.install(shell, state.session, state.settings))


def _install_magics(shell: Any, state: ExtensionState) -> None:
    manager = shell.magics_manager
    blocking = BlockingMagics(shell, session=state.session)
    shell.register_magics(state.settings)
    shell.register_magics(blocking)
    for name, module in _LAZY_MAGICS.items():
        manager.register_lazy(name, module, "line")

    def undo() -> None:
        while state.settings in shell.configurables:
            shell.configurables.remove(state.settings)
        for magics in (state.settings, blocking):
            for kind, names in magics.magics.items():
                for name in names:
                    manager.magics[kind].pop(name, None)
            manager.registry.pop(type(magics).__name__, None)
        for name, module in _LAZY_MAGICS.items():
            magic = manager.magics["line"].pop(name, None)
            # Only a loaded magic is a bound method: reading any attribute of a declared one
            # (IPython's LazyMagic) would load it, with this session, as it goes away.
            if type(magic) is types.MethodType:
                manager.registry.pop(type(magic.__self__).__name__, None)
            manager.lazy_magics.pop(name, None)
            # So that loading asyncrepl again declares and loads them afresh.
            getattr(manager, "_loaded_lazy", set()).discard(module)
            shell.extension_manager.loaded.discard(module)

    state.undo.append(undo)
