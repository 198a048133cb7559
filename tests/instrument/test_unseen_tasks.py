"""Tasks the recorder has not been asked about are kept as plain tuples, not records (no object
for each live task for the garbage collector to walk), and settled when they are freed or
asked about: what anyone reads of them is what a record would have said. Each test runs
with asyncio's registry of tasks (the usual way) and without it (the fallback of a Python
whose registry does not hold our tasks: a record for each task at once)."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from asyncrepl.instrument import unseen
from asyncrepl.instrument.recorder import Recorder
from asyncrepl.instrument.taskrecord import TaskRecord
from asyncrepl.records import TaskState

from .test_limits import run_recorded, spin


@pytest.fixture(params=["registry", "fallback"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "fallback":  # a registry that never holds a task: records at once
        monkeypatch.setattr(unseen, "_REGISTRY", weakref.WeakSet())
    yield request.param


def records_alive() -> int:
    return sum(isinstance(thing, TaskRecord) for thing in gc.get_objects())


async def fail() -> None:
    await asyncio.sleep(0)
    raise ValueError("bad input")


async def big() -> list[int]:
    await asyncio.sleep(0)
    return list(range(1000))


async def forever() -> None:
    await asyncio.Event().wait()


def test_no_record_for_each_live_task_until_asked(way: str) -> None:
    rec = Recorder()
    seen: dict[str, int] = {}

    async def main() -> None:
        gc.collect()  # an earlier test's recorder and records
        before = records_alive()
        tasks = [asyncio.create_task(spin(2)) for _ in range(2000)]
        await asyncio.sleep(0)
        seen["alive"] = records_alive() - before
        seen["asked"] = rec.stats(tasks[7]).steps  # asking makes that task's record
        await asyncio.gather(*tasks)

    run_recorded(rec, main())
    if way == "registry":
        assert seen["alive"] < 20  # the cell's, main's: not 2,000
    else:
        assert seen["alive"] >= 2000
    assert seen["asked"] == 1  # its first step, counted from the ring
    finished = rec.finished()
    assert len(finished) == 1000  # the last thousand, as before
    assert all(t.outcome == "returned 2" and t.state is TaskState.DONE for t in finished[:-1])
    assert finished[-1].coro.endswith("main")  # main ended last, and stays last


def test_tasks_made_on_one_line_share_what_is_noted_of_their_birth(way: str) -> None:
    # No object for each task: the collector would walk (and count) 100,000 more.
    rec = Recorder()
    seen: dict[str, Any] = {}

    async def main() -> None:
        made = [asyncio.create_task(spin(1)) for _ in range(300)]
        others = [asyncio.create_task(big()) for _ in range(2)]  # another line and coroutine
        unseen = rec.book.unseen
        seen["births"] = {id(unseen.births[t._asyncrepl_id]) for t in made if way == "registry"}
        seen["other"] = {unseen.births[t._asyncrepl_id][3] for t in others if way == "registry"}
        await asyncio.gather(*made, *others)

    run_recorded(rec, main())
    if way == "registry":
        assert len(seen["births"]) == 1
        assert seen["other"] == {"big"}
    else:
        assert seen == {"births": set(), "other": set()}
    assert len(rec.finished()) == 303  # each still told apart when read


def test_a_smaller_history_forgets_sooner_the_tasks_freed_unseen(way: str) -> None:
    rec = Recorder()
    rec.finished_limit = 10
    kept: dict[str, int] = {}

    async def main() -> None:
        for _ in range(5):  # freed as each batch is gathered
            await asyncio.gather(*(asyncio.create_task(spin(1)) for _ in range(2000)))
            kept["most waiting"] = max(kept.get("most waiting", 0), len(rec.book.unseen.gone))

    run_recorded(rec, main())
    if way == "registry":  # settled once more than GONE_BATCH + 2 x 10 wait
        assert 0 < kept["most waiting"] <= unseen.GONE_BATCH + 20
    assert len(rec.finished()) == 10


def test_a_done_task_still_held_is_finished_with_its_result(way: str) -> None:
    rec = Recorder()
    held: list[Any] = []

    async def main() -> None:
        held.append(asyncio.create_task(spin(3), name="kept"))
        await asyncio.sleep(0.01)

    run_recorded(rec, main())
    assert held[0].done()  # not freed: the registry finds it
    [kept] = [t for t in rec.finished() if t.name == "kept"]
    assert kept.outcome == "returned 3" and kept.steps == 4


def test_tasks_freed_unseen_say_how_they_ended(way: str) -> None:
    rec = Recorder()

    async def main() -> None:
        ok = asyncio.create_task(spin(1), name="ok")
        bad = asyncio.create_task(fail(), name="bad")
        large = asyncio.create_task(big(), name="large")
        await asyncio.wait([ok, bad, large])
        assert isinstance(bad.exception(), ValueError)
        pending = asyncio.create_task(forever(), name="pending")
        await asyncio.sleep(0)
        del ok, bad, large, pending  # the last one freed while it waits

    run_recorded(rec, main())
    gc.collect()
    ended = {t.name: t for t in rec.finished()}
    assert ended["ok"].outcome == "returned 1" and ended["ok"].steps == 2
    assert (
        ended["bad"].state is TaskState.FAILED and ended["bad"].outcome == "ValueError: bad input"
    )
    assert ended["large"].outcome.startswith("returned [0, 1, 2")
    assert ended["pending"].state is TaskState.CANCELLED
    assert "destroyed while still pending" in ended["pending"].outcome


def test_a_burst_beyond_the_history_leaves_origins_not_records(way: str) -> None:
    rec = Recorder(finished_limit=10)

    async def main() -> None:
        await asyncio.gather(*(spin(1) for _ in range(10_000)))

    run_recorded(rec, main())
    assert len(rec.book.finished) == 10 and len(rec.finished()) <= 20
    assert 10_000 - 10 <= len(rec.book.forgotten) <= 10_000
    assert {origin[0] for origin in rec.book.forgotten.values()} == {"spin"}
    timeline = rec.timeline()
    assert len(timeline.tasks) == 10_001  # main and every spin, none left out


def test_waits_name_a_task_not_looked_at(way: str) -> None:
    rec = Recorder()
    names: dict[str, str] = {}

    async def main() -> None:
        worker = asyncio.create_task(spin(2), name="worker")
        waiter = asyncio.create_task(_wait_for(worker), name="waiter")
        await waiter
        names["waits"] = " ".join(s.awaited for s in rec.suspensions(waiter))

    run_recorded(rec, main())
    assert "Task 'worker'" in names["waits"]


async def _wait_for(task: asyncio.Task[Any]) -> None:
    await task


def test_the_step_running_now_names_its_task(way: str) -> None:
    rec = Recorder()
    found: list[Any] = []

    async def step() -> None:
        seen = threading.Thread(target=lambda: found.append(rec.current_step()))
        seen.start()
        seen.join()

    async def main() -> None:
        task = asyncio.create_task(step())
        await task
        found.append(task)

    run_recorded(rec, main())
    (_, running), task = found
    assert running is task


def test_steps_counted_after_an_unseen_task_was_freed_are_its(way: str) -> None:
    rec = Recorder()

    async def main() -> None:
        task = asyncio.create_task(spin(2), name="counted")
        await task
        del task
        await asyncio.sleep(0)  # the round lets go of the wake-up that held it
        gc.collect()  # freed now, before its steps are added up (at the first query)
        assert len(rec.book.unseen.gone) == (way == "registry")  # noted, not settled
        seen.extend(t for t in rec.finished() if t.name == "counted")

    seen: list[Any] = []
    run_recorded(rec, main())
    [counted] = seen
    assert counted.steps == 3 and counted.run_time > 0
