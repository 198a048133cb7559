"""Run-time detection of a blocked event loop, naming the blocking line. No IPython here."""

from __future__ import annotations

__all__: list[str] = []
