"""Lesson 6: fetch data and run an algorithm at the same time (about 5 seconds).

Run it: python examples/06_fetch_and_algorithm.py   or   asyncrepl run examples/06_fetch_and_algorithm.py
"""

import asyncio


async def fetch_data():
    print("Start fetching")
    await asyncio.sleep(2)  # simulates network delay
    print("Done fetching")
    return [1, 2, 3]


async def run_algorithm():
    for i in range(10):
        print(i)
        await asyncio.sleep(0.5)


async def main():
    # Run both concurrently — don't wait for fetch before starting algorithm
    data, _ = await asyncio.gather(fetch_data(), run_algorithm())
    print(data)


asyncio.run(main())
