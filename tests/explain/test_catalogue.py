"""Every catalogue entry is reachable, and each error it claims to cover is the real one: each
snippet runs real code and feeds the real exception, warning or loop message to the catalogue."""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from asyncrepl.explain import (
    ENTRIES,
    Explanation,
    entry,
    explain_exception,
    explain_loop_error,
    explain_warning,
)

Snippet = Callable[[], Explanation | None]


def raised(coro_fn: Callable[[], Any]) -> BaseException:
    """Run ``coro_fn()`` on a fresh loop and return what it raised."""
    try:
        asyncio.run(coro_fn())
    except BaseException as exc:  # the point is to catch everything it raises
        return exc
    raise AssertionError("the snippet did not raise")


def explained(coro_fn: Callable[[], Any]) -> Explanation | None:
    return explain_exception(raised(coro_fn))


async def agen() -> Any:
    yield 1


class SyncCM:
    def __enter__(self) -> SyncCM:
        return self

    def __exit__(self, *args: object) -> None:
        return None


class AsyncCM:
    async def __aenter__(self) -> AsyncCM:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


class Ticker:
    def __aiter__(self) -> Ticker:
        return self

    async def __anext__(self) -> int:
        raise StopAsyncIteration


async def fetch() -> dict[str, int]:
    return {"a": 1}


async def boom() -> None:
    raise ValueError("boom")


# -- the snippets, one per entry -------------------------------------------------------


def unawaited() -> Explanation | None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fetch()  # the mistake itself
        gc.collect()
    found = [w for w in caught if "never awaited" in str(w.message)]
    assert found, "no 'never awaited' warning was produced"
    return explain_warning(str(found[0].message), found[0].category, source="fetch()\n")


def coroutine_as_value() -> Explanation | None:
    async def main() -> int:
        data = fetch()
        return data["a"]  # the mistake under test

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = explained(main)
        gc.collect()  # the coroutine object dies here, with its warning ignored
    return found


def run_in_loop() -> Explanation | None:
    async def main() -> None:
        asyncio.run(fetch())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        found = explained(main)
        gc.collect()  # the coroutine object dies here, with its warning ignored
    return found


def for_over_agen() -> Explanation | None:
    async def main() -> None:
        for _ in agen():  # the tutorial's ❌ example
            pass

    return explained(main)


def for_over_async_iterable() -> Explanation | None:
    async def main() -> None:
        for _ in Ticker():
            pass

    return explained(main)


def async_for_over_list() -> Explanation | None:
    async def main() -> None:
        async for _ in [1, 2]:
            pass

    return explained(main)


def async_with_sync() -> Explanation | None:
    async def main() -> None:
        async with SyncCM():
            pass

    return explained(main)


def with_async() -> Explanation | None:
    async def main() -> None:
        with AsyncCM():
            pass

    return explained(main)


def await_time_sleep() -> Explanation | None:
    async def main() -> None:
        await time.sleep(0)

    return explained(main)


def not_awaitable() -> Explanation | None:
    async def main() -> None:
        await len([1])

    return explained(main)


def syntax_error_explained(source: str, filename: str = "<cell>") -> Explanation | None:
    """Compile ``source`` as Python does and explain the SyntaxError it raises."""
    try:
        compile(source, filename, "exec")
    except SyntaxError as exc:
        return explain_exception(exc, source=source)
    raise AssertionError("compiled")


def await_outside_async() -> Explanation | None:
    return syntax_error_explained("def main():\n    x = 1\n    await asyncio.sleep(x)\n")


def await_with_autoawait_off() -> Explanation | None:
    # A cell's top level with `%autoawait off`: IPython compiles the cell as plain code.
    return syntax_error_explained("x = 1\nawait asyncio.sleep(x)\n")


def await_in_script() -> Explanation | None:
    source = "import asyncio\n\nasync def main():\n    pass\n\nawait main()\n"
    return syntax_error_explained(source, "/project/app.py")


def no_running_loop() -> Explanation | None:
    try:
        asyncio.get_running_loop()
    except RuntimeError as exc:
        return explain_exception(exc)
    raise AssertionError("a loop was running")


def reused() -> Explanation | None:
    async def main() -> None:
        coro = fetch()
        await coro
        await coro

    return explained(main)


def never_retrieved() -> Explanation | None:
    contexts: list[dict[str, Any]] = []

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, c: contexts.append(c))
        task = asyncio.create_task(boom())
        await asyncio.sleep(0.01)
        del task
        gc.collect()

    asyncio.run(main())
    assert contexts, "the loop reported nothing"
    return explain_loop_error(contexts[0])


def destroyed_pending() -> Explanation | None:
    contexts: list[dict[str, Any]] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, c: contexts.append(c))

    async def main() -> None:
        asyncio.create_task(asyncio.sleep(10))  # noqa: RUF006  # left pending on purpose
        await asyncio.sleep(0)

    loop.run_until_complete(main())
    loop.close()
    gc.collect()
    assert contexts, "the loop reported nothing"
    return explain_warning(str(contexts[0]["message"]), RuntimeWarning)


def garbage_collected() -> Explanation | None:
    found: list[Explanation | None] = []

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        found.append(explain_loop_error(context))

    async def waits_forever() -> None:
        await asyncio.get_running_loop().create_future()  # nothing else refers to it

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(handler)
        asyncio.create_task(waits_forever())  # noqa: RUF006  # the mistake under test
        await asyncio.sleep(0.01)
        gc.collect()  # the loop still runs: the task goes because nothing held it

    asyncio.run(main())
    assert found, "the task was not collected"
    return found[0]


def awaits_itself() -> Explanation | None:
    async def main() -> None:
        await asyncio.current_task()

    return explained(main)


def future_never_set() -> Explanation | None:
    async def stuck() -> None:
        fut = asyncio.get_running_loop().create_future()
        await fut

    async def main() -> None:
        task = asyncio.create_task(stuck())
        await asyncio.sleep(0.01)
        task.cancel()  # what Ctrl-C does to a stuck cell
        await task

    return explained(main)


def cancelled() -> Explanation | None:
    async def main() -> None:
        task = asyncio.create_task(asyncio.sleep(10))
        await asyncio.sleep(0)
        task.cancel("stopped by the test")
        await task

    return explained(main)


def wait_for_timeout() -> Explanation | None:
    async def main() -> None:
        await asyncio.wait_for(asyncio.sleep(1), 0.01)

    return explained(main)


def invalid_state() -> Explanation | None:
    async def main() -> None:
        fut = asyncio.get_running_loop().create_future()
        print(fut.result())

    return explained(main)


def gather_exception() -> Explanation | None:
    async def main() -> None:
        await asyncio.gather(boom(), asyncio.sleep(0))

    return explained(main)


def taskgroup() -> Explanation | None:
    async def main() -> None:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(boom())

    return explained(main)


def blocking_call() -> Explanation | None:
    from asyncrepl.explain import explain_block
    from asyncrepl.records import BlockReport, Location

    # A real block report is the watchdog's; the record is plain data, so build one.
    where = Location("<cell 3>", 2, "<cell 3>:2", "data = requests.get(url)")
    return explain_block(
        BlockReport("AR201", "loop-blocked", 0.0, 1.5, "Task-1", where, "requests.get(url)")
    )


def many_tasks_at_once() -> Explanation | None:
    from asyncrepl.explain import explain_block
    from asyncrepl.records import BlockReport, Location

    # The watchdog names the function called; asyncio's own means asyncio was busy.
    where = Location("<cell 3>", 2, "<cell 3>:2", "await asyncio.gather(*coros)")
    return explain_block(
        BlockReport(
            "AR201",
            "loop-blocked",
            0.0,
            0.3,
            "Task-1",
            where,
            "asyncio.gather(*coros)",
            callee="asyncio.tasks.gather",
        )
    )


def await_function() -> Explanation | None:
    async def main() -> None:
        await fetch  # type: ignore[misc]  # the learner's mistake: no parentheses

    return explained(main)


def await_async_generator() -> Explanation | None:
    async def main() -> None:
        await agen()  # type: ignore[misc]

    return explained(main)


def wait_coroutines() -> Explanation | None:
    async def main() -> None:
        coros = [fetch(), fetch()]
        try:
            await asyncio.wait(coros)  # type: ignore[type-var]
        finally:
            for coro in coros:
                coro.close()

    return explained(main)


def coroutine_function_given() -> Explanation | None:
    async def main() -> None:
        asyncio.create_task(fetch)  # type: ignore[arg-type]  # noqa: RUF006

    return explained(main)


def gather_list() -> Explanation | None:
    async def main() -> None:
        coros = [fetch(), fetch()]
        try:
            await asyncio.gather(coros)  # type: ignore[arg-type]
        finally:
            for coro in coros:
                coro.close()

    return explained(main)


def next_on_async_generator() -> Explanation | None:
    async def main() -> None:
        next(agen())  # type: ignore[call-overload]

    return explained(main)


SNIPPETS: dict[str, Snippet] = {
    "unawaited-coroutine": unawaited,
    "coroutine-as-value": coroutine_as_value,
    "asyncio-run-in-loop": run_in_loop,
    "for-over-async-iterable": for_over_agen,
    "async-for-over-iterable": async_for_over_list,
    "async-with-sync-cm": async_with_sync,
    "with-async-cm": with_async,
    "time-sleep": await_time_sleep,
    "not-awaitable": not_awaitable,
    "await-outside-async": await_outside_async,
    "await-autoawait-off": await_with_autoawait_off,
    "await-in-script": await_in_script,
    "no-running-loop": no_running_loop,
    "reused-coroutine": reused,
    "task-exception-never-retrieved": never_retrieved,
    "task-destroyed-pending": destroyed_pending,
    "task-garbage-collected": garbage_collected,
    "task-awaits-itself": awaits_itself,
    "future-never-set": future_never_set,
    "cancelled": cancelled,
    "timeout": wait_for_timeout,
    "invalid-state": invalid_state,
    "gather-exception": gather_exception,
    "taskgroup-errors": taskgroup,
    "blocking-call": blocking_call,
    "many-tasks-at-once": many_tasks_at_once,
    "await-function": await_function,
    "await-async-generator": await_async_generator,
    "wait-coroutines": wait_coroutines,
    "coroutine-function-given": coroutine_function_given,
    "gather-list": gather_list,
    "next-on-async-generator": next_on_async_generator,
}
#: Entries reached through a note asyncrepl prints, not an error: tested with the magic.
BY_HINT = {"asyncio-run-awaited"}


def test_every_entry_has_a_snippet() -> None:
    keys = {item.key for item in ENTRIES}
    assert keys == set(SNIPPETS) | BY_HINT


def test_keys_are_unique_and_entries_complete() -> None:
    keys = [item.key for item in ENTRIES]
    assert len(keys) == len(set(keys))
    for item in ENTRIES:
        assert item.title and item.what and item.why and item.fix and item.example, item.key


@pytest.mark.parametrize("key", sorted(SNIPPETS))
def test_real_error_reaches_its_entry(key: str) -> None:
    found = SNIPPETS[key]()
    assert found is not None, f"{key}: the real error was not recognised"
    assert found.key == key
    assert entry(key) is not None


@pytest.mark.parametrize(
    ("snippet", "fixed"),
    [
        (for_over_agen, "async for _ in agen():"),
        (for_over_async_iterable, "async for _ in Ticker():"),
        (async_for_over_list, "for _ in [1, 2]:"),
        (async_with_sync, "with SyncCM():"),
        (with_async, "async with AsyncCM():"),
        (await_time_sleep, "await asyncio.sleep(0)"),
        (not_awaitable, "len([1])"),
        (coroutine_as_value, 'data = await fetch()\nreturn data["a"]'),
        (run_in_loop, "await fetch()"),
        (invalid_state, "print(await fut)"),
        (
            gather_exception,
            "await asyncio.gather(boom(), asyncio.sleep(0), return_exceptions=True)",
        ),
        (future_never_set, "await asyncio.wait_for(fut, timeout=5)"),
        (unawaited, "await fetch()"),
    ],
)
def test_fix_is_the_users_own_line_corrected(snippet: Snippet, fixed: str) -> None:
    found = snippet()
    assert found is not None
    assert not found.code_is_example
    lines = [line.split("  #")[0].strip() for line in found.code.splitlines()]
    assert "\n".join(lines) == fixed


def test_where_is_the_users_line() -> None:
    found = for_over_agen()
    assert found is not None and found.where is not None
    assert found.where.source == "for _ in agen():  # the tutorial's ❌ example"
    assert found.where.label.startswith("test_catalogue.py:")


def test_await_outside_async_makes_the_def_async() -> None:
    found = await_outside_async()
    assert found is not None
    assert found.code == "async def main():\n    ...\n    await asyncio.sleep(x)"


def test_taskgroup_lists_the_errors_and_catches_them_with_except_star() -> None:
    found = taskgroup()
    assert found is not None
    assert found.details[0].startswith("`ValueError: boom` at test_catalogue.py:")
    assert "except* ValueError as group:" in found.code


def test_cancel_message_is_shown() -> None:
    found = cancelled()
    assert found is not None
    assert found.details == ("Cancelled with the message 'stopped by the test'.",)


def test_timeout_from_asyncio_timeout_too() -> None:
    async def main() -> None:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)

    found = explained(main)
    assert found is not None and found.key == "timeout"


def test_gather_with_return_exceptions_hands_back_the_error() -> None:
    """With ``return_exceptions=True`` nothing is raised: the fix really works."""

    async def main() -> list[Any]:
        return await asyncio.gather(boom(), asyncio.sleep(0, "ok"), return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[0], ValueError) and results[1] == "ok"


@pytest.mark.parametrize(
    "exc",
    [ValueError("x"), KeyError("k"), TimeoutError("socket"), RuntimeError("other")],
    ids=repr,
)
def test_errors_that_are_not_asyncio_are_not_claimed(exc: BaseException) -> None:
    try:
        raise exc
    except BaseException as caught:
        assert explain_exception(caught) is None


def test_unknown_warning_is_not_claimed() -> None:
    assert explain_warning("something else", DeprecationWarning) is None


def test_explaining_an_error_is_cheap() -> None:
    """The shell asks about every error: it must not cost more than a traceback."""
    exc = raised(lambda: for_over_agen_coro())
    start = time.perf_counter()
    for _ in range(100):
        explain_exception(exc)
    assert (time.perf_counter() - start) / 100 < 0.005


async def for_over_agen_coro() -> None:
    for _ in agen():
        pass
