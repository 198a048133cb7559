"""What the blocking detector costs on top of the recorder: the recorder benchmark's workload
(2,000 tasks x 50 ``await asyncio.sleep(0)`` steps with a little work each), run with the
recorder alone and with the recorder plus the watchdog, interleaved; prints medians and the
ratio (target: at most 1.05x).

    python benchmarks/watchdog.py [--size small|full] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import threading
import time
from pathlib import Path

from asyncrepl.instrument.recorder import Recorder
from asyncrepl.watchdog import Watchdog

# The same workload as the recorder benchmark, so that the two ratios multiply.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from recorder import workload

SIZES = {"full": (2000, 50), "small": (200, 10)}


def run(recorder: Recorder, tasks: int, steps: int, *, watchdog: bool) -> float:
    """Seconds the workload took on a fresh loop under the recorder (and the watchdog)."""

    async def main() -> float:
        reason = recorder.attach(asyncio.get_running_loop())
        assert reason is None, reason
        dog = Watchdog(recorder) if watchdog else None
        if dog is not None:
            dog.start(threading.get_ident())
        try:
            await asyncio.sleep(0)  # the step that attached is not a recorded one
            start = time.perf_counter()
            await workload(tasks, steps)
            return time.perf_counter() - start
        finally:
            if dog is not None:
                dog.stop()
            recorder.detach()

    gc.collect()
    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--repeat", type=int, default=None, help="interleaved repetitions")
    args = parser.parse_args()
    tasks, steps = SIZES[args.size]
    repeat = args.repeat or (9 if args.size == "full" else 3)
    recorder = Recorder()  # one ring buffer for all runs: allocating it is not the point
    run(recorder, tasks, steps, watchdog=True)  # warm up imports and caches
    alone: list[float] = []
    watched: list[float] = []
    for i in range(repeat):
        # Alternate which goes first, so that neither always follows the other.
        for watchdog in (False, True) if i % 2 == 0 else (True, False):
            (watched if watchdog else alone).append(run(recorder, tasks, steps, watchdog=watchdog))
    base, with_dog = statistics.median(alone), statistics.median(watched)
    pairs = statistics.median(w / a for w, a in zip(watched, alone, strict=True))
    print(f"workload: {tasks} tasks x {steps} steps, {repeat} interleaved runs, medians")
    print(f"recorder:            {base * 1000:8.1f} ms")
    print(f"recorder + watchdog: {with_dog * 1000:8.1f} ms")
    print(f"ratio watchdog/recorder: {with_dog / base:.3f}x (target <= 1.05x)")
    print(f"median ratio of neighbouring runs: {pairs:.3f}x")


if __name__ == "__main__":
    main()
