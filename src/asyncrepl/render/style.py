"""The style classes every renderer uses, and the colours they get in a terminal and in HTML."""

from __future__ import annotations

__all__ = ["CSS", "STYLE_RULES"]

#: Style class -> prompt_toolkit style string. Renderers emit fragments such as
#: ``("class:ar.warn", "blocked 1.0 s")``; the printer maps the classes to colours.
STYLE_RULES: dict[str, str] = {
    "ar.title": "bold",
    "ar.dim": "#888888",
    "ar.ok": "ansigreen",
    "ar.warn": "ansiyellow bold",
    "ar.error": "ansired bold",
    "ar.code": "ansicyan",
    "ar.fix": "ansigreen",
    "ar.caret": "ansired bold",
    "ar.location": "ansiblue",
    "ar.name": "bold",
    "ar.cell": "ansimagenta",
    "ar.hint": "#888888 italic",
    "ar.run": "ansigreen",
    "ar.wait": "#666666",
    "ar.block": "ansired",
}

#: The same classes for HTML output (Jupyter, exported pages): ``.ar-warn {...}``. The table
#: rules name ``.ar-scroll table.ar-table`` so that they outweigh the notebooks' own rules for
#: every table: JupyterLab right-aligns cells with ``:not(.jp-RenderedMarkdown)
#: .jp-RenderedHTMLCommon td`` (two classes and an element), classic Notebook fixes the layout.
CSS = """
.ar-title { font-weight: bold; }
.ar-dim, .ar-hint { color: #888; }
.ar-hint { font-style: italic; }
.ar-ok, .ar-fix, .ar-run { color: #2a7d2a; }
.ar-warn { color: #b58900; font-weight: bold; }
.ar-error, .ar-caret, .ar-block { color: #c0392b; font-weight: bold; }
.ar-code { color: #1b7f8c; }
.ar-location { color: #2c5aa0; }
.ar-name { font-weight: bold; }
.ar-cell { color: #8e44ad; }
.ar-wait { color: #999; }
.ar-scroll table.ar-table {
  border-collapse: collapse; table-layout: auto; width: auto; margin: 0.3em 0;
}
.ar-scroll table.ar-table caption { text-align: left; caption-side: top; padding: 0 0 0.3em 0; }
.ar-scroll table.ar-table th, .ar-scroll table.ar-table td {
  text-align: left; vertical-align: top; white-space: nowrap; max-width: none;
  padding: 0.15em 1.2em 0.15em 0; border: none; line-height: 1.4;
}
.ar-scroll table.ar-table td, .ar-mono, .asyncrepl-explain pre, .asyncrepl-explain code {
  font-family: var(--jp-code-font-family, SFMono-Regular, Menlo, Consolas, monospace);
  font-size: var(--jp-code-font-size, 0.92em);
}
.ar-scroll table.ar-table th { font-weight: bold; border-bottom: 1px solid #ccc; }
.ar-scroll { overflow-x: auto; }
"""
