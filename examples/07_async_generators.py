"""Lesson 7: async generators. `async for` steps through one; a plain `for` raises TypeError.

The last loop is the tutorial's ❌ example: the lesson ends with that TypeError on purpose.
In asyncrepl, type %explain after it.

Run it: python examples/07_async_generators.py   or   asyncrepl run examples/07_async_generators.py
"""

import asyncio


async def gen(n):
    for i in range(n):
        yield i
        await asyncio.sleep(0.5)


async def main():
    async for i in gen(10):  # ✅ async for
        print(i)

    for i in gen(10):  # ❌ TypeError — not iterable
        print(i)


asyncio.run(main())
