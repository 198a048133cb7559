"""What tasks waited for: noted as each wait ends, on real loops, and the ring that keeps them."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from asyncrepl.api import recording
from asyncrepl.instrument import rounds
from asyncrepl.instrument.recorder import Recorder
from asyncrepl.instrument.waits import FIRST_SIZE, FUTURE, GATHER, WaitLog
from asyncrepl.records import Suspension


def run(main: Coroutine[Any, Any, Any], *, debug: bool = False) -> Recorder:
    """Run ``main`` as task 'main' on a fresh loop under a new recorder."""
    rec = Recorder(capacity=4096)
    loop = asyncio.new_event_loop()
    loop.set_debug(debug)
    try:
        assert rec.attach(loop) is None
        loop.run_until_complete(loop.create_task(main, name="main"))
    finally:
        rec.detach()
        loop.close()
    return rec


def line_of(text: str) -> int:
    """The line of this file that contains ``text``."""
    with open(__file__, encoding="utf-8") as source:
        return next(n for n, line in enumerate(source, 1) if text in line)


def described(waits: list[Suspension]) -> list[tuple[int | None, str]]:
    return [(w.location.lineno if w.location else None, w.awaited) for w in waits]


async def print_values(values: list[int], delay: float) -> None:
    for _ in values:
        await asyncio.sleep(delay)  # the tutorial's wait


async def helper() -> None:
    await asyncio.sleep(0.001)


async def yielder() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def waits_for_others() -> None:
    one = asyncio.create_task(print_values([1, 3], 0.001), name="one")
    await one  # waits for a task
    await asyncio.gather(print_values([1], 0.001), yielder())  # waits for a gather
    queue: asyncio.Queue[int] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    loop.call_soon(queue.put_nowait, 1)
    await queue.get()  # waits in Queue.get
    future = loop.create_future()
    loop.call_soon(future.set_result, 1)
    await future  # waits for a bare future
    await helper()  # waits in a coroutine of its own


async def values_task() -> None:
    await asyncio.create_task(print_values([1, 3, 5], 0.001), name="values")


@pytest.mark.parametrize("debug", [False, True], ids=["fast round", "careful round"])
def test_each_wait_names_the_await_line_and_what_it_waited_for(debug: bool) -> None:
    rec = run(values_task(), debug=debug)
    waits = rec.suspensions(next(t for t in rec.finished() if t.name == "values").id)
    assert described(waits) == [(line_of("# the tutorial's wait"), "asyncio.sleep")] * 3
    assert waits[0].location is not None
    assert waits[0].location.source == "await asyncio.sleep(delay)  # the tutorial's wait"
    assert [w.step_start for w in waits] == sorted(w.step_start for w in waits)


@pytest.mark.parametrize("read", ["task._coro", "task.get_coro()"])
def test_waits_for_a_task_a_gather_a_queue_a_future_and_a_helper(
    read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The round reads the coroutine through the C Task's _coro field where it has one, else
    # by asking the task: both note the same waits.
    if read == "task.get_coro()":
        monkeypatch.setattr(rounds, "_WAIT_FIELDS", rounds._coro_wait_fields)
    else:
        assert rounds._WAIT_FIELDS is not rounds._coro_wait_fields  # 3.11 to 3.13 have it
    rec = run(waits_for_others())
    waits = rec.suspensions(next(t for t in rec.finished() if t.name == "main").id)
    assert described(waits) == [
        (line_of("# waits for a task"), "Task 'one'"),
        (line_of("# waits for a gather"), "asyncio.gather"),
        (line_of("# waits in Queue.get"), "Queue.get()"),
        (line_of("# waits for a bare future"), "a Future"),
        (line_of("# waits in a coroutine of its own"), "helper()"),
    ]


def test_a_step_that_only_yields_is_not_a_wait() -> None:
    rec = run(yielder())
    main = next(t for t in rec.finished() if t.name == "main")
    assert main.steps == 6 and rec.suspensions(main.id) == []


def test_the_export_says_what_woke_a_step(tmp_path: Path) -> None:
    with recording() as rec:
        asyncio.run(print_values([1, 3], 0.001))
    written = rec.export(tmp_path / "trace.json")
    events = json.loads(written.read_text())["traceEvents"]
    woken = [
        e["args"]["woken after waiting for"]
        for e in events
        if e.get("cat") == "step" and "woken after waiting for" in e.get("args", {})
    ]
    line = line_of("# the tutorial's wait")
    source = "await asyncio.sleep(delay)  # the tutorial's wait"
    assert woken == [f"asyncio.sleep at {os.path.relpath(__file__)}:{line}: {source}"] * 2


def test_the_log_keeps_the_newest_waits_across_the_wrap() -> None:
    log = WaitLog(4)
    for n in range(6):  # two batches, the second wrapping around
        log.extend([float(n), 7 if n % 2 else 8, 10 * n, FUTURE])
    assert len(log) == 4 and log.written == 6
    assert log.of_task(7) == [(3.0, 30, FUTURE), (5.0, 50, FUTURE)]
    assert log.of_task(8) == [(2.0, 20, FUTURE), (4.0, 40, FUTURE)]
    assert [w[0] for w in log.between(3.0, 4.5)] == [3.0, 4.0]
    log.extend([float(n) for n in range(100, 120)])  # five waits at once: the newest four
    assert [w[0] for w in log.between(0.0, 1000.0)] == [104.0, 108.0, 112.0, 116.0]
    assert log.of_task(GATHER) == []


def test_a_large_log_grows_as_it_fills_then_wraps() -> None:
    capacity = 3 * FIRST_SIZE
    log = WaitLog(capacity)
    assert len(log.values) == 4 * FIRST_SIZE  # a fresh log costs little
    count = capacity + 5
    for start in range(0, count, 500):
        log.extend([x for n in range(start, min(count, start + 500)) for x in (n, 7, n, FUTURE)])
    assert len(log.values) == 4 * capacity and len(log) == capacity
    assert [w[0] for w in log.between(0.0, count)] == [float(n) for n in range(5, count)]
    assert log.of_task(7)[0] == (5.0, 5, FUTURE)


def test_waits_of_pure_python_tasks_from_a_task_factory() -> None:
    rec = Recorder(capacity=4096)
    found: list[Suspension] = []

    async def main() -> None:
        task = asyncio.create_task(print_values([1, 3, 5], 0.001))
        await task
        found.extend(rec.suspensions(task))

    loop = asyncio.new_event_loop()
    python_task: Any = getattr(asyncio.tasks, "_PyTask", asyncio.Task)
    loop.set_task_factory(lambda loop, coro, **kw: python_task(coro, loop=loop, **kw))
    try:
        assert rec.attach(loop) is None
        loop.run_until_complete(main())
    finally:
        rec.detach()
        loop.close()
    assert described(found) == [(line_of("# the tutorial's wait"), "asyncio.sleep")] * 3
