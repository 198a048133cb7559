"""Static checks of source code for calls that block the event loop. No IPython here."""

from __future__ import annotations

__all__: list[str] = []
