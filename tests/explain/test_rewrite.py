"""The corrections written on the user's own line."""

from __future__ import annotations

import asyncio
import time

import pytest

from asyncrepl.explain import rewrite as rw


async def main() -> None:
    return None


NAMES: dict[str, object] = {"main": main, "asyncio": asyncio, "time": time}


@pytest.mark.parametrize(
    ("fix", "line", "expected"),
    [
        (rw.async_for, "    for i in gen(10):", "    async for i in gen(10):"),
        (rw.async_for, "x = [i for i in gen(3)]", "x = [i async for i in gen(3)]"),
        (rw.plain_for, "async for x in [1]:", "for x in [1]:"),
        (rw.async_with, "  with lock:", "  async with lock:"),
        (rw.plain_with, "async with open(p) as f:", "with open(p) as f:"),
        (rw.run_to_await, "x = asyncio.run(main())", "x = await main()"),
        (rw.run_to_await, "loop.run_until_complete(main())", "await main()"),
        (rw.await_coroutine_calls, "r = main() + 1", "r = await main() + 1"),
        (rw.await_coroutine_calls, 'r = main()["a"]', 'r = (await main())["a"]'),
        (rw.await_coroutine_calls, "print(main())", "print(await main())"),
        (rw.sleep_to_asyncio, "    time.sleep(1)", "    await asyncio.sleep(1)"),
        (rw.sleep_to_asyncio, "await time.sleep(0.5)", "await asyncio.sleep(0.5)"),
        (rw.await_result, "print(fut.result())", "print(await fut)"),
        (rw.drop_await, "n = await len(x)", "n = len(x)"),
        (
            rw.add_return_exceptions,
            "await asyncio.gather()",
            "await asyncio.gather(return_exceptions=True)",
        ),
        (rw.wait_with_timeout, "    await fut", "    await asyncio.wait_for(fut, timeout=5)"),
    ],
)
def test_line_corrected(fix: rw.RewriteFn, line: str, expected: str) -> None:
    assert fix([line], 0, NAMES) == expected


@pytest.mark.parametrize(
    ("fix", "line"),
    [
        (rw.async_for, "async for i in gen():"),
        (rw.await_coroutine_calls, "await main()"),
        (rw.await_coroutine_calls, "len(x)"),
        (rw.sleep_to_asyncio, "await asyncio.sleep(1)"),
        (rw.run_to_await, "this is not python ("),
    ],
)
def test_nothing_to_correct(fix: rw.RewriteFn, line: str) -> None:
    assert fix([line], 0, NAMES) is None


def test_enclosing_def_becomes_async() -> None:
    lines = ["def f():", "    if x:", "        await g()"]
    assert rw.enclosing_def_async(lines, 2, {}) == "async def f():\n    ...\n        await g()"
    assert rw.enclosing_def_async(["async def f():", "    await g()"], 1, {}) is None


def test_wrap_try_keeps_indentation() -> None:
    fix = rw.wrap_try("TimeoutError", "pass")
    assert fix(["  await x"], 0, {}) == "  try:\n      await x\n  except TimeoutError:\n      pass"


def test_coroutine_fixed_where_it_was_made() -> None:
    coro = main()
    lines = ["data = main()", "print(data['a'])"]
    try:
        assert rw.await_where_made(lines, 1, {"data": coro, "main": main}) == (
            "data = await main()\nprint(data['a'])"
        )
    finally:
        coro.close()
