"""Which sources the checker has to read at all, decided without parsing them.

The checker reports calls only in code that runs on the event loop, and only ``async def``,
``async with`` and ``async for`` put code there (a helper is read only when such code calls
it). A cell without the word ``async`` (or ``await``) cannot have a finding, so the REPL skips
it without importing the checker: ``1 + 1`` costs a regular-expression search."""

from __future__ import annotations

import re

__all__ = ["needs_check"]

_ON_LOOP = re.compile(r"\b(?:async|await)\b")


def needs_check(source: str) -> bool:
    """Whether :func:`~asyncrepl.analysis.check_source` could find anything in ``source``.

    False only when it certainly finds nothing; a word ``async`` in a string or a comment
    gives True, and the checker then reads the source and finds nothing.

    :param source: a cell or a module.
    """
    return _ON_LOOP.search(source) is not None
