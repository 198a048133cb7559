"""Run-time detection of a blocked event loop, naming the blocking line. No IPython here."""

from __future__ import annotations

from asyncrepl.watchdog.detector import BlockSource, Watchdog
from asyncrepl.watchdog.reports import CODES, CPU_BOUND, LOOP_BLOCKED

__all__ = ["CODES", "CPU_BOUND", "LOOP_BLOCKED", "BlockSource", "Watchdog"]
