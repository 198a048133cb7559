"""``recording()`` records every loop the program runs, however it made it: threads with loops
of their own, ``asyncio.Runner``, a policy or loop factory of its own, a task factory of its
own (which still runs), eager tasks, a loop made before the block."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Coroutine
from typing import Any

import pytest

from asyncrepl.api import Recording, recording
from asyncrepl.records import TaskState
from asyncrepl.windows import Timeline

STEPS = 5


async def worker(value: int) -> int:
    for _ in range(STEPS):
        await asyncio.sleep(0)
    return value


async def main(base: int) -> list[int]:
    return await asyncio.gather(*(worker(base + i) for i in range(3)))


def steps_of(timeline: Timeline) -> dict[int, int]:
    counts: dict[int, int] = {}
    for task_id in timeline.steps.task_ids:
        counts[task_id] = counts.get(task_id, 0) + 1
    return counts


def workers_done(rec: Recording, count: int) -> None:
    """``count`` worker tasks, each finished with its value, each with its steps drawn."""
    timeline = rec.timeline()
    workers = [task for task in timeline.tasks if task.coro == "worker"]
    assert len(workers) == count
    assert all(task.state is TaskState.DONE for task in workers)
    steps = steps_of(timeline)
    assert all(steps.get(task.id, 0) == STEPS + 1 for task in workers)


def test_loops_in_eight_threads_at_once_are_all_recorded() -> None:
    barrier = threading.Barrier(8)

    def run(n: int) -> None:
        barrier.wait()  # the eight loops start together
        asyncio.run(main(10 * n))

    with recording() as rec:
        threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    workers_done(rec, 24)
    assert sum(task.coro == "main" for task in rec.timeline().tasks) == 8


def test_a_policy_of_the_programs_own() -> None:
    class Policy(asyncio.DefaultEventLoopPolicy):  # what uvloop.install() and others do
        pass

    before = asyncio.get_event_loop_policy()
    with recording() as rec:
        asyncio.set_event_loop_policy(Policy())
        try:
            assert asyncio.run(main(0)) == [0, 1, 2]
        finally:
            asyncio.set_event_loop_policy(before)
    workers_done(rec, 3)


def test_asyncio_runner_and_a_loop_factory() -> None:
    with recording() as rec, asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
        assert runner.run(main(0)) == [0, 1, 2]
        assert runner.run(main(3)) == [3, 4, 5]
    workers_done(rec, 6)


def test_a_loop_made_before_the_block_and_run_in_it() -> None:
    loop = asyncio.new_event_loop()
    try:
        with recording() as rec:
            assert loop.run_until_complete(main(0)) == [0, 1, 2]
    finally:
        loop.close()
    workers_done(rec, 3)


def test_a_task_factory_of_the_programs_own_still_runs() -> None:
    made: list[str] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kw: Any) -> Any:
        made.append(coro.__name__)
        return asyncio.Task(coro, loop=loop, **kw)

    async def start() -> list[int]:
        asyncio.get_running_loop().set_task_factory(factory)
        first = asyncio.create_task(worker(1), name="first")
        second = asyncio.create_task(worker(2), name="second")
        return list(await asyncio.gather(first, second))

    with recording() as rec:
        assert asyncio.run(start()) == [1, 2]
    assert made.count("worker") == 2  # (asyncio.run makes tasks of its own at the end)
    tasks = {task.name: task for task in rec.timeline().tasks}
    assert tasks["first"].state is TaskState.DONE and tasks["second"].state is TaskState.DONE
    assert tasks["first"].coro == "worker"


def test_eager_tasks() -> None:
    if sys.version_info < (3, 12):
        pytest.skip("eager tasks are new in Python 3.12")

    async def start() -> list[int]:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined, unused-ignore]
        return list(await asyncio.gather(*(worker(i) for i in range(3))))

    with recording() as rec:
        assert asyncio.run(start()) == [0, 1, 2]
    workers_done(rec, 3)
