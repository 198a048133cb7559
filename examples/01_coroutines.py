"""Lesson 1: a coroutine. Calling an `async def` function returns a coroutine, not a result.

Run it: python examples/01_coroutines.py   or   asyncrepl run examples/01_coroutines.py
"""

import asyncio


async def main():
    print("main")


print(type(main))  # <class 'function'>
print(type(main()))  # <class 'coroutine'>  ← calling it returns a coroutine, not a result

asyncio.run(main())  # sets up the event loop and runs the main coroutine
