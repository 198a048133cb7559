"""What the loop recorder costs: many tasks taking many very short steps, run plain, under
the recorder, and under asyncio's debug mode (in a subprocess); medians and ratios. The
steps end in ``await asyncio.sleep(0)`` (the task's next step is called with no argument);
a second workload, "wake-ups", awaits futures a callback resolves (each step is a task's
wake-up, called with the future), so the ratio does not rest on one kind of callback. Times are
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from asyncrepl.instrument.recorder import Recorder
from asyncrepl.instrument.ring import BYTES_PER_ENTRY

#: One task's coroutine: ``work(steps)``.
Work = Callable[[int], Awaitable[int]]

#: size -> (tasks, steps per task, rounds)
SIZES = {"small": (200, 10, 2), "full": (2000, 50, 11)}
DEBUG_RUNS = 3  # debug mode is 15-20x slower: a few runs give its ratio well enough


async def worker(steps: int) -> int:
    total = 0
    for i in range(steps):
        total += i * i  # a little work in each step
        await asyncio.sleep(0)
    return total


async def waker(steps: int) -> int:
    loop = asyncio.get_running_loop()
    total = 0
    for i in range(steps):
        total += i * i
        future = loop.create_future()
        loop.call_soon(future.set_result, i)
        total += await future
    return total


async def workload(tasks: int, steps: int, work: Work = worker) -> None:
    await asyncio.gather(*(work(steps) for _ in range(tasks)))


def run_once(
    tasks: int,
    steps: int,
    recorder: Recorder | None = None,
    work: Work = worker,
) -> float:
    """CPU seconds for one run of the workload on a fresh loop (setup not counted)."""
    loop = asyncio.new_event_loop()
    try:
        if recorder is not None:
            reason = recorder.attach(loop)
            if reason is not None:
                raise SystemExit(reason)
        gc.collect()
        started = time.process_time()
        loop.run_until_complete(workload(tasks, steps, work))
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
    sleeps = run_pairs(tasks, steps, rounds, worker)
    wakeups = run_pairs(tasks, steps, rounds, waker)
    debug = [run_debug(tasks, steps) for _ in range(min(DEBUG_RUNS, rounds))]
    python = ".".join(map(str, sys.version_info[:3]))
    print(
        f"recorder benchmark: {tasks:,} tasks x {steps} steps = {tasks * steps:,} steps, "
        f"{rounds} rounds, Python {python}, medians"
    )
    plain = statistics.median(sleeps.plain)
    print(f"  plain     {plain:8.3f} s   {plain / (tasks * steps) * 1e6:.2f} us a step")
    print(
        f"  recorder  {statistics.median(sleeps.recorded):8.3f} s   {sleeps.ratio:.2f}x plain"
        f"   ({sleeps.kept:,} steps kept, {BYTES_PER_ENTRY} bytes an entry)"
    )
    print(
        f"  wake-ups  {statistics.median(wakeups.recorded):8.3f} s   {wakeups.ratio:.2f}x plain"
        f"   (each step woken by a future; plain {statistics.median(wakeups.plain):.3f} s)"
    )
    print(
        f"  debug     {statistics.median(debug):8.3f} s   {statistics.median(debug) / plain:.2f}x"
        " plain   (PYTHONASYNCIODEBUG=1, in a subprocess)"
    )
    return 0


@dataclass
class Pairs:
    """CPU seconds of each plain and recorded run, and what one recorder kept."""

    plain: list[float] = field(default_factory=list)
    recorded: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    kept: int = 0

    @property
    def ratio(self) -> float:
        """The median of the pairs' ratios."""
        return statistics.median(self.ratios)


def run_pairs(tasks: int, steps: int, rounds: int, work: Work) -> Pairs:
    """``rounds`` pairs of a plain and a recorded run, in alternating order."""
    pairs = Pairs()
    run_once(tasks, steps, work=work)  # warm up imports and caches
    for n in range(rounds):
        recorder = Recorder()  # allocated outside the timed run
        first_plain = n % 2 == 0
        if first_plain:
            plain = run_once(tasks, steps, work=work)
        recorded = run_once(tasks, steps, recorder, work)
        if not first_plain:
            plain = run_once(tasks, steps, work=work)
        pairs.plain.append(plain)
        pairs.recorded.append(recorded)
        pairs.ratios.append(recorded / plain)
        pairs.kept = len(recorder.steps())
    return pairs


if __name__ == "__main__":
    raise SystemExit(main())
