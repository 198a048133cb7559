"""Snapshots of real tasks, each suspended in a different kind of wait, on a real loop."""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Generator
from typing import Any

import pytest

from asyncrepl.instrument.snapshot import (
    TaskIds,
    awaiters_of,
    is_library_location,
    snapshot_task,
    snapshot_tasks,
)
from asyncrepl.records import TaskInfo, TaskState


def label_this_file(filename: str) -> str | None:
    return "<cell 7>" if filename == __file__ else None


async def forever() -> None:
    await asyncio.Event().wait()


async def sleeper(delay: float) -> None:
    await asyncio.sleep(delay)  # the sleeper's line


async def numbers() -> Any:
    while True:
        await asyncio.sleep(30)
        yield 1


async def consume() -> None:
    async for _ in numbers():
        pass


class Custom:
    """A hand-written awaitable, as a library might have."""

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.future = future

    def __await__(self) -> Generator[Any, None, None]:
        yield from self.future  # the custom awaitable's line


async def in_scenario(check: Callable[[dict[str, TaskInfo]], Awaitable[None] | None]) -> None:
    """Start one task in each kind of wait, snapshot from a task, then hand the records to
    ``check`` (by task name) and clean up."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[int] = asyncio.Queue()
    full: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    full.put_nowait(1)
    lock, event, cond = asyncio.Lock(), asyncio.Event(), asyncio.Condition()
    release = threading.Event()
    await lock.acquire()

    async def in_cond() -> None:
        async with cond:
            await cond.wait()

    async def group() -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(forever(), name="tg-child-1")
            tg.create_task(forever(), name="tg-child-2")

    async def with_timeout() -> None:
        async with asyncio.timeout(5):
            await event.wait()

    async def sleep_in_timeout() -> None:
        async with asyncio.timeout(5):
            await asyncio.sleep(10)

    async def spin() -> None:
        while True:
            await asyncio.sleep(0)

    def blocking() -> None:
        release.wait(5)

    quick = asyncio.create_task(asyncio.sleep(0), name="quick")
    slow = [asyncio.create_task(forever(), name=f"g{i}") for i in (1, 2)]
    target = asyncio.create_task(forever(), name="target")
    tasks: dict[str, Awaitable[Any]] = {
        "sleeper": sleeper(10),
        "queue-get": queue.get(),
        "queue-put": full.put(2),
        "event": event.wait(),
        "lock": lock.acquire(),
        "semaphore": asyncio.Semaphore(0).acquire(),
        "condition": in_cond(),
        "group": group(),
        "wait-for": asyncio.wait_for(forever(), 5),
        "timeout": with_timeout(),
        "sleep-timeout": sleep_in_timeout(),
        "thread": asyncio.to_thread(blocking),
        "executor": loop.run_in_executor(None, blocking),
        "gather": asyncio.gather(quick, *slow),
        "wait": asyncio.wait(slow),
        "agen": consume(),
        "future": loop.create_future(),
        "custom": Custom(loop.create_future()),
        "spin": spin(),
        "shield": asyncio.shield(target),
    }
    started = {name: asyncio.create_task(_await(aw), name=name) for name, aw in tasks.items()}
    # Made on asyncio's coroutine itself: it awaits the future under it, not itself.
    server = await asyncio.start_server(lambda reader, writer: writer.close(), "127.0.0.1", 0)
    started["server"] = asyncio.create_task(server.serve_forever(), name="server")
    started["own-get"] = asyncio.create_task(queue.get(), name="own-get")
    for _ in range(3):
        await asyncio.sleep(0)
    started["waiter"] = asyncio.create_task(_await(started["sleeper"]), name="waiter")
    await asyncio.sleep(0)
    started["new"] = asyncio.create_task(forever(), name="new")
    try:
        infos = snapshot_tasks(loop, labeler=label_this_file)
        result = check({info.name: info for info in infos})
        if result is not None:
            await result
    finally:
        release.set()
        everything = [*started.values(), *slow, target]
        for task in everything:
            task.cancel()
        await asyncio.gather(*everything, return_exceptions=True)
        server.close()


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def check_scenario(check: Callable[[dict[str, TaskInfo]], None]) -> None:
    asyncio.run(in_scenario(check))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sleeper", r"asyncio\.sleep, (9\.9|10\.0) s left"),
        ("queue-get", r"Queue\.get\(\)"),
        ("queue-put", r"Queue\.put\(\) \(the queue is full\)"),
        ("event", r"Event\.wait\(\)"),
        ("lock", r"Lock\.acquire\(\)"),
        ("semaphore", r"Semaphore\.acquire\(\)"),
        ("condition", r"Condition\.wait\(\)"),
        ("group", r"TaskGroup: 2 tasks are still running"),
        ("wait-for", r"asyncio\.wait_for(\(Task 'Task-\d+'\))?, (4\.9|5\.0) s left"),
        ("timeout", r"Event\.wait\(\), timeout in (4\.9|5\.0) s"),
        ("sleep-timeout", r"asyncio\.sleep, (9\.9|10\.0) s left, timeout in (4\.9|5\.0) s"),
        ("thread", r"to_thread\(in_scenario\.<locals>\.blocking\)"),
        ("executor", r"a function running in a thread \(run_in_executor\)"),
        ("gather", r"gather of 3 \(1 done\)"),
        ("wait", r"asyncio\.wait of 2 \(0 done\)"),
        ("agen", r"asyncio\.sleep, (29|30) s left"),
        ("future", r"a Future"),
        ("custom", r"a Future"),
        ("spin", r"asyncio\.sleep\(0\), runs again on the loop's next turn"),
        ("waiter", r"Task 'sleeper'"),
        ("server", r"a Future"),
        ("own-get", r"a Future"),  # its coroutine is Queue.get: %tasks says so beside it
    ],
)
def test_what_each_task_awaits(name: str, expected: str) -> None:
    def check(infos: dict[str, TaskInfo]) -> None:
        assert infos[name].state is TaskState.SUSPENDED
        assert re.fullmatch(expected, infos[name].awaiting), infos[name].awaiting

    check_scenario(check)


def test_awaited_tasks_are_named_by_id() -> None:
    def check(infos: dict[str, TaskInfo]) -> None:
        ids = {name: info.id for name, info in infos.items()}
        assert infos["waiter"].awaiting_ids == (ids["sleeper"],)
        assert sorted(infos["gather"].awaiting_ids) == sorted([ids["g1"], ids["g2"]])
        assert sorted(infos["wait"].awaiting_ids) == sorted([ids["g1"], ids["g2"]])
        assert sorted(infos["group"].awaiting_ids) == sorted([ids["tg-child-1"], ids["tg-child-2"]])
        # shield hides the task behind a plain future: found through the target's callbacks.
        assert infos["shield"].awaiting_ids == (ids["target"],)
        assert infos["sleeper"].awaiting_ids == ()

    check_scenario(check)


def test_the_chain_goes_down_to_the_innermost_frame() -> None:
    def check(infos: dict[str, TaskInfo]) -> None:
        chain = infos["waiter"].frames
        assert [loc.function for loc in chain] == ["_await"]
        sleeper_chain = infos["sleeper"].frames
        assert [loc.function for loc in sleeper_chain] == ["_await", "sleeper", "sleep"]
        user = [loc for loc in sleeper_chain if not is_library_location(loc)]
        assert user[-1].label.startswith("<cell 7>:")
        assert user[-1].source == "await asyncio.sleep(delay)  # the sleeper's line"
        assert is_library_location(sleeper_chain[-1])
        agen = [loc.function for loc in infos["agen"].frames]
        assert agen == ["_await", "consume", "numbers", "sleep"]
        custom = infos["custom"].frames
        assert custom[-1].function == "Custom.__await__"
        assert custom[-1].source == "yield from self.future  # the custom awaitable's line"
        other = [loc for loc in infos["queue-get"].frames if is_library_location(loc)]
        assert other and other[0].label.startswith("queues.py:")

    check_scenario(check)


def test_states_of_the_current_and_a_new_task() -> None:
    def check(infos: dict[str, TaskInfo]) -> None:
        current = [info for info in infos.values() if info.state is TaskState.RUNNING]
        assert len(current) == 1
        assert current[0].is_cell  # without a recorder, the running task is the cell's
        assert current[0].frames[0].function == "in_scenario"
        assert infos["new"].state is TaskState.SCHEDULED
        assert infos["new"].frames == ()
        assert not infos["sleeper"].is_cell

    check_scenario(check)


def test_now_gives_the_time_left() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        task = asyncio.create_task(sleeper(1.0))
        await asyncio.sleep(0)
        info = snapshot_task(task, now=start + 0.87)
        assert info.awaiting in ("asyncio.sleep, 0.13 s left", "asyncio.sleep, 0.14 s left")
        task.cancel()

    asyncio.run(main())


def test_finished_tasks_keep_their_outcome_and_the_exception_unretrieved() -> None:
    async def fail() -> None:
        raise ValueError("bad value")

    async def main() -> None:
        ok = asyncio.create_task(asyncio.sleep(0, result=[1, 2]), name="ok")
        bad = asyncio.create_task(fail(), name="bad")
        cancelled = asyncio.create_task(forever(), name="cancelled")
        await asyncio.sleep(0)
        cancelled.cancel()
        await asyncio.wait([ok, bad, cancelled])
        assert snapshot_task(ok).outcome == "returned [1, 2]"
        assert snapshot_task(ok).state is TaskState.DONE
        failed = snapshot_task(bad)
        assert (failed.state, failed.outcome) == (TaskState.FAILED, "ValueError: bad value")
        assert bad._log_traceback  # still reported by asyncio
        bad.exception()  # now retrieved, so the test run stays quiet
        assert snapshot_task(cancelled).state is TaskState.CANCELLED

    asyncio.run(main())


def test_a_task_of_another_loop_is_described_without_error() -> None:
    other = asyncio.new_event_loop()
    try:
        task = other.create_task(forever(), name="elsewhere")

        async def main() -> None:
            info = snapshot_task(task)
            assert (info.name, info.state) == ("elsewhere", TaskState.SCHEDULED)

        asyncio.run(main())
        task.cancel()
        other.run_until_complete(asyncio.gather(task, return_exceptions=True))
    finally:
        other.close()


def test_ids_without_a_recorder_are_stable_and_follow_creation() -> None:
    async def main() -> None:
        ids = TaskIds()
        first = [asyncio.create_task(forever()) for _ in range(3)]
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        before = {i.name: i.id for i in snapshot_tasks(loop, ids=ids)}
        later = asyncio.create_task(forever())
        after = {i.name: i.id for i in snapshot_tasks(loop, ids=ids)}
        assert {name: after[name] for name in before} == before
        assert after[later.get_name()] == max(after.values())
        names = [t.get_name() for t in first]
        assert [before[n] for n in names] == sorted(before[n] for n in names)
        for task in [*first, later]:
            task.cancel()
        await asyncio.gather(*first, later, return_exceptions=True)

    asyncio.run(main())


class FakeRecorder:
    """Stands in for the recorder's two read methods, which another module implements."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}

    def task_id(self, task: asyncio.Task[Any]) -> int:
        return self.seen.setdefault(id(task), 100 + len(self.seen))

    def stats(self, task: asyncio.Task[Any]) -> Any:
        from types import SimpleNamespace

        return SimpleNamespace(
            created_at=None, parent_id=7, created=1.5, run_time=0.25, steps=4, is_cell=False
        )


def test_a_recorder_gives_ids_and_numbers() -> None:
    async def main() -> None:
        recorder = FakeRecorder()
        task = asyncio.create_task(sleeper(5))
        waiter = asyncio.create_task(_await(task))
        await asyncio.sleep(0)
        infos = {i.name: i for i in snapshot_tasks(asyncio.get_running_loop(), recorder=recorder)}
        info = infos[waiter.get_name()]
        assert (info.parent_id, info.created, info.run_time, info.steps) == (7, 1.5, 0.25, 4)
        assert info.awaiting_ids == (recorder.task_id(task),)
        assert not any(i.is_cell for i in infos.values())  # the recorder says which is the cell
        task.cancel()
        await asyncio.gather(task, waiter, return_exceptions=True)

    asyncio.run(main())


def test_awaiters_of_finds_the_waiting_task_through_gather() -> None:
    async def main() -> None:
        child = asyncio.create_task(forever())
        parent = asyncio.create_task(_await(asyncio.gather(child)))
        await asyncio.sleep(0)
        assert awaiters_of(child) == [parent]
        parent.cancel()
        await asyncio.gather(parent, child, return_exceptions=True)

    asyncio.run(main())


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_an_eager_task_is_described() -> None:
    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)
        task = asyncio.create_task(sleeper(5), name="eager")
        info = snapshot_task(task)
        assert info.state is TaskState.SUSPENDED
        assert info.awaiting.startswith("asyncio.sleep, ")
        task.cancel()

    asyncio.run(main())


class BrokenRecorder(FakeRecorder):
    def stats(self, task: asyncio.Task[Any]) -> Any:
        raise RuntimeError("recorder bug")


def test_a_failure_gives_a_plain_record_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from asyncrepl.instrument import snapshot

    async def main() -> None:
        tasks = [asyncio.create_task(forever(), name=f"t{i}") for i in range(2)]
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        infos = snapshot_tasks(loop, recorder=BrokenRecorder())
        assert {(i.name, i.awaiting) for i in infos if i.name.startswith("t")} == {
            ("t0", "?"),
            ("t1", "?"),
        }
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    snapshot._logged.clear()
    with caplog.at_level("ERROR", logger="asyncrepl"):
        asyncio.run(main())
    assert len(caplog.records) == 1  # three tasks failed, one line in the log
    assert "could not describe task" in caplog.records[0].message
