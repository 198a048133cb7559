"""Turns records into formatted text for a terminal, or HTML and SVG for Jupyter and files."""

from __future__ import annotations

__all__: list[str] = []
