"""``%explain EXPR`` on real objects, inspected from inside a running loop."""

from __future__ import annotations

import asyncio
from typing import Any

from asyncrepl.explain import explain_object


async def print_something() -> str:
    await asyncio.sleep(10)
    return "finished"


async def gen(n: int) -> Any:
    for i in range(n):
        yield i
        await asyncio.sleep(0)


def test_coroutine_function_versus_its_coroutine() -> None:
    found = explain_object(print_something, "print_something")
    assert found.title == "`print_something`: a coroutine function"
    assert "Signature: `async def print_something()`" in found.details
    coro = print_something()
    try:
        found = explain_object(coro, "c")
        assert found.title == "`c`: a coroutine (not started)"
        assert "await c" in found.why
    finally:
        coro.close()
    assert explain_object(coro, "c").title == "`c`: a coroutine (finished)"


def test_task_states_and_what_it_awaits() -> None:
    async def main() -> tuple[str, str, str]:
        task = asyncio.create_task(print_something(), name="worker")
        await asyncio.sleep(0)
        pending = explain_object(task, "task")
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        done = explain_object(task, "task")
        return pending.what, "\n".join(pending.details), done.what

    pending, details, done = asyncio.run(main())
    assert "named 'worker'" in pending and "suspended, waiting for asyncio.sleep" in pending
    assert "test_objects.py" in details and "await asyncio.sleep(10)" in details
    assert "It is cancelled" in done


def test_future_pending_and_done() -> None:
    async def main() -> tuple[str, str]:
        fut = asyncio.get_running_loop().create_future()
        before = explain_object(fut, "fut").what
        fut.set_result([1, 2])
        return before, explain_object(fut, "fut").what

    before, after = asyncio.run(main())
    assert "It is pending" in before
    assert "its result is [1, 2]" in after


def test_async_generator_and_its_function() -> None:
    assert "async for x in gen(...)" in explain_object(gen, "gen").what

    async def main() -> str:
        agen = gen(3)
        await agen.__anext__()
        try:
            return explain_object(agen, "agen").what
        finally:
            await agen.aclose()

    assert "paused after a `yield`" in asyncio.run(main())


def test_the_running_loop() -> None:
    async def main() -> Any:
        asyncio.get_running_loop().call_later(5, print)
        keep = asyncio.create_task(asyncio.sleep(1), name="sleeper")
        found = explain_object(asyncio.get_running_loop(), "loop")
        keep.cancel()
        return found

    found = asyncio.run(main())
    assert "running" in found.what
    assert any("'sleeper'" in line for line in found.details)
    assert any("1 timer(s)" in line or "2 timer(s)" in line for line in found.details)


def test_primitives_show_their_state() -> None:
    async def main() -> tuple[str, str]:
        lock = asyncio.Lock()
        await lock.acquire()
        queue: asyncio.Queue[int] = asyncio.Queue()
        queue.put_nowait(1)
        return explain_object(lock, "lock").what, explain_object(queue, "q").what

    lock, queue = asyncio.run(main())
    assert "locked" in lock and "1 item(s) waiting" in queue


def test_plain_values_and_functions() -> None:
    assert "not an asyncio object" in explain_object(3, "n").what
    assert explain_object(len, "len").title == "`len`: a plain function"
    assert "to_thread" in explain_object(test_plain_values_and_functions, "f").what
    assert explain_object(asyncio.gather, "asyncio.gather").title.endswith("an asyncio function")
