"""What the asyncrepl extension put into one shell, shared by the modules that wire it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prompt_toolkit.formatted_text import StyleAndTextTuples

from asyncrepl.ipython.settings import AsyncREPL
from asyncrepl.session import Session

if TYPE_CHECKING:
    from asyncrepl.records import Incident

__all__ = ["STATE_ATTRIBUTE", "ExtensionState", "explainable", "note", "session_of", "settings_of"]

log = logging.getLogger("asyncrepl")

#: The shell attribute that holds the :class:`ExtensionState` while asyncrepl is loaded.
STATE_ATTRIBUTE = "_asyncrepl_state"


def print_report(fragments: StyleAndTextTuples, *, span: tuple[float, float] | None = None) -> None:
    """Write a report from the loop where the terminal shows it: at once (``span``, when it
    happened, matters only in a kernel).

    :param fragments: the rendered report.
    :param span: when what it reports began and ended, on the recorder's clock.
    """
    from asyncrepl.render.printer import print_fragments  # with the first report

    print_fragments(fragments)


class ExtensionState:
    """Everything ``load`` put into a shell, so that ``unload`` can take it out. State, told
    apart by identity (see :class:`~asyncrepl.session.Session`).

    :param session: the session's state without IPython.
    :param settings: the ``%config AsyncREPL`` settings.
    :param loop: the loop cells run on.
    :param live_loop: the terminal's :class:`~asyncrepl.shell.liveloop.LiveLoop`, None in a
        kernel.
    :param watching: False until the reporter, the recorder and the watchdog are installed.
    """

    def __init__(
        self,
        session: Session,
        settings: AsyncREPL,
        loop: asyncio.AbstractEventLoop,
        live_loop: Any = None,
        *,
        watching: bool = True,
    ) -> None:
        self.session, self.settings, self.loop = session, settings, loop
        self.live_loop = live_loop
        self.watching = watching
        #: Installs what cells and magics need (:mod:`~asyncrepl.ipython.wiring`) while the
        #: ``asyncrepl`` command puts that off until its first prompt is drawn; None once done.
        self.wire_pending: Callable[[], None] | None = None
        self.undo: list[Callable[[], None]] = []
        #: Writes a report that comes from the loop, not from a magic (a background failure,
        #: a block): in a kernel, to the cell it belongs to (``kernel.KernelCells.show``). A
        #: block report comes with the time it took on the recorder's clock (``start, end``):
        #: it belongs to the cell that ran then, whenever it is delivered.
        self.show_report: Callable[..., None] = print_report


def session_of(shell: Any) -> Session:
    """The :class:`Session` of a shell that loaded asyncrepl.

    :param shell: an IPython shell.
    """
    state: ExtensionState = getattr(shell, STATE_ATTRIBUTE)
    return state.session


def settings_of(shell: Any) -> AsyncREPL:
    """The :class:`AsyncREPL` settings of a shell that loaded asyncrepl.

    :param shell: an IPython shell.
    """
    state: ExtensionState = getattr(shell, STATE_ATTRIBUTE)
    return state.settings


def note(session: Session, incident: Incident) -> None:
    """Journal ``incident`` under the cell that runs now."""
    session.journal.add(incident._replace(cell=session.cell))


def explainable(exc: BaseException) -> bool:
    """Whether ``%explain`` has something to say about ``exc``."""
    # The explanations are imported with the first error, not at start-up.
    from asyncrepl.explain import explain_exception

    try:
        return explain_exception(exc) is not None
    except Exception:
        log.exception("asyncrepl: explaining an exception failed")
        return False
