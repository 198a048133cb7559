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

#: The same classes for HTML output (Jupyter, exported pages): ``.ar-warn {...}``.
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
"""
