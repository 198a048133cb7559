"""Lesson 2: await. Inside a coroutine, `await` runs another coroutine and waits for it.

Run it: python examples/02_await.py   or   asyncrepl run examples/02_await.py
"""

import asyncio


async def print_something():
    await asyncio.sleep(1)  # use asyncio.sleep, NOT time.sleep
    print("something")
    return "finished"


async def main():
    result = await print_something()  # blocks until print_something() is done
    print(result)  # "finished"


asyncio.run(main())
