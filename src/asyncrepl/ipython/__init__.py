"""The IPython extension: loading, settings, and the magics."""

from __future__ import annotations

__all__: list[str] = []
