"""What the asyncrepl extension put into one shell, shared by the modules that wire it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from asyncrepl.ipython.settings import AsyncREPL
from asyncrepl.session import Incident, Session

__all__ = ["ExtensionState", "explainable", "note"]

log = logging.getLogger("asyncrepl")


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


def note(session: Session, incident: Incident) -> None:
    """Journal ``incident`` under the cell that runs now."""
    session.journal.add(
        Incident(incident.kind, incident.payload, session.cell, incident.code, incident.source)
    )


def explainable(exc: BaseException) -> bool:
    """Whether ``%explain`` has something to say about ``exc``."""
    try:
        from asyncrepl.explain import explain_exception
    except ImportError:
        return False
    try:
        return explain_exception(exc) is not None
    except Exception:
        log.exception("asyncrepl: explaining an exception failed")
        return False
