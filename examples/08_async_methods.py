"""Lesson 8: async methods. A method can be a coroutine too; await it like any other.

Run it: python examples/08_async_methods.py   or   asyncrepl run examples/08_async_methods.py
"""

import asyncio


class MyClass:
    @staticmethod
    async def test():
        print("hi")


async def main():
    await MyClass.test()


asyncio.run(main())
