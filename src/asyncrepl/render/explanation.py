"""Renders an :class:`~asyncrepl.explain.Explanation`: formatted text for the terminal (code
highlighted with pygments), and HTML for Jupyter through :class:`ExplanationView`."""

from __future__ import annotations

import html
import re
import textwrap

from prompt_toolkit.formatted_text import PygmentsTokens, StyleAndTextTuples, to_formatted_text
from prompt_toolkit.formatted_text.utils import fragment_list_to_text

# pygments ships no type information and types-Pygments is not a dependency (yet).
from pygments import highlight as pygments_highlight  # type: ignore[import-untyped]
from pygments import lex
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import PythonLexer  # type: ignore[import-untyped]

from asyncrepl.explain import Explanation
from asyncrepl.render.style import CSS
from asyncrepl.render.wrap import wrap_fragments

__all__ = ["ExplanationView", "highlight", "render_explanation", "render_explanation_html"]

_LEXER = PythonLexer()
_INDENT = "    "


def highlight(code: str, indent: str = _INDENT) -> StyleAndTextTuples:
    """Python code as pygments-coloured fragments, each line indented.

    :param code: one or more lines.
    :param indent: put before every line.
    """
    text = textwrap.indent(textwrap.dedent(code).rstrip("\n"), indent, lambda line: True)
    fragments: StyleAndTextTuples = list(to_formatted_text(PygmentsTokens(list(lex(text, _LEXER)))))
    # The lexer always ends with a newline; the caller decides the line ends.
    if fragments and fragments[-1][1].endswith("\n"):
        style, last = fragments[-1][0], fragments[-1][1]
        fragments = [*fragments[:-1], (style, last[:-1])]
    return fragments


def _is_catalogue(explanation: Explanation) -> bool:
    return explanation.key not in ("object", "cell") and not explanation.key.startswith("topic:")


def _paragraph(label: str, text: str, width: int) -> StyleAndTextTuples:
    if not text:
        return []
    head = f"{label}: " if label else ""
    body = textwrap.fill(
        text,
        width=width,
        initial_indent=" " * (2 + len(head)),
        subsequent_indent="    ",  # hanging: continuation lines sit under the text
        break_long_words=False,  # a long `code` span is never cut in two
        break_on_hyphens=False,
    )
    fragments: StyleAndTextTuples = [("", "\n  ")]
    if head:
        fragments.append(("class:ar.title", head))
    return [*fragments, ("", body.lstrip())]


def render_explanation(explanation: Explanation, *, width: int = 88) -> StyleAndTextTuples:
    """The explanation as formatted text: title, what happened, why, where, the fix.

    :param explanation: from the catalogue, an object, a topic or a cell.
    :param width: wrap prose at this many columns.
    """
    catalogue = _is_catalogue(explanation)
    mark = ("class:ar.warn", "⚠ ") if catalogue else ("class:ar.title", "» ")
    fragments: StyleAndTextTuples = [mark, ("class:ar.title", explanation.title)]
    fragments += _paragraph("What happened" if catalogue else "", explanation.what, width)
    fragments += _paragraph("Why" if catalogue else "", explanation.why, width)
    where = explanation.where
    if where is not None:
        fragments += [
            ("", "\n  "),
            ("class:ar.title", "Where: "),
            ("class:ar.location", where.label),
        ]
        if where.source:
            fragments += [("", "\n"), *highlight(where.source, _INDENT + "  ")]
    fragments += _paragraph("Fix" if catalogue else "", explanation.fix, width)
    if explanation.code:
        label = _code_label(explanation, catalogue)
        fragments += [("", "\n  "), ("class:ar.title", f"{label}:"), ("", "\n")]
        fragments += highlight(explanation.code, _INDENT + "  ")
    for line in explanation.details:
        fragments += [("", "\n  "), ("class:ar.dim", "• "), ("", line)]
    return wrap_fragments(fragments, width)


def _code_label(explanation: Explanation, catalogue: bool) -> str:
    """What the code block is: ``Try it`` (a topic), ``Your code, fixed`` or ``Example``."""
    if catalogue and not explanation.code_is_example:
        return "Your code, fixed"
    return "Try it" if explanation.key.startswith("topic:") else "Example"


def _inline(text: str) -> str:
    """Escape for HTML and turn ``code`` spans into ``<code>``."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def render_explanation_html(explanation: Explanation) -> str:
    """The explanation as an HTML fragment (Jupyter), with asyncrepl's CSS classes.

    :param explanation: what to show.
    """
    catalogue = _is_catalogue(explanation)
    formatter = HtmlFormatter(noclasses=True)
    parts = [f"<style>{CSS}</style>", '<div class="asyncrepl-explain">']
    parts.append(f'<p class="ar-title">{_inline(explanation.title)}</p>')
    for label, text in (("What happened", explanation.what), ("Why", explanation.why)):
        if text:
            head = f'<span class="ar-title">{label}:</span> ' if catalogue else ""
            parts.append(f"<p>{head}{_inline(text)}</p>")
    if explanation.where is not None:
        where = explanation.where
        parts.append(
            f'<p><span class="ar-title">Where:</span> '
            f'<span class="ar-location">{html.escape(where.label)}</span></p>'
        )
        if where.source:
            parts.append(pygments_highlight(where.source, _LEXER, formatter))
    if explanation.fix:
        parts.append(f'<p><span class="ar-title">Fix:</span> {_inline(explanation.fix)}</p>')
    if explanation.code:
        label = _code_label(explanation, catalogue)
        parts.append(f'<p><span class="ar-title">{label}:</span></p>')
        parts.append(pygments_highlight(explanation.code, _LEXER, formatter))
    if explanation.details:
        items = "".join(f"<li>{_inline(line)}</li>" for line in explanation.details)
        parts.append(f"<ul>{items}</ul>")
    parts.append("</div>")
    return "\n".join(parts)


class ExplanationView:
    """An explanation to display: plain text as its ``repr``, HTML in Jupyter.

    :param explanation: what to show.
    """

    def __init__(self, explanation: Explanation) -> None:
        self.explanation = explanation

    def __repr__(self) -> str:
        return fragment_list_to_text(render_explanation(self.explanation))

    def _repr_html_(self) -> str:
        return render_explanation_html(self.explanation)
