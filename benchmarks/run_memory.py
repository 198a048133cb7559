"""What ``asyncrepl run`` costs against ``python`` on the same script, each in a fresh
process: peak memory (the child's maximum resident set) and wall time. Two scripts: 1,000
tasks taking 2,000,000 steps (target: at most plain + 100 MB), and 100,000 tasks of one
step each (target: at most 1.5x plain time).

    python benchmarks/run_memory.py
    python benchmarks/run_memory.py --small     # quick sizes, for the test suite
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
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


def child(command: list[str]) -> tuple[float, float]:
    """Seconds and peak megabytes of one child process."""
    began = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - began
    if status != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {status}")
    return took, usage.ru_maxrss / 1024  # kilobytes on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick sizes")
    args = parser.parse_args(argv)
    sizes = [(100, 200), (2_000, 1)] if args.small else [(1_000, 2_000), (100_000, 1)]
    python = ".".join(map(str, sys.version_info[:3]))
    print(f"asyncrepl run against python, fresh processes, Python {python}")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "work.py"
        script.write_text(SCRIPT, encoding="utf-8")
        for tasks, steps in sizes:
            size = [str(tasks), str(steps)]
            plain_time, plain_mb = child([sys.executable, str(script), *size])
            run = [sys.executable, "-m", "asyncrepl", "run", str(script), *size]
            run_time, run_mb = child(run)
            print(
                f"  {tasks:>7,} tasks x {steps:,} steps: plain {plain_time:5.2f} s "
                f"{plain_mb:5.0f} MB; asyncrepl run {run_time:5.2f} s {run_mb:5.0f} MB "
                f"= {run_time / plain_time:.2f}x time, plain + {run_mb - plain_mb:.0f} MB"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
