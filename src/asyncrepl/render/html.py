"""Formatted text as HTML for Jupyter: spans with the ``ar-*`` classes of
:data:`asyncrepl.render.style.CSS`, tables and preformatted blocks. Generic: any renderer."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asyncrepl.render.fragments import fragments_text
from asyncrepl.render.style import CSS

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = [
    "HtmlView",
    "block_view",
    "escape_text",
    "fragments_to_html",
    "html_block",
    "html_table",
]

#: Characters XML 1.0 does not allow even escaped (control characters but tab and newlines,
#: lone surrogates, and the two non-characters), and DEL: shown as ``\x01`` instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def escape_text(text: str) -> str:
    """``text`` safe inside HTML or XML (an SVG file): markup escaped, and characters that
    XML cannot hold at all (a task named ``"a\x00b"``) written as Python escapes.

    :param text: any string, a task's name included.
    """
    visible = _NOT_XML.sub(lambda m: repr(m.group())[1:-1], text)
    return html.escape(visible)


def fragments_to_html(fragments: StyleAndTextTuples) -> str:
    """Escaped text, each styled fragment in a ``<span class="ar-warn">``.

    :param fragments: formatted text from a renderer.
    """
    parts = []
    for style, text, *_ in fragments:
        classes = [c.removeprefix("class:").replace(".", "-") for c in style.split()]
        names = " ".join(c for c in classes if c.startswith("ar-"))
        escaped = escape_text(text)
        parts.append(f'<span class="{names}">{escaped}</span>' if names else escaped)
    return "".join(parts)


def html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[StyleAndTextTuples]],
    *,
    caption: StyleAndTextTuples | None = None,
    footer: StyleAndTextTuples | None = None,
) -> str:
    """A ``<table>`` with the style sheet, a caption and a footer line.

    :param header: column titles.
    :param rows: one list of cells per row, each cell formatted text.
    :param caption: shown above the table.
    :param footer: shown below it.
    """
    head = "".join(f"<th>{escape_text(title)}</th>" for title in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{fragments_to_html(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    top = f"<caption>{fragments_to_html(caption)}</caption>" if caption else ""
    bottom = f"<p>{fragments_to_html(footer)}</p>" if footer else ""
    table = f'<table class="ar-table">{top}<thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
    return f'<div class="ar-scroll"><style>{CSS}</style>{table}</table>{bottom}</div>'


def html_block(fragments: StyleAndTextTuples) -> str:
    """Formatted text as a ``<pre>`` block with the style sheet.

    :param fragments: formatted text from a renderer.
    """
    return f"<div><style>{CSS}</style><pre>{fragments_to_html(fragments)}</pre></div>"


@dataclass(frozen=True)
class HtmlView:
    """A rendering that Jupyter shows as HTML (``_repr_html_``) and anything else as text.

    :param fragments: the formatted text, for a terminal.
    :param html: the same as HTML.
    """

    fragments: StyleAndTextTuples = field(default_factory=list)
    html: str = ""

    def __repr__(self) -> str:
        return fragments_text(self.fragments)

    def _repr_html_(self) -> str:
        return self.html


def block_view(fragments: StyleAndTextTuples) -> HtmlView:
    """Formatted text as a view, a ``<pre>`` block in HTML.

    :param fragments: formatted text from a renderer.
    """
    return HtmlView(fragments, html_block(fragments))
