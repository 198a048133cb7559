"""time.sleep reached directly, through aliases, helpers, lambdas and methods."""
import asyncio
import time
import time as t
from time import sleep
from time import sleep as nap

pause = time.sleep


async def direct():
    print("start")
    time.sleep(1)  # AR101


async def through_module_alias():
    t.sleep(0.5)  # AR101


async def through_from_import():
    sleep(2)  # AR101


async def through_renamed_import():
    nap(1)  # AR101


async def through_rebound_name():
    pause(3)  # AR101


def wait_a_bit(seconds):
    time.sleep(seconds)


def retry_later():
    wait_a_bit(1)


async def through_helper():
    wait_a_bit(2)  # AR101


async def through_two_helpers():
    retry_later()  # AR101


async def in_lambda_run_here(items):
    return sorted(items, key=lambda item: time.sleep(0.1) or item)  # AR101


async def in_comprehension(delays):
    return [time.sleep(d) for d in delays]  # AR101


async def in_async_generator():
    for i in range(3):
        time.sleep(1)  # AR101
        yield i


class Poller:
    def backoff(self):
        time.sleep(5)

    async def poll(self):
        self.backoff()  # AR101

    async def tick(self):
        time.sleep(0)  # AR101


async def in_async_for(stream):
    async for item in stream:
        time.sleep(0.1)  # AR101


async def in_async_with(lock):
    async with lock:
        time.sleep(1)  # AR101


async def lambda_called_later():
    delay = lambda: time.sleep(1)  # noqa: E731
    delay()  # AR101


async def nested_sync_helper():
    def inner():
        time.sleep(1)

    inner()  # AR101


async def clean_asyncio_sleep():
    await asyncio.sleep(1)


async def clean_to_thread():
    await asyncio.to_thread(time.sleep, 1)


async def clean_executor_lambda():
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, lambda: time.sleep(1))


async def clean_executor_helper():
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, wait_a_bit, 2)


async def clean_strings_and_comments():
    # time.sleep(1) would block here
    message = "never call time.sleep(1) in a coroutine"
    print(message)
    await asyncio.sleep(0)


async def clean_other_time_functions():
    started = time.monotonic()
    await asyncio.sleep(0.1)
    return time.perf_counter() - started


def clean_sync_code():
    time.sleep(1)
    wait_a_bit(1)


async def clean_lambda_to_thread():
    await asyncio.to_thread(lambda: time.sleep(1))


async def clean_def_to_thread():
    def slow():
        time.sleep(1)

    await asyncio.to_thread(slow)
