"""Fits asyncrepl's own messages to the terminal: each line longer than the width is broken
between words, never inside one, and goes on under a hanging indent."""

from __future__ import annotations

import re
import shutil

from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.formatted_text.utils import fragment_list_to_text, split_lines
from prompt_toolkit.utils import get_cwidth

__all__ = ["terminal_width", "wrap_fragments"]


def terminal_width() -> int:
    """The terminal's width in columns (``COLUMNS``, else the terminal's, else 80)."""
    return shutil.get_terminal_size().columns


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
    for number, line in enumerate(split_lines(fragments)):
        if number:
            out.append(("", "\n"))
        out += _wrap_line(line, columns, hang)
    return out


def _wrap_line(line: StyleAndTextTuples, width: int, hang: int) -> StyleAndTextTuples:
    text = fragment_list_to_text(line)
    if get_cwidth(text) <= width:
        return line
    pad = " " * (len(text) - len(text.lstrip(" ")) + hang)
    out: StyleAndTextTuples = []
    spaces: StyleAndTextTuples = []
    column = 0
    start = True  # nothing but indentation on this output line yet
    for style, chunk, *_ in line:
        for part in re.split(r"( +)", chunk):
            if not part:
                continue
            if part.isspace():
                spaces.append((style, part))
                continue
            gap = sum(len(fragment[1]) for fragment in spaces)
            size = get_cwidth(part)
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
