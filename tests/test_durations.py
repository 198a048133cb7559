"""One way to write a duration, everywhere: the table, the chart, the block report and the
explanation show the same block in the same words."""

from __future__ import annotations

import math

import pytest

from asyncrepl.durations import format_duration


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.000035, "35 µs"),
        (0.0004, "400 µs"),
        (0.0042, "4.2 ms"),
        (0.012, "12 ms"),
        (0.123, "0.12 s"),
        (0.5, "0.5 s"),
        (0.61, "0.61 s"),
        (1.0, "1.0 s"),
        (2.14, "2.1 s"),
        (12.345, "12 s"),
        (42.0, "42 s"),
        (200.0, "3 min 20 s"),
        (-0.001, "0 µs"),
        (math.inf, "∞ s"),
    ],
)
def test_format_duration(seconds: float, shown: str) -> None:
    assert format_duration(seconds) == shown


#: Modules that write durations otherwise, on purpose, each with its reason.
OWN_FORMAT = {
    "durations.py": "the one formatter",
    "shell/timing.py": "%time with await prints IPython's own format, as plain %time does",
}


def test_every_layer_writes_a_duration_the_same_way() -> None:
    """No module formats seconds on its own: a second formatter would give a second answer."""
    import pathlib
    import re

    src = pathlib.Path(__file__).resolve().parents[1] / "src" / "asyncrepl"
    own = re.compile(r"""f["'][^"']*\{[^}]*:\.\d[fg]\}\s?(s|ms|µs)\b""")
    offenders = [
        f"{path.relative_to(src)}:{number}"
        for path in src.rglob("*.py")
        if str(path.relative_to(src)) not in OWN_FORMAT
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if own.search(line)
    ]
    assert not offenders, f"format durations with asyncrepl.durations: {offenders}"
