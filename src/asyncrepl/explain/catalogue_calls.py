"""More of the catalogue: calls written the wrong way round (a function awaited instead of its
coroutine, coroutines given to ``asyncio.wait``, a list to ``gather``, ``next`` on an async
generator), and a coroutine made in a plain ``def``."""

from __future__ import annotations

from asyncrepl.explain import callfixes as cf
from asyncrepl.explain.entries import Entry, Pattern

__all__ = ["CALL_ENTRIES"]

CALL_ENTRIES: tuple[Entry, ...] = (
    Entry(
        key="await-function",
        title="await on a function, not on a call",
        what="You wrote `await` before a function without calling it, so `await` got the "
        "function object itself.",
        why="`await` needs a coroutine, and a coroutine is what you get when you *call* an "
        "`async def` function. The function object is not awaitable: add the parentheses.",
        fix="Call the function: `await print_something()`.",
        example="await print_something()",
        rewrite=cf.call_the_function,
    ),
    Entry(
        key="await-async-generator",
        title="await on an async generator",
        what="You used `await` on an async generator; it gives many values, so it cannot be "
        "awaited as one.",
        why="An async generator (an `async def` with `yield`) is stepped through with "
        "`async for`, which awaits each value in turn.",
        fix="Use `async for`, or a list comprehension with `async for` to collect the values.",
        example="items = [item async for item in gen(3)]",
        rewrite=cf.await_gives_items,
    ),
    Entry(
        key="wait-coroutines",
        title="asyncio.wait() given coroutines",
        what="You passed coroutines to `asyncio.wait()`, which takes tasks (or futures).",
        why="`asyncio.wait()` returns the sets of done and pending *tasks*, so you can look at "
        "each one. It no longer wraps coroutines in tasks for you (since Python 3.11).",
        fix="Make each coroutine a task with `asyncio.create_task()`, or use `gather()` if "
        "you just want the results.",
        example="done, pending = await asyncio.wait([asyncio.create_task(a()), "
        "asyncio.create_task(b())])",
        patterns=(Pattern(("TypeError",), r"Passing coroutines is forbidden"),),
        rewrite=cf.tasks_for_wait,
    ),
    Entry(
        key="coroutine-function-given",
        title="A coroutine function where a coroutine was expected",
        what="You passed the function itself (`main`) where asyncio wanted the coroutine you "
        "get by calling it (`main()`).",
        why="`asyncio.create_task()`, `asyncio.run()` and `gather()` run coroutine objects. "
        "Calling an `async def` function makes one; the function alone is only the recipe.",
        fix="Call the function: `asyncio.create_task(main())`.",
        example="task = asyncio.create_task(main())",
        patterns=(
            Pattern(
                ("TypeError", "ValueError"),
                r"a coroutine was expected, got <function"
                r"|An asyncio\.Future, a coroutine or an awaitable is required",
            ),
        ),
        rewrite=cf.call_the_function_given,
    ),
    Entry(
        key="gather-list",
        title="asyncio.gather() given a list",
        what="You passed one list to `asyncio.gather()`, which takes the awaitables themselves.",
        why="`gather(a(), b())` takes each coroutine as its own argument. A list is not "
        "awaitable; unpack it with `*`.",
        fix="Unpack the list: `asyncio.gather(*coros)`.",
        example="results = await asyncio.gather(*[fetch(url) for url in urls])",
        rewrite=cf.star_the_list,
    ),
    Entry(
        key="next-on-async-generator",
        title="next() on an async generator",
        what="You called `next()` on an async generator, which only `anext()` (awaited) or "
        "`async for` can step.",
        why="An async generator gives each value after an `await`, so getting the next one "
        "must be awaited too: `await anext(gen)`.",
        fix="Use `await anext(gen)`, or `async for` to go through all the values.",
        example="first = await anext(gen(3))",
        patterns=(Pattern(("TypeError",), r"'async_generator' object is not an iterator"),),
        rewrite=cf.use_anext,
    ),
)
