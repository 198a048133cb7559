"""What asyncrepl puts between the user and IPython once it is loaded, in two parts that
:func:`~asyncrepl.ipython.extension.load` installs: :func:`wire_cells` (what each cell goes
through: the rewrites of ``asyncio.run`` and of coroutines never awaited, tracebacks without
asyncrepl's frames, the journal of errors for ``%explain``, the hints that replace Python's
warnings) and :func:`wire_magics` (what the user types: the magics, ``%config AsyncREPL``,
the static check of each cell, ``asyncio`` in the namespace). The ``asyncrepl`` command
installs them once its first prompt is on the screen, or before any code runs, whichever
comes first: none of it is needed to draw the prompt."""

from __future__ import annotations

import asyncio
import functools
import logging
import types
import warnings
from typing import TYPE_CHECKING, Any, TextIO

from asyncrepl.ipython import blocking_check
from asyncrepl.ipython.blocking_check import BlockingMagics
from asyncrepl.ipython.cellkinds import runs_user_code
from asyncrepl.ipython.live_settings import follow_settings
from asyncrepl.ipython.state import ExtensionState, explainable, note
from asyncrepl.render.printer import print_fragments
from asyncrepl.session import Session
from asyncrepl.shell.cellfiles import cell_numbers
from asyncrepl.shell.cellhooks import CellHooks, close_failed_run_argument
from asyncrepl.shell.tracebacks import install_traceback_filter
from asyncrepl.shell.transforms import CellTransformer
from asyncrepl.shell.unawaited import NEVER_AWAITED, UnawaitedHints

if TYPE_CHECKING:
    from asyncrepl.shell.timing import Timing

__all__ = ["wire_cells", "wire_magics"]

log = logging.getLogger("asyncrepl")

#: Magics declared lazily (IPython imports the module, as an extension, on first use):
#: name -> module. Start-up stays fast; the module registers its class with the session.
_LAZY_MAGICS = {
    "tasks": "asyncrepl.ipython.tasks_magics",
    "timeline": "asyncrepl.ipython.timeline_magics",
    "explain": "asyncrepl.ipython.explain_magics",
}


def wire_cells(shell: Any, state: ExtensionState) -> None:
    """What each cell goes through (see the module's docstring); undone by ``state.undo``.

    :param shell: the shell asyncrepl is loaded in.
    :param state: its :class:`ExtensionState`.
    """
    _install_cell_support(shell, state)
    _install_warning_hints(shell, state)


def wire_magics(shell: Any, state: ExtensionState) -> None:
    """What the user types to asyncrepl (see the module's docstring); undone by
    ``state.undo``.

    :param shell: the shell asyncrepl is loaded in.
    :param state: its :class:`ExtensionState`.
    """
    _install_magics(shell, state)
    _install_blocking_check(shell, state)
    state.undo.append(follow_settings(state))
    _import_asyncio_for_the_user(shell, state)


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
