"""The pause at the end of a recorded run: what ``asyncrepl run`` does after the script ends
(stop recording, then the timeline's chart and summary), for a run that fills the recorder's
ring (20,000 tasks x 50 steps: a million steps). Prints seconds, and the pause against the
run itself (target: at most 0.1x, and under half a second).

    python benchmarks/end_of_run.py                # 20,000 tasks x 50 steps
    python benchmarks/end_of_run.py --tasks 200    # a quick run for the test suite
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from asyncrepl.api import recording

STEPS = 50
REPEAT = 3


async def worker(steps: int) -> None:
    for _ in range(steps):
        await asyncio.sleep(0)


async def workload(tasks: int) -> None:
    await asyncio.gather(*(worker(STEPS) for _ in range(tasks)))


def one_run(tasks: int) -> tuple[float, float, float]:
    """Seconds for the run, for stopping the recorder, and for the chart and summary."""
    started = time.perf_counter()
    with recording() as rec:
        asyncio.run(workload(tasks))
        ran = time.perf_counter()
    stopped = time.perf_counter()
    rec.show(file=io.StringIO(), width=100)
    shown = time.perf_counter()
    return ran - started, stopped - ran, shown - stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000, help="tasks of 50 steps each")
    args = parser.parse_args(argv)
    runs = [one_run(args.tasks) for _ in range(REPEAT)]
    run, stop, show = (statistics.median(column) for column in zip(*runs, strict=True))
    pause = stop + show
    python = ".".join(map(str, sys.version_info[:3]))
    print(
        f"end of run: {args.tasks:,} tasks x {STEPS} steps = {args.tasks * STEPS:,} steps, "
        f"Python {python}, median of {REPEAT}"
    )
    print(f"  run                 {run:7.3f} s")
    print(f"  stop recording      {stop:7.3f} s")
    print(f"  chart and summary   {show:7.3f} s")
    print(f"  pause               {pause:7.3f} s   {pause / run:.2f}x the run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
