"""How long %tasks takes with many live tasks: the snapshot, the table, its HTML and the tree.

Run: ``python benchmarks/tasks_table.py [N]`` (default 10,000 tasks). Prints seconds, the
median of a few repetitions.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from asyncrepl.instrument.snapshot import TaskIds, snapshot_tasks
from asyncrepl.render.tasks import render_task_tree, render_tasks, tasks_table_view


def median_time(action: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def measure(count: int) -> None:
    async def worker(delay: float) -> None:
        await asyncio.sleep(delay)

    async def fetch(queue: asyncio.Queue[int]) -> None:
        await queue.get()

    queue: asyncio.Queue[int] = asyncio.Queue()
    tasks = [asyncio.create_task(worker(60) if i % 2 else fetch(queue)) for i in range(count)]
    await asyncio.sleep(0)
    loop, ids = asyncio.get_running_loop(), TaskIds()
    infos = snapshot_tasks(loop, ids=ids)
    results = {
        "snapshot": median_time(lambda: snapshot_tasks(loop, ids=ids)),
        "table (text)": median_time(lambda: render_tasks(infos, width=120)),
        "table (text and HTML)": median_time(lambda: tasks_table_view(infos, width=120)),
        "tree": median_time(lambda: render_task_tree(infos, width=120)),
    }
    print(f"{count:,} live tasks, median of 5 (Python {sys.version.split()[0]}):")
    for name, seconds in results.items():
        print(f"  {name:<22} {seconds * 1000:8.1f} ms")
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
