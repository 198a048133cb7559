"""The %timeline magic (being written)."""

from __future__ import annotations

from IPython.core.magic import Magics, magics_class

from asyncrepl.session import Session

__all__ = ["TimelineMagics"]


@magics_class
class TimelineMagics(Magics):  # type: ignore[misc]  # IPython is untyped
    """%timeline: not written yet."""

    def __init__(self, shell: object, session: Session) -> None:
        super().__init__(shell)
        self.session = session
