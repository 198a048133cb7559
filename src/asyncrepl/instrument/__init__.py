"""Watches an event loop: which task ran when, and for how long. No IPython here."""

from __future__ import annotations

__all__: list[str] = []
