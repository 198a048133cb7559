"""What ``%timeline --all`` costs as the recording grows: 1,000 tasks taking 100,000, a million
and two million steps, then the timeline of the whole recording (the recorder's window over
its ring), its chart and summary, and a JSON export, each timed once the run has ended. The
target is a second for each at every size (the cost should follow what is drawn).

    python benchmarks/timeline_scale.py              # 100k, 1M and 2M steps
    python benchmarks/timeline_scale.py --steps 20000  # one quick size
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from asyncrepl.instrument.recorder import Recorder
from asyncrepl.render.timeline import render_timeline
from asyncrepl.render.timeline_html import export_timeline

TASKS = 1_000


async def worker(steps: int) -> None:
    for _ in range(steps):
        await asyncio.sleep(0)


async def workload(steps: int) -> None:
    await asyncio.gather(*(worker(steps // TASKS) for _ in range(TASKS)))


def measure(steps: int) -> tuple[float, float, float]:
    """Seconds for the timeline, for its chart and summary, and for an export."""
    recorder = Recorder(capacity=max(1 << 21, 2 * steps + 4 * TASKS))
    loop = asyncio.new_event_loop()
    try:
        assert recorder.attach(loop) is None
        loop.run_until_complete(workload(steps))
    finally:
        recorder.detach()
        loop.close()
    began = time.perf_counter()
    timeline = recorder.timeline()
    built = time.perf_counter()
    io.StringIO().write(str(render_timeline(timeline, width=100)))
    drawn = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        export_timeline(recorder.with_waits(timeline), Path(folder) / "trace.json")
    exported = time.perf_counter()
    return built - began, drawn - built, exported - drawn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="one size: this many steps")
    args = parser.parse_args(argv)
    python = ".".join(map(str, sys.version_info[:3]))
    print(f"%timeline --all at scale: {TASKS:,} tasks, Python {python} (target: 1 s each)")
    for steps in [args.steps] if args.steps else [100_000, 1_000_000, 2_000_000]:
        built, drawn, exported = measure(steps)
        print(
            f"  {steps:>9,} steps: timeline {built:6.2f} s, chart {drawn:6.2f} s, "
            f"together {built + drawn:6.2f} s; export {exported:6.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
