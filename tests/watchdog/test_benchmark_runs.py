"""The watchdog benchmark runs at its small size and prints its ratio (untimed: the suite
checks that it works, not how fast it is)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "watchdog.py"


def test_the_benchmark_runs_and_prints_the_ratio() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--size", "small", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"ratio watchdog/recorder: \d+\.\d{3}x", done.stdout), done.stdout
    assert "200 tasks x 10 steps" in done.stdout
