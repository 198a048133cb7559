"""The %tasks magic (being written)."""

from __future__ import annotations

from IPython.core.magic import Magics, magics_class

from asyncrepl.session import Session

__all__ = ["TasksMagics"]


@magics_class
class TasksMagics(Magics):  # type: ignore[misc]  # IPython is untyped
    """%tasks: not written yet."""

    def __init__(self, shell: object, session: Session) -> None:
        super().__init__(shell)
        self.session = session
