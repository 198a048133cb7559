"""Names that look blocking but are not: a naive tool flags every one of these."""
import asyncio
import time

import aiofiles
import aiohttp
import httpx


async def sleep(seconds):
    await asyncio.sleep(seconds)


async def clean_own_async_sleep():
    await sleep(1)


async def clean_rebound_to_asyncio():
    sleep_for = asyncio.sleep
    await sleep_for(1)


async def clean_from_asyncio():
    from asyncio import sleep as asleep

    await asleep(1)


async def clean_dict_named_requests():
    requests = {"get": lambda url: url}
    return requests.get("https://example.com")


async def clean_parameter_named_time(time):
    time.sleep(1)


async def clean_aiohttp(url):
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            return await response.text()


async def clean_httpx_async(url):
    async with httpx.AsyncClient() as client:
        response = await client.get(url)
        return response.json()


async def clean_aiofiles(path):
    async with aiofiles.open(path) as f:
        return await f.read()


async def clean_asyncio_lock_and_queue():
    lock = asyncio.Lock()
    queue = asyncio.Queue()
    async with lock:
        await queue.put(1)
    return await queue.get()


async def clean_asyncio_event():
    event = asyncio.Event()
    asyncio.get_running_loop().call_later(0.1, event.set)
    await event.wait()


async def clean_asyncio_subprocess():
    proc = await asyncio.create_subprocess_exec("ls", stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return out


async def clean_streams(host):
    reader, writer = await asyncio.open_connection(host, 80)
    writer.write(b"GET / HTTP/1.0\r\n\r\n")
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    return data


async def clean_method_named_sleep(robot):
    robot.sleep(1)


class Timer:
    def sleep(self, seconds):
        return seconds

    async def clean_own_method(self):
        self.sleep(1)


async def clean_time_in_string():
    print("time.sleep(1) blocks; requests.get(url) too; open('x').read() also")
    await asyncio.sleep(0)


async def clean_create_task():
    task = asyncio.create_task(asyncio.sleep(1))
    await task


async def clean_gather():
    await asyncio.gather(asyncio.sleep(1), asyncio.sleep(2))
