"""The catalogue of explanations: what happened, why, and the fix. No IPython here."""

from __future__ import annotations

__all__: list[str] = []
