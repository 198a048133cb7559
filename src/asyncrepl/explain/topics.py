"""``%explain TOPIC``: the tutorial's concepts and the next ones a learner meets, each with a
short explanation and a small program to paste (a test runs every one)."""

from __future__ import annotations

import difflib
import re

from asyncrepl.explain.entries import Topic

__all__ = ["TOPICS", "closest_topics", "find_topic", "normalise"]

TOPICS: tuple[Topic, ...] = (
    Topic(
        "coroutine",
        "Coroutines",
        "An `async def` function is a coroutine function. Calling it does not run it: it "
        "returns a coroutine object, which can pause at each `await` and let other "
        "coroutines run. `await` it (or make it a task) to run it.",
        'import asyncio\n\nasync def main():\n    print("main")\n\n'
        "print(type(main))    # <class 'function'>\n"
        "coro = main()\nprint(type(coro))    # <class 'coroutine'>\n"
        "asyncio.run(coro)    # now it runs\n",
        ("async def", "coroutines", "coroutine function"),
    ),
    Topic(
        "await",
        "await",
        "`await` pauses the current coroutine until another coroutine, task or future "
        "finishes, and gives you its result. While it waits, the event loop runs other "
        "tasks. You can `await` only inside `async def` (or at asyncrepl's prompt).",
        "import asyncio\n\nasync def print_something():\n    await asyncio.sleep(0.1)\n"
        '    print("something")\n    return "finished"\n\nasync def main():\n'
        "    result = await print_something()\n    print(result)\n\nasyncio.run(main())\n",
    ),
    Topic(
        "task",
        "Tasks",
        "A task is a scheduled coroutine: `asyncio.create_task(coro)` starts it soon and "
        "returns at once, so your code goes on while the task runs. `await task` waits for "
        "it and gives its result. Keep a reference to every task you create.",
        "import asyncio\n\nasync def print_something():\n    await asyncio.sleep(0.1)\n"
        '    print("something")\n    return "finished"\n\nasync def main():\n'
        "    task = asyncio.create_task(print_something())\n"
        '    print("main continues immediately")\n    print(await task)\n\n'
        "asyncio.run(main())\n",
        ("tasks", "create_task", "asyncio.create_task"),
    ),
    Topic(
        "event-loop",
        "The event loop",
        "The event loop manages scheduling and switching between coroutines and tasks, in "
        "one thread. It runs one task until that task reaches an `await`, then runs another "
        "that is ready. `asyncio.run()` starts a loop in a script; asyncrepl keeps one "
        "running, so you can `await` at the prompt.",
        "import asyncio\n\nasync def main():\n    loop = asyncio.get_running_loop()\n"
        "    print(loop.is_running(), len(asyncio.all_tasks()))\n\nasyncio.run(main())\n",
        ("loop", "event loop", "eventloop", "asyncio.run", "run"),
    ),
    Topic(
        "future",
        "Futures",
        "A future is an object that will have a value at some point. Tasks are a type of "
        "future. Low-level code creates one, something calls `set_result()` on it later, "
        "and `await fut` waits for that value.",
        "import asyncio\n\nasync def main():\n    loop = asyncio.get_running_loop()\n"
        "    fut = loop.create_future()\n    loop.call_later(0.1, fut.set_result, 42)\n"
        "    print(await fut)\n\nasyncio.run(main())\n",
        ("futures", "asyncio.Future"),
    ),
    Topic(
        "gather",
        "asyncio.gather()",
        "`asyncio.gather()` schedules several coroutines as tasks, runs them concurrently, "
        "and returns a list of their results, in the order you passed them. If one raises, "
        "the error goes to you at once; `return_exceptions=True` puts it in the list "
        "instead.",
        "import asyncio\n\nasync def print_values(values, delay):\n    for item in values:\n"
        "        print(item)\n        await asyncio.sleep(delay)\n    return delay\n\n"
        "async def main():\n    results = await asyncio.gather(\n"
        "        print_values([1, 3, 5], 0.02),\n        print_values([2, 4], 0.03),\n    )\n"
        "    print(results)\n\nasyncio.run(main())\n",
        ("asyncio.gather", "return_exceptions"),
    ),
    Topic(
        "create-task-vs-await",
        "create_task versus await",
        "`await coro()` runs the coroutine now and waits for it before the next line. "
        "`asyncio.create_task(coro())` schedules it and continues at once; `await` the task "
        "later, when you need it. Tasks are how coroutines run concurrently.",
        "import asyncio\n\nasync def work(name):\n    await asyncio.sleep(0.1)\n"
        '    print(name, "done")\n\nasync def main():\n    await work("first")       '
        '# waits here\n    task = asyncio.create_task(work("second"))\n'
        '    print("this runs right away")\n    await task\n\nasyncio.run(main())\n',
        ("await vs create_task", "create_task vs await", "await-vs-create-task"),
    ),
    Topic(
        "async-generator",
        "Async generators and async for",
        "An `async def` function with `yield` is an async generator: it can `await` between "
        "its values. Step through it with `async for`; a plain `for` raises TypeError: "
        "'async_generator' object is not iterable.",
        "import asyncio\n\nasync def gen(n):\n    for i in range(n):\n        yield i\n"
        "        await asyncio.sleep(0.01)\n\nasync def main():\n    async for i in gen(3):\n"
        "        print(i)\n\nasyncio.run(main())\n",
        ("async for", "async-for", "async generators", "asyncgen", "generator"),
    ),
    Topic(
        "async-methods",
        "Async methods",
        "A method can be a coroutine too: `async def` inside a class (also with "
        "`@staticmethod` or `@classmethod`). Call it, then `await` it, like any coroutine "
        "function.",
        "import asyncio\n\nclass MyClass:\n    @staticmethod\n    async def test():\n"
        '        print("hi")\n\nasync def main():\n    await MyClass.test()\n\n'
        "asyncio.run(main())\n",
        ("async method", "methods", "class"),
    ),
    Topic(
        "threads",
        "asyncio versus threads and the GIL",
        "Threads run code in parallel only in theory: the GIL lets one thread run Python at a "
        "time, and sharing data needs locks. asyncio runs in one thread and switches tasks "
        "only at `await`, so for waiting on I/O it gives the same concurrency with less "
        "risk. Blocking or CPU-heavy calls still need a thread: `asyncio.to_thread`.",
        "import asyncio\nimport time\n\ndef blocking():\n    time.sleep(0.1)   # fine in a "
        'thread\n    return "done"\n\nasync def main():\n'
        "    print(await asyncio.to_thread(blocking))\n\nasyncio.run(main())\n",
        ("thread", "threading", "gil", "asyncio vs threads"),
    ),
    Topic(
        "cancellation",
        "Cancellation",
        "`task.cancel()` asks a task to stop: `CancelledError` is raised at the `await` where "
        "it waits. Clean up in `finally` and let the error pass; awaiting a cancelled task "
        "raises `CancelledError` in the awaiting code.",
        "import asyncio\n\nasync def worker():\n    try:\n        await asyncio.sleep(10)\n"
        '    finally:\n        print("cleaning up")\n\nasync def main():\n'
        "    task = asyncio.create_task(worker())\n    await asyncio.sleep(0.05)\n"
        "    task.cancel()\n    try:\n        await task\n    except asyncio.CancelledError:\n"
        '        print("cancelled")\n\nasyncio.run(main())\n',
        ("cancel", "cancelled", "cancellederror"),
    ),
    Topic(
        "timeouts",
        "Timeouts",
        "`asyncio.wait_for(aw, timeout)` and `async with asyncio.timeout(seconds):` cancel the "
        "work when time runs out and raise `TimeoutError` in your coroutine.",
        "import asyncio\n\nasync def main():\n    try:\n        async with asyncio.timeout(0.05):\n"
        "            await asyncio.sleep(1)\n    except TimeoutError:\n"
        '        print("too slow")\n    print(await asyncio.wait_for(asyncio.sleep(0, "ok"), '
        "timeout=1))\n\nasyncio.run(main())\n",
        ("timeout", "wait_for", "asyncio.wait_for", "asyncio.timeout", "timeouterror"),
    ),
    Topic(
        "taskgroup",
        "TaskGroup",
        "`async with asyncio.TaskGroup() as tg:` starts tasks with `tg.create_task()` and "
        "waits for all of them at the end of the block. If one fails, the group cancels the "
        "others and raises an `ExceptionGroup`; catch it with `except*`.",
        "import asyncio\n\nasync def work(n):\n    await asyncio.sleep(0.01 * n)\n    return n\n\n"
        "async def main():\n    async with asyncio.TaskGroup() as tg:\n"
        "        tasks = [tg.create_task(work(n)) for n in range(3)]\n"
        "    print([t.result() for t in tasks])\n\nasyncio.run(main())\n",
        ("task group", "task-group", "asyncio.TaskGroup", "exceptiongroup"),
    ),
    Topic(
        "semaphore",
        "Semaphore",
        "An `asyncio.Semaphore(n)` lets at most `n` tasks into a block at once; the others "
        "wait at `async with sem:`. Use it to limit how many requests run together.",
        "import asyncio\n\nasync def fetch(i, sem):\n    async with sem:\n"
        '        print("fetching", i)\n        await asyncio.sleep(0.02)\n\n'
        "async def main():\n    sem = asyncio.Semaphore(2)\n"
        "    await asyncio.gather(*(fetch(i, sem) for i in range(4)))\n\nasyncio.run(main())\n",
        ("asyncio.Semaphore",),
    ),
    Topic(
        "queue",
        "Queue",
        "An `asyncio.Queue` passes items from producer tasks to consumer tasks: "
        "`await queue.put(x)` and `await queue.get()` wait when the queue is full or empty.",
        "import asyncio\n\nasync def producer(q):\n    for i in range(3):\n"
        "        await q.put(i)\n    await q.put(None)\n\nasync def consumer(q):\n"
        '    while (item := await q.get()) is not None:\n        print("got", item)\n\n'
        "async def main():\n    q = asyncio.Queue()\n"
        "    await asyncio.gather(producer(q), consumer(q))\n\nasyncio.run(main())\n",
        ("asyncio.Queue", "queues"),
    ),
    Topic(
        "lock",
        "Lock",
        "An `asyncio.Lock` lets one task at a time into a block (`async with lock:`), when "
        "that block awaits in the middle of changing shared data. Without an `await` inside, "
        "no other task can run there anyway.",
        "import asyncio\n\ncounter = 0\n\nasync def add(lock):\n    global counter\n"
        "    async with lock:\n        value = counter\n        await asyncio.sleep(0.01)\n"
        "        counter = value + 1\n\nasync def main():\n    lock = asyncio.Lock()\n"
        "    await asyncio.gather(*(add(lock) for _ in range(3)))\n    print(counter)\n\n"
        "asyncio.run(main())\n",
        ("asyncio.Lock", "locks", "mutex"),
    ),
    Topic(
        "event",
        "Event",
        "An `asyncio.Event` lets tasks wait (`await event.wait()`) until another task calls "
        "`event.set()`.",
        "import asyncio\n\nasync def waiter(event):\n    await event.wait()\n"
        '    print("go!")\n\nasync def main():\n    event = asyncio.Event()\n'
        "    task = asyncio.create_task(waiter(event))\n    await asyncio.sleep(0.02)\n"
        "    event.set()\n    await task\n\nasyncio.run(main())\n",
        ("asyncio.Event", "events"),
    ),
    Topic(
        "to-thread",
        "asyncio.to_thread",
        "`await asyncio.to_thread(func, *args)` runs a blocking function in a thread, so the "
        "event loop keeps running the other tasks while it works.",
        "import asyncio\nimport time\n\ndef slow(x):\n    time.sleep(0.05)\n    return x * 2\n\n"
        "async def main():\n    print(await asyncio.gather(asyncio.to_thread(slow, 1), "
        "asyncio.to_thread(slow, 2)))\n\nasyncio.run(main())\n",
        ("to_thread", "asyncio.to_thread", "blocking"),
    ),
    Topic(
        "run-in-executor",
        "loop.run_in_executor",
        "`await loop.run_in_executor(executor, func, *args)` runs a blocking function in a "
        "thread or process pool and gives you a future for its result. With `None` it uses "
        "the default thread pool; `asyncio.to_thread` is the shorter form.",
        'import asyncio\nimport time\n\ndef slow():\n    time.sleep(0.05)\n    return "done"\n\n'
        "async def main():\n    loop = asyncio.get_running_loop()\n"
        "    print(await loop.run_in_executor(None, slow))\n\nasyncio.run(main())\n",
        ("run_in_executor", "executor", "processpoolexecutor"),
    ),
)


def normalise(name: str) -> str:
    """``"create_task vs await"`` -> ``"createtaskvsawait"``: case, spaces and dashes do not count.

    :param name: what the user typed.
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


_INDEX: dict[str, Topic] = {}
for _topic in TOPICS:
    for _name in (_topic.key, *_topic.aliases):
        _INDEX.setdefault(normalise(_name), _topic)


def find_topic(name: str) -> Topic | None:
    """The topic ``name`` names (its key or an alias, in any spelling), or None.

    :param name: what the user typed, ``"event loop"``.
    """
    key = normalise(name)
    return _INDEX.get(key) or _INDEX.get(key.removesuffix("s"))


def closest_topics(name: str) -> list[str]:
    """All topic keys, the closest to ``name`` first.

    :param name: what the user typed.
    """
    keys = [topic.key for topic in TOPICS]
    close = difflib.get_close_matches(name.lower(), keys, n=5, cutoff=0.4)
    return close + [key for key in keys if key not in close]
