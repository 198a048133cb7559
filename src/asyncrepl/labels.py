"""How a filename becomes what a person reads (``<cell 3>``): the one piece of the records
that start-up needs, kept apart so that start-up does not build every record class."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LocationLabeler", "default_labeler"]

#: Turns a code object's filename into what a person should read: ``"<cell 3>"`` for a REPL
#: cell, a short path for a file. Returns None when it has nothing better than the filename.
LocationLabeler = Callable[[str], "str | None"]


def default_labeler(filename: str) -> str | None:
    """Label files by their own name: no REPL cells known here.

    :param filename: a code object's ``co_filename``.
    """
    return None
