"""Lesson 3: tasks. `create_task` schedules a coroutine and goes on at once; `await task` waits.

Run it: python examples/03_tasks.py   or   asyncrepl run examples/03_tasks.py
"""

import asyncio


async def print_something():
    await asyncio.sleep(1)
    print("something")
    return "finished"


async def main():
    task = asyncio.create_task(print_something())  # scheduled, starts soon
    print("main continues immediately")
    await task  # wait for task to finish
    result = await task  # get return value
    print(result)


asyncio.run(main())
