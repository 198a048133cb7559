"""Lesson 4: concurrent tasks. Two tasks take turns on the event loop while each one sleeps.

Run it: python examples/04_concurrent_tasks.py   or   asyncrepl run examples/04_concurrent_tasks.py
"""

import asyncio


async def print_values(values, delay):
    for item in values:
        print(item)
        await asyncio.sleep(delay)
    return delay


async def main():
    task1 = asyncio.create_task(print_values([1, 3, 5], 0.2))
    task2 = asyncio.create_task(print_values([2, 4], 0.3))
    await task1
    await task2


asyncio.run(main())
# Output: 1 2 3 4 5  (in order — reliable, no locks needed!)
