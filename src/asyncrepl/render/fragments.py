"""Formatted text as the renderers make it: prompt_toolkit's list of ``(style, text)`` pairs
(``StyleAndTextTuples``), and its plain text, without importing prompt_toolkit. A recorded
``asyncrepl run`` whose report goes to a file or a pipe never loads prompt_toolkit (about 40
ms and 8 MB): only colour in a terminal needs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = ["fragments_text"]

#: prompt_toolkit's mark for text written to the terminal as it is and taking no room (an
#: escape sequence): not part of the plain text.
_ZERO_WIDTH = "[ZeroWidthEscape]"


def fragments_text(fragments: StyleAndTextTuples) -> str:
    """The plain text of ``fragments``, as prompt_toolkit's ``fragment_list_to_text`` gives it.

    :param fragments: formatted text from a renderer.
    """
    return "".join(item[1] for item in fragments if _ZERO_WIDTH not in item[0])
