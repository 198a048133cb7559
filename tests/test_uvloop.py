"""uvloop, whose callbacks are compiled (not asyncio Handles): the recorder times each task's
steps from the task itself, says in one line what it cannot record, and the watchdog still
names the blocking line."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from asyncrepl.api import recording
from asyncrepl.records import TaskState
from tests.test_cli_run import run, script

uvloop = pytest.importorskip("uvloop")


async def work(value: int) -> int:
    for _ in range(3):
        await asyncio.sleep(0.001)
    return value


async def main() -> list[int]:
    return list(await asyncio.gather(work(1), asyncio.create_task(work(2), name="second")))


def test_recording_around_uvloop_run_shows_the_tasks_steps() -> None:
    with recording() as rec:
        assert uvloop.run(main()) == [1, 2]
    timeline = rec.timeline()
    workers = [task for task in timeline.tasks if task.coro == "work"]
    assert len(workers) == 2 and all(task.state is TaskState.DONE for task in workers)
    assert "second" in {task.name for task in workers}
    for task in workers:
        assert sum(1 for who in timeline.steps.task_ids if who == task.id) == 4
    text = rec.render(width=100)
    assert "Nothing ran" not in text
    assert (
        "On uvloop.Loop, asyncrepl times each task's steps from the task itself: plain "
        "callbacks and what tasks waited for are not recorded"
    ) in " ".join(text.split())  # the notes are wrapped to the width


def test_the_factory_is_given_back() -> None:
    async def factory_after() -> object:
        await work(0)
        return asyncio.get_running_loop().get_task_factory()

    with recording():
        assert uvloop.run(factory_after()) is not None  # ours, while recording
    assert uvloop.run(factory_after()) is None


def test_asyncrepl_run_reports_a_blocking_call_on_uvloop(tmp_path: Path) -> None:
    script(
        tmp_path,
        "app.py",
        """\
        import asyncio, time, uvloop

        async def blocker():
            await asyncio.sleep(0.01)
            time.sleep(0.3)

        async def main():
            await asyncio.gather(blocker(), asyncio.sleep(0.05))

        uvloop.run(main())
        """,
    )
    began = time.perf_counter()
    done = run(tmp_path, "app.py")
    assert done.returncode == 0, done.stderr
    assert "app.py:5 in blocker" in done.stderr and "time.sleep(0.3)" in done.stderr
    assert "Nothing ran" not in done.stderr and "blocker" in done.stderr
    assert time.perf_counter() - began < 30
