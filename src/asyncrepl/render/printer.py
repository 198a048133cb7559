"""The one place that writes rendered text: colour in a terminal, plain text otherwise.

Renderers return prompt_toolkit formatted text (``StyleAndTextTuples``) and never print;
the shell and the magics hand what they get to :func:`print_fragments`.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import TYPE_CHECKING, TextIO

from asyncrepl.render.fragments import fragments_text
from asyncrepl.render.style import STYLE_RULES

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from prompt_toolkit.styles import Style

__all__ = ["print_fragments", "use_colour"]


@functools.cache
def _terminal_style() -> Style:
    """The style classes' colours for prompt_toolkit (made when colour is first wanted: plain
    text needs no prompt_toolkit)."""
    from prompt_toolkit.styles import Style

    return Style.from_dict(STYLE_RULES)


def use_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when ``NO_COLOR`` is set (no-color.org).

    :param stream: where the text goes.
    """
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def print_fragments(
    fragments: StyleAndTextTuples, *, file: TextIO | None = None, now: bool = False
) -> None:
    """Write ``fragments`` and a newline to ``file`` (standard output by default).

    :param fragments: formatted text from a renderer.
    :param file: the stream; looked up at call time so IPython's and pytest's captures work.
    :param now: write at once, from any thread: while a prompt_toolkit application runs,
        its printing goes through the application's loop, which may be the one stuck.
    """
    stream = sys.stdout if file is None else file
    if not use_colour(stream):
        stream.write(fragments_text(fragments) + "\n")
        stream.flush()
        return
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.output import ColorDepth, create_output
    from prompt_toolkit.renderer import print_formatted_text as renderer_print_formatted_text
    from prompt_toolkit.shortcuts import print_formatted_text

    if now:
        output = create_output(stdout=stream)
        fragments = [*fragments, ("", "\n")]
        renderer_print_formatted_text(
            output,
            FormattedText(fragments),
            _terminal_style(),
            color_depth=ColorDepth.DEPTH_8_BIT,
        )
        output.flush()
        return
    print_formatted_text(
        FormattedText(fragments),
        style=_terminal_style(),
        file=stream,
        color_depth=ColorDepth.DEPTH_8_BIT,
    )
