"""The recording round does what asyncio's own round does: the same callbacks in the same
order, timers, I/O, cancelled timers, errors, Ctrl-C, debug mode. Each scenario runs on a
plain loop and on a recorded one, and the two must agree."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import pytest

from asyncrepl.instrument.recorder import Recorder

Scenario = Callable[[asyncio.AbstractEventLoop, list[str]], None]


def on_both(scenario: Scenario) -> tuple[list[str], list[str], Recorder]:
    """What ``scenario`` logged on a plain loop and on a recorded loop."""
    logs: list[list[str]] = []
    rec = Recorder()
    for recorded in (False, True):
        loop = asyncio.new_event_loop()
        log: list[str] = []
        try:
            if recorded:
                assert rec.attach(loop) is None
                assert rec.steps() == []
            scenario(loop, log)
        finally:
            rec.detach()
            loop.close()
        logs.append(log)
    return logs[0], logs[1], rec


def test_callbacks_timers_and_tasks_run_in_asyncio_order() -> None:
    def scenario(loop: asyncio.AbstractEventLoop, log: list[str]) -> None:
        def soon(name: str, again: bool = False) -> None:
            log.append(name)
            if again:
                loop.call_soon(soon, name + "+")

        async def sleeper(name: str, delay: float) -> None:
            log.append(f"{name} starts")
            await asyncio.sleep(delay)
            log.append(f"{name} wakes")

        async def main() -> None:
            loop.call_soon(soon, "a", True)
            loop.call_soon(soon, "b")
            # Gaps of 40 ms and more: a busy machine may start a round late, but not by that.
            loop.call_later(0.1, soon, "late")
            loop.call_later(0.02, soon, "early")
            loop.call_later(0.03, soon, "cancelled").cancel()
            now = loop.time()
            loop.call_at(now + 0.005, soon, "tie-1")
            loop.call_at(now + 0.005, soon, "tie-2")
            await asyncio.gather(sleeper("x", 0.06), sleeper("y", 0))
            await asyncio.sleep(0.1)

        loop.run_until_complete(main())

    plain, recorded, rec = on_both(scenario)
    assert recorded == plain
    assert "cancelled" not in plain and plain.index("tie-1") < plain.index("tie-2")
    assert len(rec.steps()) > len(plain)


def test_many_cancelled_timers_are_dropped_as_asyncio_drops_them() -> None:
    def scenario(loop: asyncio.AbstractEventLoop, log: list[str]) -> None:
        async def main() -> None:
            timers = [loop.call_later(100 + n, print) for n in range(200)]
            for timer in timers[50:]:  # not at the head of the heap: dropped in bulk
                timer.cancel()
            await asyncio.sleep(0)
            log.append(f"{len(loop._scheduled)} timers kept")  # type: ignore[attr-defined]
            for timer in timers[:50]:
                timer.cancel()

        loop.run_until_complete(main())

    plain, recorded, _ = on_both(scenario)
    assert recorded == plain == ["50 timers kept"]


def test_io_callbacks_and_threadsafe_wakeups() -> None:
    def scenario(loop: asyncio.AbstractEventLoop, log: list[str]) -> None:
        reader, writer = socket.socketpair()
        done = loop.create_future()

        def readable() -> None:
            log.append(f"read {reader.recv(10)!r}")
            loop.remove_reader(reader)
            done.set_result(None)

        def from_thread() -> None:
            log.append("from thread")
            writer.send(b"ping")

        loop.add_reader(reader, readable)
        thread = threading.Thread(target=loop.call_soon_threadsafe, args=(from_thread,))
        try:
            thread.start()
            loop.run_until_complete(asyncio.wait_for(done, 5))
        finally:
            thread.join()
            reader.close()
            writer.close()

    plain, recorded, _ = on_both(scenario)
    assert recorded == plain == ["from thread", "read b'ping'"]


def test_a_raising_callback_goes_to_the_exception_handler() -> None:
    def scenario(loop: asyncio.AbstractEventLoop, log: list[str]) -> None:
        def boom() -> None:
            raise ValueError("callback bug")

        def handler(_loop: Any, context: dict[str, Any]) -> None:
            log.append(f"{context['message'].split(' at ')[0]}: {context['exception']!r}")

        loop.set_exception_handler(handler)
        loop.call_soon(boom)
        loop.run_until_complete(asyncio.sleep(0.001))

    plain, recorded, _ = on_both(scenario)
    assert recorded == plain
    assert len(plain) == 1
    assert plain[0].startswith("Exception in callback ")
    assert plain[0].endswith(".boom(): ValueError('callback bug')")


def test_keyboard_interrupt_leaves_the_rest_of_the_round_for_later() -> None:
    def scenario(loop: asyncio.AbstractEventLoop, log: list[str]) -> None:
        def interrupt() -> None:
            log.append("interrupt")
            raise KeyboardInterrupt

        loop.call_soon(log.append, "first")
        loop.call_soon(interrupt)
        loop.call_soon(log.append, "after")
        with pytest.raises(KeyboardInterrupt):
            loop.run_forever()
        log.append("caught")
        loop.call_soon(loop.stop)
        loop.run_forever()

    plain, recorded, _ = on_both(scenario)
    assert recorded == plain == ["first", "interrupt", "caught", "after"]


def test_debug_mode_still_warns_about_slow_callbacks(caplog: Any) -> None:
    def scenario(loop: asyncio.AbstractEventLoop, log: list[str]) -> None:
        def slow() -> None:
            log.append(f"current handle set: {loop._current_handle is not None}")  # type: ignore[attr-defined]

        loop.set_debug(True)
        loop.slow_callback_duration = 0.0
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="asyncio"):
            loop.call_soon(slow)
            loop.run_until_complete(asyncio.sleep(0))
        log.extend(
            r.getMessage().split(" at ")[0]
            for r in caplog.records
            if "slow" in r.getMessage() and "Executing" in r.getMessage()
        )

    plain, recorded, rec = on_both(scenario)
    assert recorded == plain
    assert plain[0] == "current handle set: True" and plain[1].startswith("Executing <Handle")
    assert rec.steps()  # recorded all the same


def test_a_loop_nobody_records_runs_as_asyncio_runs_it() -> None:
    rec = Recorder()
    watched, other = asyncio.new_event_loop(), asyncio.new_event_loop()
    try:
        assert rec.attach(watched) is None
        task = other.create_task(asyncio.sleep(0, "done"))
        assert type(task) is asyncio.Task  # not asyncrepl's: this loop is not recorded
        assert other.run_until_complete(task) == "done"
        watched.run_until_complete(asyncio.sleep(0))
        assert rec.steps() and rec.task_id(task) not in {s.task_id for s in rec.steps()}
    finally:
        rec.detach()
        watched.close()
        other.close()
