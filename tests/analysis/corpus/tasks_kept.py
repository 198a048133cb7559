"""Tasks started inside a coroutine: kept, grouped, or dropped where the loop holds them only
weakly."""
import asyncio

background = set()


async def work():
    await asyncio.sleep(1)


async def fire_and_forget():
    asyncio.create_task(work())  # AR114


async def ensure_and_forget():
    asyncio.ensure_future(work())  # AR114


async def loop_task_dropped():
    asyncio.get_running_loop().create_task(work())  # AR114


async def dropped_in_a_loop(n):
    for _ in range(n):
        asyncio.create_task(work())  # AR114


async def clean_kept_and_awaited():
    task = asyncio.create_task(work())
    await task


async def clean_task_group():
    async with asyncio.TaskGroup() as group:
        group.create_task(work())


async def clean_kept_in_a_set():
    task = asyncio.create_task(work())
    background.add(task)
    task.add_done_callback(background.discard)


async def clean_gathered():
    await asyncio.gather(*[asyncio.create_task(work()) for _ in range(3)])


async def clean_returned():
    return asyncio.create_task(work())


def clean_sync_starter(loop):
    loop.create_task(work())
