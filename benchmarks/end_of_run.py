"""The pause at the end of a recorded run: what ``asyncrepl run`` does after the script ends
(stop recording, then the timeline's chart and summary). Two sizes: the recorder
benchmark's 2,000 tasks x 50 steps (100,000 steps; target: a pause under 0.2 s) and ten
times that (a million steps, half the default ring; target: under 1.5 s, where viztracer's
dump takes seconds). Prints seconds, and the pause against the run itself. Then many tasks
rather than many steps: 100,000 tasks of one step started at once with ``gather``, most of
which leave the history of finished tasks (target: the chart and summary under 0.15 s).

    python benchmarks/end_of_run.py                # all three sizes
    python benchmarks/end_of_run.py --tasks 200    # one quick size, for the test suite
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
#: Tasks of one step each, for the figure of many tasks.
MANY_TASKS = 100_000


async def worker(steps: int) -> None:
    for _ in range(steps):
        await asyncio.sleep(0)


async def workload(tasks: int, steps: int) -> None:
    await asyncio.gather(*(worker(steps) for _ in range(tasks)))


def one_run(tasks: int, steps: int = STEPS) -> tuple[float, float, float]:
    """Seconds for the run, for stopping the recorder, and for the chart and summary."""
    started = time.perf_counter()
    with recording() as rec:
        asyncio.run(workload(tasks, steps))
        ran = time.perf_counter()
    stopped = time.perf_counter()
    rec.show(file=io.StringIO(), width=100)
    shown = time.perf_counter()
    return ran - started, stopped - ran, shown - stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, help="one size: this many tasks of 50 steps")
    args = parser.parse_args(argv)
    python = ".".join(map(str, sys.version_info[:3]))
    print(f"end of run: tasks x {STEPS} steps, Python {python}, median of {REPEAT}")
    for tasks in [args.tasks] if args.tasks else [2_000, 20_000]:
        run, stop, show = medians(tasks, STEPS)
        pause = stop + show
        print(
            f"  {tasks * STEPS:>9,} steps: run {run:6.3f} s, stop recording {stop:6.3f} s, "
            f"chart and summary {show:6.3f} s, pause {pause:6.3f} s = {pause / run:.2f}x the run"
        )
    if not args.tasks:
        run, stop, show = medians(MANY_TASKS, 1)
        print(
            f"  {MANY_TASKS:,} one-step tasks: run {run:6.3f} s, stop recording {stop:6.3f} s, "
            f"chart and summary {show:6.3f} s (target 0.15 s)"
        )
    return 0


def medians(tasks: int, steps: int) -> tuple[float, ...]:
    """The median seconds of :func:`one_run`'s three figures over ``REPEAT`` runs."""
    runs = [one_run(tasks, steps) for _ in range(REPEAT)]
    return tuple(statistics.median(column) for column in zip(*runs, strict=True))


if __name__ == "__main__":
    raise SystemExit(main())
