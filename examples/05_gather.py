"""Lesson 5: asyncio.gather() runs coroutines as tasks and returns their results in order.

Run it: python examples/05_gather.py   or   asyncrepl run examples/05_gather.py
"""

import asyncio


async def print_values(values, delay):
    for item in values:
        print(item)
        await asyncio.sleep(delay)
    return delay


async def main():
    results = await asyncio.gather(
        print_values([1, 3, 5], 0.2),
        print_values([2, 4], 0.3)
    )
    print(results)  # [0.2, 0.3] — return values in order


asyncio.run(main())
