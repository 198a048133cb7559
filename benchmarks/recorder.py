"""What the loop recorder costs: many tasks taking many very short steps, run plain, under
the recorder, and under asyncio's debug mode (in a subprocess); medians and ratios. Times are
the process's CPU time for the run itself (``time.process_time``), which other processes on a
shared machine disturb less than wall time; the workload never waits on I/O. Plain and
recorded runs go in pairs, in alternating order, each recorded run with a fresh recorder;
the ratio is the median of the pairs' ratios, which machine drift disturbs least.

    python benchmarks/recorder.py                # 2,000 tasks x 50 steps, 11 rounds
    python benchmarks/recorder.py --size small   # a quick run for the test suite
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from asyncrepl.instrument.recorder import Recorder
from asyncrepl.instrument.ring import BYTES_PER_ENTRY

#: size -> (tasks, steps per task, rounds)
SIZES = {"small": (200, 10, 2), "full": (2000, 50, 11)}
DEBUG_RUNS = 3  # debug mode is 15-20x slower: a few runs give its ratio well enough


async def worker(steps: int) -> int:
    total = 0
    for i in range(steps):
        total += i * i  # a little work in each step
        await asyncio.sleep(0)
    return total


async def workload(tasks: int, steps: int) -> None:
    await asyncio.gather(*(worker(steps) for _ in range(tasks)))


def run_once(tasks: int, steps: int, recorder: Recorder | None = None) -> float:
    """CPU seconds for one run of the workload on a fresh loop (setup not counted)."""
    loop = asyncio.new_event_loop()
    try:
        if recorder is not None:
            reason = recorder.attach(loop)
            if reason is not None:
                raise SystemExit(reason)
        gc.collect()
        started = time.process_time()
        loop.run_until_complete(workload(tasks, steps))
        elapsed = time.process_time() - started
        if recorder is not None:
            recorder.detach()
        return elapsed
    finally:
        loop.close()


def run_debug(tasks: int, steps: int) -> float:
    """One run in a subprocess with ``PYTHONASYNCIODEBUG=1``."""
    env = {**os.environ, "PYTHONASYNCIODEBUG": "1"}
    command = [sys.executable, __file__, "--child", str(tasks), str(steps)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", choices=sorted(SIZES), default=None)
    parser.add_argument("--size", dest="size_option", choices=sorted(SIZES), default="full")
    parser.add_argument("--rounds", type=int, default=None, help="repetitions (default by size)")
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(run_once(*args.child))
        return 0
    tasks, steps, rounds = SIZES[args.size or args.size_option]
    rounds = args.rounds or rounds
    times: dict[str, list[float]] = {"plain": [], "recorder": [], "debug": []}
    ratios: list[float] = []
    recorded = 0
    run_once(tasks, steps)  # warm up imports and caches
    for n in range(rounds):
        recorder = Recorder()  # allocated outside the timed run
        first_plain = n % 2 == 0
        if first_plain:
            plain = run_once(tasks, steps)
        recorded_time = run_once(tasks, steps, recorder)
        if not first_plain:
            plain = run_once(tasks, steps)
        times["plain"].append(plain)
        times["recorder"].append(recorded_time)
        ratios.append(recorded_time / plain)
        recorded = len(recorder.steps())
    for _ in range(min(DEBUG_RUNS, rounds)):
        times["debug"].append(run_debug(tasks, steps))
    report(tasks, steps, rounds, times, statistics.median(ratios), recorded)
    return 0


def report(
    tasks: int,
    steps: int,
    rounds: int,
    times: dict[str, list[float]],
    ratio: float,
    recorded: int,
) -> None:
    median = {name: statistics.median(values) for name, values in times.items()}
    plain = median["plain"]
    python = ".".join(map(str, sys.version_info[:3]))
    print(
        f"recorder benchmark: {tasks:,} tasks x {steps} steps = {tasks * steps:,} steps, "
        f"{rounds} rounds, Python {python}, medians"
    )
    print(f"  plain     {plain:8.3f} s   {plain / (tasks * steps) * 1e6:.2f} us a step")
    print(
        f"  recorder  {median['recorder']:8.3f} s   {ratio:.2f}x plain"
        f"   ({recorded:,} steps kept, {BYTES_PER_ENTRY} bytes an entry)"
    )
    print(
        f"  debug     {median['debug']:8.3f} s   {median['debug'] / plain:.2f}x plain"
        "   (PYTHONASYNCIODEBUG=1, in a subprocess)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
