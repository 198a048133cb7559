"""What the asyncrepl extension put into one shell, shared by the modules that wire it."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncrepl.ipython.settings import AsyncREPL
from asyncrepl.records import Incident
from asyncrepl.session import Session

__all__ = ["STATE_ATTRIBUTE", "ExtensionState", "explainable", "note", "session_of", "settings_of"]

log = logging.getLogger("asyncrepl")

#: The shell attribute that holds the :class:`ExtensionState` while asyncrepl is loaded.
STATE_ATTRIBUTE = "_asyncrepl_state"


@dataclass
class ExtensionState:
    """Everything ``load`` put into a shell, so that ``unload`` can take it out."""

    session: Session
    settings: AsyncREPL
    loop: asyncio.AbstractEventLoop
    live_loop: Any = None
    #: False until the reporter, the recorder and the watchdog are installed.
    watching: bool = True
    undo: list[Callable[[], None]] = field(default_factory=list)


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
    session.journal.add(dataclasses.replace(incident, cell=session.cell))


def explainable(exc: BaseException) -> bool:
    """Whether ``%explain`` has something to say about ``exc``."""
    # The explanations are imported with the first error, not at start-up.
    from asyncrepl.explain import explain_exception

    try:
        return explain_exception(exc) is not None
    except Exception:
        log.exception("asyncrepl: explaining an exception failed")
        return False
