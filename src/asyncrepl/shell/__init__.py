"""The live loop: every cell runs on one event loop that keeps running at the prompt."""

from __future__ import annotations

__all__: list[str] = []
