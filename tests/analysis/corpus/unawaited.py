"""Coroutines created inside a coroutine and never awaited."""
import asyncio


async def fetch(url):
    await asyncio.sleep(0.1)
    return url


async def bare_sleep():
    asyncio.sleep(1)  # AR113
    return "done"


async def bare_own_coroutine():
    fetch("https://example.com")  # AR113


async def bare_drain(writer):
    writer.write(b"hello")
    writer.drain()  # AR113


async def bare_wait_for():
    asyncio.wait_for(fetch("x"), timeout=1)  # AR113


async def bare_queue_put(item):
    q = asyncio.Queue()
    q.put(item)  # AR113


class Worker:
    async def step(self):
        await asyncio.sleep(0)

    async def run(self):
        self.step()  # AR113


async def bare_through_alias():
    nap = asyncio.sleep
    nap(1)  # AR113


async def clean_awaited():
    await asyncio.sleep(1)
    await fetch("x")


async def clean_task():
    task = asyncio.create_task(fetch("x"))
    await task


async def clean_gathered():
    coros = [fetch(u) for u in ("a", "b")]
    return await asyncio.gather(*coros)


async def clean_stored_then_awaited():
    pending = fetch("x")
    return await pending


async def clean_sync_queue_call(item):
    q = asyncio.Queue()
    q.put_nowait(item)


async def clean_writer_write(writer):
    writer.write(b"hello")
    await writer.drain()


async def ensure_future_dropped():
    asyncio.ensure_future(fetch("x"))  # AR114: a task, but nothing keeps it


def clean_sync_caller():
    return fetch("x")
