"""Fits asyncrepl's own messages to the terminal: each line longer than the width is broken
between words, never inside one, and goes on under a hanging indent. Without prompt_toolkit:
a block report of ``asyncrepl run`` to a file or a pipe is wrapped too (see fragments.py)."""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

from asyncrepl.render.fragments import fragments_text

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = ["terminal_width", "text_width", "wrap_fragments"]

#: Styles of text that is never broken, spaces and all: code as written, a location such as
#: ``<cell 3>:4``, the caret line under a call.
_WHOLE = ("class:ar.code", "class:ar.location", "class:ar.caret", "class:ar.fix")

#: Characters that take no column: combining marks, and format characters (a soft hyphen,
#: a zero-width joiner).
_NO_WIDTH = frozenset({"Mn", "Me", "Cf"})


def terminal_width() -> int:
    """The terminal's width in columns (``COLUMNS``, else the terminal's, else 80)."""
    return shutil.get_terminal_size().columns


def text_width(text: str) -> int:
    """The columns ``text`` takes in a terminal: two for each wide (East Asian) character, none
    for a combining mark or a format character, one for any other. prompt_toolkit asks the
    wcwidth package instead (20 ms to import); the two agree on asyncrepl's own symbols and on
    all but a few hundred rare characters (some marks of Indic scripts and Arabic signs).

    :param text: one line.
    """
    if text.isascii():
        return len(text)
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.category(char) in _NO_WIDTH:
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def wrap_fragments(
    fragments: StyleAndTextTuples, width: int | None = None, hang: int = 2
) -> StyleAndTextTuples:
    """``fragments`` with each line that is too long broken between words, styles kept.

    A continuation line starts ``hang`` columns further in than the line it continues. A word
    longer than the whole width stays whole (a line of code or a path is never cut).

    :param fragments: formatted text, lines separated by ``"\\n"``.
    :param width: the columns to fit; None means the terminal's width.
    :param hang: the extra indent of continuation lines.
    """
    columns = terminal_width() if width is None else width
    out: StyleAndTextTuples = []
    for number, line in enumerate(_lines(fragments)):
        if number:
            out.append(("", "\n"))
        out += _wrap_line(line, columns, hang)
    return out


def _lines(fragments: StyleAndTextTuples) -> Iterator[StyleAndTextTuples]:
    """``fragments`` a line at a time (at least one line, as ``str.split`` gives)."""
    line: StyleAndTextTuples = []
    for style, text, *rest in fragments:
        *ended, last = text.split("\n")
        for part in ended:
            line.append((style, part, *rest))  # type: ignore[arg-type]
            yield line
            line = []
        line.append((style, last, *rest))  # type: ignore[arg-type]
    yield line


def _spaced(chunk: str) -> list[str]:
    """A chunk kept whole, with the spaces around it apart (where a line may break)."""
    inner = chunk.strip(" ")
    before, after = chunk[: len(chunk) - len(chunk.lstrip(" "))], chunk[len(chunk.rstrip(" ")) :]
    return [before, inner, after]


def _wrap_line(line: StyleAndTextTuples, width: int, hang: int) -> StyleAndTextTuples:
    text = fragments_text(line)
    if text_width(text) <= width:
        return line
    pad = " " * (len(text) - len(text.lstrip(" ")) + hang)
    out: StyleAndTextTuples = []
    spaces: StyleAndTextTuples = []
    column = 0
    start = True  # nothing but indentation on this output line yet
    for style, chunk, *_ in line:
        whole = bool(chunk.strip(" ")) and any(kind in style for kind in _WHOLE)
        for part in _spaced(chunk) if whole else re.split(r"( +)", chunk):
            if not part:
                continue
            if part.isspace():
                spaces.append((style, part))
                continue
            gap = sum(len(fragment[1]) for fragment in spaces)
            size = text_width(part)
            if not start and column + gap + size > width:
                out.append(("", "\n" + pad))
                column, spaces = len(pad), []
            else:
                out += spaces
                column += gap
                spaces = []
            out.append((style, part))
            column += size
            start = False
    return out
