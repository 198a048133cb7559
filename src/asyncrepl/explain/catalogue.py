"""The catalogue: every asyncio problem ``%explain`` knows, as data. Each entry says how to
recognise it (exception type + message), what happened, why, and the fix."""

from __future__ import annotations

from asyncrepl.explain import rewrite as rw
from asyncrepl.explain.catalogue_calls import CALL_ENTRIES
from asyncrepl.explain.entries import Entry, Pattern

__all__ = ["ENTRIES", "entry"]

_RUN_EXAMPLE = """\
async def main():
    print("main")

await main()            # in asyncrepl, Jupyter, python -m asyncio
# asyncio.run(main())   # in a script, where no event loop runs yet"""

ENTRIES: tuple[Entry, ...] = (
    Entry(
        key="unawaited-coroutine",
        title="A coroutine was never awaited",
        what="You called a coroutine function, but nothing ever awaited the coroutine it made.",
        why="Calling an `async def` function does not run it: it returns a coroutine object. "
        "The body runs only when you `await` it or wrap it in a task.",
        fix="Put `await` before the call (or `asyncio.create_task(...)` to run it alongside).",
        example="result = await print_something()",
        patterns=(Pattern(("RuntimeWarning",), r"coroutine '[^']*' was never awaited"),),
        rewrite=rw.await_coroutine_calls,
    ),
    Entry(
        key="coroutine-as-value",
        title="A coroutine object where a value was expected",
        what="You used a coroutine object as if it were the value the coroutine returns.",
        why="Calling an `async def` function gives you a coroutine, not its result. "
        "`await` runs the coroutine and gives you what it returns.",
        fix="`await` the call to get its value.",
        example="data = await fetch_data()\nprint(data[0])",
        patterns=(Pattern(("TypeError", "AttributeError"), r"'coroutine'"),),
        rewrite=rw.await_where_made,
    ),
    Entry(
        key="asyncio-run-in-loop",
        title="asyncio.run() inside a running event loop",
        what="You called `asyncio.run()` (or `run_until_complete`) while an event loop was "
        "already running.",
        why="`asyncio.run()` starts a new event loop, and one thread runs one event loop at a "
        "time. Here one already runs: inside a coroutine, in Jupyter, or in asyncrepl.",
        fix="`await` the coroutine instead: it runs on the loop that is already there.",
        example=_RUN_EXAMPLE,
        patterns=(
            Pattern(
                ("RuntimeError",),
                r"asyncio\.run\(\) cannot be called from a running event loop"
                r"|[Tt]his event loop is already running"
                r"|Cannot run the event loop while another loop is running",
            ),
        ),
        rewrite=rw.run_to_await,
    ),
    Entry(
        key="asyncio-run-awaited",
        title="asyncrepl awaited your asyncio.run()",
        what="You wrote `asyncio.run(...)` at the top level; asyncrepl awaited the coroutine "
        "on its running event loop instead.",
        why="The event loop in asyncrepl is always running (that is how tasks go on while you "
        "type), and `asyncio.run()` cannot start a second one. Awaiting does the same job.",
        fix="Keep `asyncio.run(main())` in scripts; in the REPL you can write `await main()`.",
        example=_RUN_EXAMPLE,
        rewrite=rw.run_to_await,
    ),
    Entry(
        key="for-over-async-iterable",
        title="`for` over an async generator",
        what="You used a plain `for` loop over an async generator (or another async iterable).",
        why="An async generator gives its values with `await` in between, so only `async for` "
        "can step through it, inside a coroutine.",
        fix="Use `async for` instead of `for`.",
        example="async for i in gen(10):\n    print(i)",
        patterns=(Pattern(("TypeError",), r"'async_generator' object is not iterable"),),
        rewrite=rw.async_for,
    ),
    Entry(
        key="async-for-over-iterable",
        title="`async for` over a plain iterable",
        what="You used `async for` over something that is a plain iterable, like a list.",
        why="`async for` needs an async iterable (an async generator, or an object with "
        "`__aiter__`). A list or a plain generator needs a plain `for`.",
        fix="Use a plain `for` loop.",
        example="for item in [1, 2, 3]:\n    print(item)",
        patterns=(Pattern(("TypeError",), r"'async for' requires an object with __aiter__"),),
        rewrite=rw.plain_for,
    ),
    Entry(
        key="async-with-sync-cm",
        title="`async with` on a plain context manager",
        what="You used `async with` on an object that only supports a plain `with`.",
        why="`async with` awaits the object's `__aenter__` and `__aexit__` coroutines; this "
        "object has plain `__enter__` and `__exit__` methods instead.",
        fix="Use a plain `with` (or the library's async version, such as `asyncio.Lock`).",
        example="with open(path) as f:\n    text = f.read()",
        patterns=(
            Pattern(("TypeError", "AttributeError"), r"asynchronous context manager|__aenter__"),
        ),
        rewrite=rw.plain_with,
    ),
    Entry(
        key="with-async-cm",
        title="`with` on an async context manager",
        what="You used a plain `with` on an object that needs `async with`.",
        why="An async context manager (like `asyncio.Lock()` or `asyncio.TaskGroup()`) enters "
        "and leaves with coroutines, so it must be used with `async with`, inside a coroutine.",
        fix="Use `async with`.",
        example="async with asyncio.TaskGroup() as tg:\n    tg.create_task(main())",
        patterns=(
            Pattern(
                ("TypeError", "AttributeError"), r"(?<!asynchronous )context manager|^__enter__$"
            ),
        ),
        rewrite=rw.async_with,
    ),
    Entry(
        key="time-sleep",
        title="`time.sleep` in async code",
        what="You called `time.sleep()` in async code.",
        why="`time.sleep()` blocks the entire event loop: no other task or coroutine runs until "
        "it returns. `asyncio.sleep()` pauses only this coroutine and lets the others run.",
        fix="Use `await asyncio.sleep(...)`.",
        example="await asyncio.sleep(1)",
        rewrite=rw.sleep_to_asyncio,
    ),
    Entry(
        key="not-awaitable",
        title="await on something that is not awaitable",
        what="You used `await` on a value that is not a coroutine, task or future.",
        why="`await` pauses the coroutine until a coroutine, task or future finishes. A plain "
        "function's result (a number, `None`, a list ...) cannot be awaited: the function has "
        "already finished.",
        fix="Drop the `await` for plain functions, or call the async version of the function.",
        example="await asyncio.sleep(1)   # a coroutine: await it\ntotal = sum(values)     "
        "# a plain function: no await",
        patterns=(
            Pattern(
                ("TypeError",),
                r"can't be used in 'await' expression|can't be awaited|is not awaitable",
            ),
        ),
        rewrite=rw.drop_await,
    ),
    Entry(
        key="await-outside-async",
        title="await outside an async function",
        what="You used `await` (or `async for` / `async with`) inside a plain `def` function.",
        why="Only a coroutine can pause, so `await` works only inside `async def` (and at the "
        "top level of asyncrepl, which runs each cell as a coroutine).",
        fix="Make the function a coroutine with `async def`, and `await` it where you call it.",
        example="async def main():\n    await asyncio.sleep(1)\n\nawait main()",
        patterns=(
            Pattern(
                ("SyntaxError",),
                r"'await' outside|'async (for|with)' outside"
                r"|asynchronous comprehension outside",
            ),
        ),
        rewrite=rw.enclosing_def_async,
    ),
    Entry(
        key="await-autoawait-off",
        title="Top-level await is switched off",
        what="You used `await` at the top level of a cell while top-level `await` is switched "
        "off (`%autoawait off`).",
        why="asyncrepl runs each cell as a coroutine, so a cell can `await`. `%autoawait off` "
        "makes cells plain code again, as in a Python script, where `await` needs `async def`.",
        fix="Switch it back on with `%autoawait on`, then run the cell again.",
        example="%autoawait on\nawait asyncio.sleep(1)",
    ),
    Entry(
        key="await-in-script",
        title="await at the top level of a script",
        what="You used `await` outside any function, at the top level of a script or module.",
        why="Only a coroutine can pause. A REPL cell runs as a coroutine, but a script's top "
        "level is plain code: it starts the event loop with `asyncio.run()`.",
        fix="Put the code in an `async def main()` coroutine and run it with "
        "`asyncio.run(main())`.",
        example="async def main():\n    await asyncio.sleep(1)\n\nasyncio.run(main())",
    ),
    Entry(
        key="no-running-loop",
        title="No running event loop",
        what="You called something that needs a running event loop from plain code.",
        why="`asyncio.create_task()` and `asyncio.get_running_loop()` schedule work on the "
        "event loop that runs the current coroutine. Outside a coroutine there is none.",
        fix="Call it from inside an `async def` function that the event loop runs.",
        example="async def main():\n    task = asyncio.create_task(print_something())\n"
        "    await task\n\nasyncio.run(main())",
        patterns=(
            Pattern(("RuntimeError",), r"no running event loop|There is no current event loop"),
        ),
        rewrite=rw.enclosing_def_async,
    ),
    Entry(
        key="reused-coroutine",
        title="A coroutine awaited twice",
        what="You awaited the same coroutine object a second time.",
        why="A coroutine object runs once. After it has finished, awaiting it again is an "
        "error. A task (or future) keeps its result, so you can await a task many times.",
        fix="Call the coroutine function again for a fresh coroutine, or wrap it in a task "
        "and await the task as often as you like.",
        example="task = asyncio.create_task(print_something())\nfirst = await task\n"
        "again = await task   # a task gives its result every time",
        patterns=(Pattern(("RuntimeError",), r"cannot reuse already awaited coroutine"),),
    ),
    Entry(
        key="task-exception-never-retrieved",
        title="A task failed and nobody awaited it",
        what="A task ended with an exception, and no code awaited the task to see it.",
        why="A task runs on its own; its exception waits inside the task until something "
        "awaits it. If nothing does, asyncio can only report it when the task is thrown away.",
        fix="`await` the task (or use `asyncio.gather` / `TaskGroup`), and handle the error "
        "where you await it.",
        example="task = asyncio.create_task(work())\ntry:\n    await task\n"
        "except ValueError as error:\n    print('work failed:', error)",
        patterns=(Pattern(("loop",), r"(Task|Future) exception was never retrieved"),),
    ),
    Entry(
        key="task-destroyed-pending",
        title="A task was destroyed while it was still pending",
        what="A task was thrown away before it finished, when its event loop stopped.",
        why="If the program ends before a task finishes, the task is cancelled or lost. The "
        "event loop stopped while this task was still waiting at an `await`.",
        fix="`await` every task you need before `main()` returns (or use `gather`/`TaskGroup`).",
        example="async def main():\n    task = asyncio.create_task(print_something())\n"
        "    await task   # finish it before main() returns\n\nasyncio.run(main())",
        patterns=(Pattern(("loop",), r"Task was destroyed but it is pending"),),
    ),
    Entry(
        key="task-garbage-collected",
        title="A task was garbage-collected: no reference was kept",
        what="A pending task disappeared while the event loop was still running, because no "
        "variable held on to it.",
        why="The event loop keeps only a weak reference to a task. When a task waits on "
        "something nothing else refers to, and you kept no reference to the task, Python "
        "frees it half-way.",
        fix="Keep a reference: store the task in a variable or a set, and `await` it.",
        example="background = set()\ntask = asyncio.create_task(work())\n"
        "background.add(task)\ntask.add_done_callback(background.discard)",
    ),
    Entry(
        key="task-awaits-itself",
        title="A task awaited itself",
        what="A task tried to `await` itself, which could never finish.",
        why="A task finishes when its coroutine returns; waiting for itself would wait forever "
        "(a deadlock), so asyncio stops it.",
        fix="Await a different task, or return the value instead of awaiting yourself.",
        example="worker = asyncio.create_task(work())\nresult = await worker   # another task",
        patterns=(Pattern(("RuntimeError",), r"Task cannot await on itself"),),
    ),
    Entry(
        key="future-never-set",
        title="Waiting for a future that nothing will set",
        what="Your coroutine was waiting on a future that no code ever gives a result, so it "
        "would have waited forever (a deadlock) until it was stopped.",
        why="A future has a value only when some code calls `set_result()` on it. Awaiting it "
        "pauses the coroutine until then, however long that takes.",
        fix="Make sure something sets the future, and wait with a timeout.",
        example="fut = asyncio.get_running_loop().create_future()\n"
        "asyncio.get_running_loop().call_later(0.1, fut.set_result, 'done')\n"
        "print(await asyncio.wait_for(fut, timeout=5))",
        rewrite=rw.wait_with_timeout,
    ),
    Entry(
        key="cancelled",
        title="The task was cancelled",
        what="A task or coroutine was cancelled while it was waiting at an `await`.",
        why="`task.cancel()`, a timeout, Ctrl-C, or `asyncio.run()` ending cancels a task: "
        "`CancelledError` is raised at its current `await`. Awaiting a cancelled task raises "
        "it too.",
        fix="Let `CancelledError` pass (clean up in `finally`); check who cancelled the task "
        "with `%tasks -a`.",
        example="try:\n    await asyncio.sleep(10)\nfinally:\n    print('cleaning up')",
        patterns=(Pattern(("CancelledError",)),),
    ),
    Entry(
        key="timeout",
        title="A timeout expired",
        what="An `await` took longer than the timeout you gave, so it was cancelled and "
        "`TimeoutError` was raised.",
        why="`asyncio.wait_for()` and `asyncio.timeout()` cancel the awaited work when time "
        "runs out, then raise `TimeoutError` in your coroutine.",
        fix="Catch `TimeoutError` where you wait, or give the work more time.",
        example="try:\n    await asyncio.wait_for(fetch_data(), timeout=1)\n"
        "except TimeoutError:\n    print('fetch took too long')",
        rewrite=rw.wrap_try("TimeoutError", 'print("it took too long")'),
    ),
    Entry(
        key="invalid-state",
        title="A future asked for its result too early (or set twice)",
        what="You read a future's result before it was done, or set a result twice.",
        why="A future has a value only at some point: `.result()` works only once it is done, "
        "and a future can be given a result only once.",
        fix="`await` the future instead of calling `.result()`; set it once (check `done()`).",
        example="value = await fut\nif not fut.done():\n    fut.set_result(1)",
        patterns=(Pattern(("InvalidStateError",)),),
        rewrite=rw.await_result,
    ),
    Entry(
        key="gather-exception",
        title="A coroutine inside gather() raised",
        what="One of the coroutines you passed to `asyncio.gather()` raised, and gather passed "
        "the exception on to you.",
        why="`gather()` runs its coroutines as tasks. The first exception goes straight to the "
        "code awaiting gather; the other tasks keep running. With `return_exceptions=True` "
        "you get exceptions back in the results list instead.",
        fix="Pass `return_exceptions=True` and check the results, or use a `TaskGroup`.",
        example="results = await asyncio.gather(a(), b(), return_exceptions=True)\n"
        "for r in results:\n    if isinstance(r, Exception):\n        print('failed:', r)",
        rewrite=rw.add_return_exceptions,
    ),
    Entry(
        key="taskgroup-errors",
        title="A task in a TaskGroup failed",
        what="A task in your `TaskGroup` raised; the group cancelled the other tasks and "
        "raised an `ExceptionGroup` holding the errors.",
        why="A `TaskGroup` waits for all its tasks. When one fails, it cancels the rest and "
        "collects every error in an `ExceptionGroup`.",
        fix="Handle the errors with `except*`, one clause per exception type.",
        example="try:\n    async with asyncio.TaskGroup() as tg:\n        tg.create_task(work())\n"
        "except* ValueError as group:\n    print(group.exceptions)",
        patterns=(Pattern(("BaseExceptionGroup",), r"unhandled errors in a TaskGroup"),),
    ),
    Entry(
        key="blocking-call",
        title="A call that blocks the event loop",
        what="A call in your async code blocks the thread, and with it the event loop.",
        why="The event loop runs all tasks in one thread. While a blocking call runs, no other "
        "task or coroutine can run: they all wait.",
        fix="Use the async version of the call, or run it in a thread with "
        "`await asyncio.to_thread(...)`.",
        example="data = await asyncio.to_thread(requests.get, url)",
    ),
    Entry(
        key="many-tasks-at-once",
        title="asyncio busy starting very many tasks",
        what="asyncio itself held the event loop, starting tasks.",
        why="Starting a task is quick but not free: asyncio wraps the coroutine in a task and "
        "schedules it on the event loop. `gather()` or a loop of `create_task()` over tens of "
        "thousands of coroutines does all of that in one step, and no other task runs until it "
        "ends. It is not a blocking call, so a thread would not help: tasks belong to the "
        "event loop.",
        fix="Start the tasks in batches of a few thousand, or accept it as a one-off start-up "
        "cost.",
        example="for start in range(0, len(jobs), 1000):\n"
        "    batch = [worker(job) for job in jobs[start : start + 1000]]\n"
        "    await asyncio.gather(*batch)",
    ),
)

ENTRIES += CALL_ENTRIES
_BY_KEY = {item.key: item for item in ENTRIES}


def entry(key: str) -> Entry | None:
    """The catalogue entry with ``key``, or None.

    :param key: an entry's key, ``"timeout"``.
    """
    return _BY_KEY.get(key)
