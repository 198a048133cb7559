"""How asyncrepl writes a duration, in every report, table, chart and explanation: one
rule, so that the same block reads the same in ``%tasks``, ``%timeline`` and ``%explain``."""

from __future__ import annotations

import math

__all__ = ["format_duration"]


def format_duration(seconds: float) -> str:
    """``40 µs``, ``4.2 ms``, ``120 ms``, ``0.61 s``, ``2.1 s``, ``42 s``, ``3 min 20 s``:
    two significant digits up to a minute, whole seconds after.

    :param seconds: a duration (a negative one, a clock's rounding, reads as zero).
    """
    if not math.isfinite(seconds):
        return "∞ s" if seconds > 0 else "? s"
    seconds = max(seconds, 0.0)
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 0.1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 1:
        return f"{seconds:.2g} s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s"
