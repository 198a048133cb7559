"""The recording round's inner loop in C (``_readyrun.c``) records exactly what the Python
loop it stands in for records: the same entries, on a counting clock the same moments, the
same waits, the same task outcomes; and it is built wherever a C compiler is at hand, so
that a failed build cannot pass unseen as the slower loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import gc
import itertools
import logging
import shutil
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asyncrepl import cparts, windows
from asyncrepl.instrument import rounds, unseen, watcher
from asyncrepl.instrument.recorder import Recorder

#: the C loop and the C notes of new tasks and of tasks freed unseen, taken before any test
#: replaces them (None where they were not built)
C_LOOP = rounds.run_ready
FREED_NOTE = unseen.FreedNote
TASK_NOTE = watcher.TaskNote

needs_c_loop = pytest.mark.skipif(C_LOOP is None, reason="the C loop was not built here")

CURRENT: contextvars.ContextVar[str] = contextvars.ContextVar("current", default="-")


def test_the_c_parts_are_built_wherever_a_compiler_is() -> None:
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    header = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if sys.implementation.name != "cpython" or not shutil.which(compiler) or not header.exists():
        pytest.skip(f"no C compiler ({compiler}) or no Python.h: the Python twins run")
    if cparts.PURE_PYTHON:
        pytest.skip("ASYNCREPL_PURE_PYTHON is set: the Python twins run")
    assert C_LOOP is not None, "pip install -e . did not build asyncrepl.instrument._readyrun"
    assert FREED_NOTE is not None, "pip install -e . did not build asyncrepl.instrument._freednote"
    assert TASK_NOTE is not None, "pip install -e . did not build asyncrepl.instrument._tasknote"
    assert windows._c_tally is not None, "pip install -e . did not build asyncrepl._tally"


async def workload(log: list[str]) -> None:
    """Every kind of handle a round runs: task steps and wake-ups (a future, a coroutine of
    asyncio's, a task, a gather, a queue, an event), plain callbacks of several kinds, one
    that raises, a cancelled one, and a pure-Python task's steps."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[int] = asyncio.Queue()
    event = asyncio.Event()

    def note(text: str) -> None:
        log.append(f"{text} in {CURRENT.get()}")

    def boom() -> None:
        raise ValueError("callback bug")

    async def worker(n: int) -> int:
        CURRENT.set(f"worker {n}")
        for i in range(3):
            future = loop.create_future()
            loop.call_soon(future.set_result, i)  # a builtin callback, then a wake-up
            await future
            loop.call_soon(note, f"step {i} of {n}")  # runs in this task's context
            await asyncio.sleep(0)
        await asyncio.sleep(0.001)  # a wait in asyncio's own coroutine
        return n

    async def consumer() -> int:
        total = await queue.get() + await queue.get()
        await event.wait()
        return total

    async def failing() -> None:
        await asyncio.sleep(0)
        raise KeyError("task bug")

    loop.call_soon(functools.partial(note, "partial"))
    loop.call_soon(log.append, "builtin")
    loop.call_soon(boom)
    loop.call_soon(note, "cancelled").cancel()
    pure = asyncio.tasks._PyTask(worker(99), loop=loop, name="pure")  # type: ignore[attr-defined]
    workers = [asyncio.create_task(worker(n), name=f"worker {n}") for n in range(3)]
    taking = asyncio.create_task(consumer(), name="consumer")
    doomed = asyncio.create_task(failing(), name="doomed")
    loop.call_soon(queue.put_nowait, 1)
    loop.call_later(0.002, queue.put_nowait, 2)
    loop.call_later(0.003, event.set)
    log.append(f"gathered {await asyncio.gather(*workers)}")
    log.append(f"awaited {await workers[0]} {await taking} {await pure}")
    with pytest.raises(KeyError):
        await doomed


def record(inner: Callable[[int, tuple[Any, ...]], bool] | None) -> tuple[list[str], Recorder]:
    """Run the workload with the given inner loop, on a counting clock."""
    ticks = itertools.count()
    rec = Recorder(capacity=10_000, clock=lambda: float(next(ticks)))
    log: list[str] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: log.append(repr(context["exception"])))
    original = rounds.run_ready
    rounds.run_ready = inner
    gc.disable()  # the collector's pauses are noted on the same clock
    try:
        assert rec.attach(loop) is None
        loop.run_until_complete(loop.create_task(workload(log), name="main"))
    finally:
        gc.enable()
        rounds.run_ready = original
        rec.detach()
        loop.close()
    return log, rec


def described(rec: Recorder) -> dict[str, Any]:
    """All that was recorded, by task name."""
    finished = {task.id: task for task in rec.finished()}
    names = {task_id: task.name for task_id, task in finished.items()} | {0: "callback"}
    steps = rec.steps()
    return {
        "steps": [
            (names[task_id], start, end)
            for task_id, start, end in zip(steps.task_ids, steps.starts, steps.ends, strict=True)
        ],
        "waits": {
            task.name: [(w.step_start, w.awaited, w.location) for w in rec.suspensions(task.id)]
            for task in finished.values()
        },
        "outcomes": {
            task.name: (task.outcome, task.state, task.steps) for task in finished.values()
        },
    }


@needs_c_loop
def test_the_c_loop_records_what_the_python_loop_records() -> None:
    python_log, python_rec = record(None)
    c_log, c_rec = record(C_LOOP)
    assert c_log == python_log
    assert "ValueError('callback bug')" in c_log and "partial in -" in c_log
    assert "step 2 of 1 in worker 1" in c_log and not any("cancelled" in x for x in c_log)
    python, c = described(python_rec), described(c_rec)
    assert c == python
    waits = {(name, what) for name, found in c["waits"].items() for _, what, _ in found}
    assert {
        ("worker 0", "a Future"),
        ("worker 0", "asyncio.sleep"),
        ("pure", "a Future"),
        ("consumer", "Queue.get()"),
        ("consumer", "Event.wait()"),
        ("main", "asyncio.gather"),
    } <= waits
    assert c["outcomes"]["doomed"][0] == "KeyError: 'task bug'"
    assert c["outcomes"]["pure"][0] == "returned 99"
    assert c["outcomes"]["worker 2"][0] == "returned 2"


@pytest.mark.parametrize("failing_read", [3, 8, 13])
def test_a_failure_of_ours_while_noting_a_wake_up_stops_recording_not_the_loop(
    failing_read: int, caplog: pytest.LogCaptureFixture
) -> None:
    # Wake-ups and the round's other entries in turn: the clock fails at one of them.
    ticks = itertools.count()
    reads = itertools.count()

    def clock() -> float:
        if sys._getframe(1).f_code.co_name == "run_once" and next(reads) == failing_read:
            raise ValueError("clock bug")
        return float(next(ticks))

    async def woken(n: int) -> int:
        loop = asyncio.get_running_loop()
        for i in range(3):
            future = loop.create_future()
            loop.call_soon(future.set_result, i)
            n += await future
        return n

    async def main() -> list[int]:
        return await asyncio.gather(*(woken(n) for n in range(3)))

    rec = Recorder(clock=clock)
    loop = asyncio.new_event_loop()
    gc.disable()
    try:
        assert rec.attach(loop) is None
        with caplog.at_level(logging.ERROR, logger="asyncrepl"):
            assert loop.run_until_complete(main()) == [3, 4, 5]
    finally:
        gc.enable()
        rec.detach()
        loop.close()
    assert [r.getMessage() for r in caplog.records] == [
        "asyncrepl: the loop recorder failed and is switched off"
    ]


@needs_c_loop
def test_ctrl_c_in_a_callback_leaves_the_rest_of_the_round_for_later() -> None:
    loop = asyncio.new_event_loop()
    rec = Recorder()
    log: list[str] = []

    def interrupt() -> None:
        raise KeyboardInterrupt

    try:
        assert rec.attach(loop) is None
        loop.call_soon(log.append, "first")
        loop.call_soon(interrupt)
        loop.call_soon(log.append, "after")
        with pytest.raises(KeyboardInterrupt):
            loop.run_forever()
        loop.call_soon(loop.stop)
        loop.run_forever()
    finally:
        rec.detach()
        loop.close()
    assert log == ["first", "after"]
