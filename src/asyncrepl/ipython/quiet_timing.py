"""IPython's own ``%time`` and ``%timeit`` hold the loop on purpose, for seconds, to time plain
code: the watchdog pauses while they run, so that their figures are not disturbed by its
looks. Kept apart from the watching code, and lazy: the magics are wrapped before the first
cell that may use them, since loading them costs 5 ms that a session without timing never
pays."""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from typing import Any

from asyncrepl.ipython.state import ExtensionState

__all__ = ["quiet_when_timing", "quiet_while_timing"]


def quiet_when_timing(shell: Any, state: ExtensionState) -> Callable[[], None]:
    """Wrap IPython's timing magics (:func:`quiet_while_timing`) before the first cell that
    mentions them, or once IPython has loaded them for another reason. A cell that does not
    contain ``time`` cannot call ``%time`` or ``%timeit``. Returns the function that undoes it.

    :param shell: the IPython shell.
    :param state: what asyncrepl put into it.
    """
    undo_wrap: list[Callable[[], None]] = []

    def before_cell(info: Any) -> None:
        cell = getattr(info, "raw_cell", None) or ""
        # ``in`` on the registry itself does not load what it lacks.
        if "time" not in cell and "ExecutionMagics" not in shell.magics_manager.registry:
            return
        shell.events.unregister("pre_run_cell", before_cell)
        undo_wrap.append(quiet_while_timing(shell, state))

    def undo() -> None:
        with contextlib.suppress(ValueError):  # already wrapped
            shell.events.unregister("pre_run_cell", before_cell)
        for wrapped in undo_wrap:
            wrapped()

    shell.events.register("pre_run_cell", before_cell)
    return undo


def quiet_while_timing(shell: Any, state: ExtensionState) -> Callable[[], None]:
    """IPython's own ``%time`` and ``%timeit`` hold the loop on purpose, for seconds, to time
    plain code: the watchdog pauses while they run, so the output is IPython's alone. Returns
    the function that puts the magics back.

    :param shell: the IPython shell.
    :param state: what asyncrepl put into it.
    """
    with contextlib.suppress(KeyError):
        # IPython 9 declares its execution magics lazily: load them first, so that what is
        # wrapped is the magic itself and not the placeholder that loading replaces.
        shell.magics_manager.registry["ExecutionMagics"]
    magics = shell.magics_manager.magics
    originals: dict[tuple[str, str], Any] = {}
    for kind in ("line", "cell"):
        for name in ("time", "timeit"):
            magic = magics[kind].get(name)
            if callable(magic):
                originals[kind, name] = magic
                magics[kind][name] = _unwatched(magic, state)

    def undo() -> None:
        for (kind, name), magic in originals.items():
            if getattr(magics[kind].get(name), "__wrapped__", None) is magic:
                magics[kind][name] = magic

    return undo


def _unwatched(magic: Callable[..., Any], state: ExtensionState) -> Callable[..., Any]:
    # functools.wraps copies IPython's flags (needs_local_scope, output_can_be_silenced).
    @functools.wraps(magic)
    def run(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True  # not the learner's frame: see asyncrepl.shell.tracebacks
        watchdog = state.session.watchdog
        if watchdog is None or not watchdog.running:
            return magic(*args, **kwargs)
        watchdog.stop()
        try:
            return magic(*args, **kwargs)
        finally:
            watchdog.start(threading.get_ident())

    return run
