"""How a magic's line becomes its arguments: split as a shell splits it, so that a quoted
path with spaces (``--export "/my charts/run.json"``) arrives without its quotes."""

from __future__ import annotations

import shlex
from typing import Any

from IPython.core.error import UsageError

__all__ = ["parse_line"]


def parse_line(magic: Any, line: str) -> Any:
    """The parsed arguments of ``line`` for a magic declared with ``@magic_arguments``.

    IPython's own ``parse_argstring`` splits in shlex's non-POSIX mode, which keeps the
    quotes in a quoted value. This splits in POSIX mode, without backslash escapes (a Windows
    path keeps its backslashes), then hands the words to the magic's own parser.

    :param magic: the magic method (its ``parser`` comes from ``@magic_arguments``).
    :param line: what the user typed after the magic's name.
    :raises UsageError: an unclosed quote, or arguments the magic does not take.
    """
    lexer = shlex.shlex(line, posix=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    lexer.escape = ""
    try:
        words = list(lexer)
    except ValueError:
        raise UsageError(f"`{line}` has a quote that is not closed: close it.") from None
    return magic.parser.parse_args(words)
