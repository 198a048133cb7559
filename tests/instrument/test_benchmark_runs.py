"""The recorder benchmarks run (small sizes, not timed) and print their ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "recorder.py"


def test_benchmark_runs_and_prints_ratios() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--size", "small"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("recorder benchmark: 200 tasks x 10 steps")
    for label in ("recorder", "wake-ups", "debug"):
        assert any(line.split()[0] == label and "x plain" in line for line in lines[1:]), label


END_OF_RUN = BENCHMARK.with_name("end_of_run.py")


def test_end_of_run_benchmark_runs_and_prints_the_pause() -> None:
    done = subprocess.run(
        [sys.executable, str(END_OF_RUN), "--tasks", "200"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0].startswith("end of run: tasks x 50 steps")
    assert lines[1].startswith("     10,000 steps: run ") and lines[1].endswith("x the run")


def printed(script: str, *args: str) -> list[str]:
    """The lines a benchmark prints, run in a subprocess."""
    done = subprocess.run(
        [sys.executable, str(BENCHMARK.with_name(script)), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()


def test_timeline_scale_and_run_memory_benchmarks_run() -> None:
    scale = printed("timeline_scale.py", "--steps", "20000")
    assert scale[0].startswith("%timeline --all at scale: 1,000 tasks")
    assert scale[1].startswith("     20,000 steps: timeline ") and "export" in scale[1]
    memory = printed("run_memory.py", "--small")
    assert memory[0].startswith("asyncrepl run against python")
    assert len(memory) == 3 and all("x time, plain + " in line for line in memory[1:])
