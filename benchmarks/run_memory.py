"""What ``asyncrepl run`` costs against ``python`` on the same script, each in a fresh
process: peak memory (the child's maximum resident set), wall time and CPU time. Two scripts:
1,000 tasks taking 2,000,000 steps (target: at most plain + 100 MB), and 100,000 tasks of one
step each (target: at most 1.5x plain time). Plain and recorded runs go in pairs, in
alternating order; a single pair scatters by 2x on a shared machine, so the figures are the
medians of the pairs, with the range of their ratios.

    python benchmarks/run_memory.py             # 3 pairs of each size
    python benchmarks/run_memory.py --pairs 7   # more pairs, a steadier median
    python benchmarks/run_memory.py --small     # quick sizes, for the test suite
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPT = """\
import asyncio, sys
TASKS, STEPS = int(sys.argv[1]), int(sys.argv[2])
async def worker():
    for _ in range(STEPS):
        await asyncio.sleep(0)
async def main():
    await asyncio.gather(*(worker() for _ in range(TASKS)))
asyncio.run(main())
"""


@dataclass
class Run:
    """One child process: wall seconds, CPU seconds and peak megabytes."""

    wall: float
    cpu: float
    mb: float


def child(command: list[str]) -> Run:
    """Time and peak memory of one child process."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - began
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {status}")
    return Run(took, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)  # kB on Linux


def pairs(plain: list[str], recorded: list[str], count: int) -> list[tuple[Run, Run]]:
    """``count`` pairs of a plain and a recorded run, in alternating order."""
    found = []
    for n in range(count):
        if n % 2:
            run = child(recorded)
            found.append((child(plain), run))
        else:
            found.append((child(plain), child(recorded)))
    return found


def describe(tasks: int, steps: int, found: list[tuple[Run, Run]]) -> str:
    """One line: the medians, and the range of the pairs' ratios."""
    walls = [run.wall / plain.wall for plain, run in found]
    cpus = [run.cpu / plain.cpu for plain, run in found]
    extra = [run.mb - plain.mb for plain, run in found]
    plain_wall = statistics.median(plain.wall for plain, _ in found)
    run_wall = statistics.median(run.wall for _, run in found)
    plain_mb = statistics.median(plain.mb for plain, _ in found)
    run_mb = statistics.median(run.mb for _, run in found)
    return (
        f"  {tasks:>7,} tasks x {steps:,} steps: plain {plain_wall:5.2f} s {plain_mb:4.0f} MB; "
        f"asyncrepl run {run_wall:5.2f} s {run_mb:4.0f} MB = "
        f"{statistics.median(walls):.2f}x time, plain + {statistics.median(extra):.0f} MB "
        f"(time {min(walls):.2f}-{max(walls):.2f}x, CPU {statistics.median(cpus):.2f}x "
        f"{min(cpus):.2f}-{max(cpus):.2f}x, + {min(extra):.0f}-{max(extra):.0f} MB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick sizes, one pair")
    parser.add_argument("--pairs", type=int, default=3, help="pairs of runs of each size")
    args = parser.parse_args(argv)
    sizes = [(100, 200), (2_000, 1)] if args.small else [(1_000, 2_000), (100_000, 1)]
    count = 1 if args.small else max(1, args.pairs)
    python = ".".join(map(str, sys.version_info[:3]))
    print(f"asyncrepl run against python, fresh processes, Python {python}, {count} pairs")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "work.py"
        script.write_text(SCRIPT, encoding="utf-8")
        for tasks, steps in sizes:
            size = [str(tasks), str(steps)]
            plain = [sys.executable, str(script), *size]
            recorded = [sys.executable, "-m", "asyncrepl", "run", str(script), *size]
            print(describe(tasks, steps, pairs(plain, recorded, count)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
