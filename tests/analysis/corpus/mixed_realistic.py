"""Mixed, realistic snippets: workshop exercises and small services, blocking and not."""
import asyncio
import functools
import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from functools import partial

import requests
import trio


@functools.lru_cache
def load_config(path):
    with open(path) as f:
        return json.load(f)


class Util:
    @staticmethod
    def download(url):
        return requests.get(url, timeout=3).content


class Resource:
    async def __aenter__(self):
        time.sleep(0.2)  # AR101
        return self

    async def __aexit__(self, *exc):
        return False


async def cached_config():
    return load_config("app.json")  # AR105


async def static_helper(url):
    return Util.download(url)  # AR102


async def to_thread_misused(url):
    return await asyncio.to_thread(requests.get(url))  # AR102


async def executor_misused(url):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, requests.get(url))  # AR102


async def json_from_open(path):
    return json.load(open(path))  # AR105


async def lines_of(path):
    count = 0
    for _line in open(path):  # AR105
        count += 1
    return count


async def producer(results):
    for i in range(3):
        results.append(requests.get(f"https://example.com/{i}").status_code)  # AR102
        await asyncio.sleep(0)


async def retry(url, attempts=3):
    for attempt in range(attempts):
        try:
            return requests.get(url, timeout=5)  # AR102
        except requests.RequestException:
            time.sleep(2**attempt)  # AR101
    return None


async def worker(name, queue):
    while True:
        delay = await queue.get()
        time.sleep(delay)  # AR101
        queue.task_done()
        print(f"{name} slept for {delay:.2f} seconds")


@dataclass
class Downloader:
    session: requests.Session

    async def fetch(self, url):
        return self.session.get(url)  # AR102


async def ticker():
    while True:
        print(time.strftime("%X"))
        await asyncio.sleep(1)


async def clean_partial_to_thread(url):
    return await asyncio.to_thread(partial(requests.get, url, timeout=3))


async def clean_local_queue_shadows_module():
    queue = asyncio.Queue()
    await queue.put(1)
    return await queue.get()


async def clean_input_variable(reader):
    input = await reader.readline()
    return input.strip()


async def clean_trio_sleep():
    await trio.sleep(1)


async def clean_cheap_os_calls():
    return os.path.join("a", "b"), os.getenv("HOME"), os.getpid()


async def clean_done_callback(future):
    def on_done(f):
        print(f.result())

    future.add_done_callback(on_done)


def start_background():
    threading.Thread(target=lambda: time.sleep(1), daemon=True).start()


async def clean_helper_that_offloads():
    start_background()


async def clean_popen_then_to_thread():
    proc = subprocess.Popen(["sleep", "1"])
    return await asyncio.to_thread(proc.wait)


async def clean_state_queries(lock: threading.Lock, event: threading.Event):
    return lock.locked(), event.is_set()


async def clean_small_sums(data):
    return sum(range(10)) + sum(x for x in data)


async def clean_user_client_get(api_client):
    return api_client.get("/users")


async def clean_timing():
    start = time.perf_counter()
    await asyncio.sleep(0.5)
    return f"{time.perf_counter() - start:.1f}s"


async def clean_call_soon():
    loop = asyncio.get_running_loop()
    loop.call_soon(functools.partial(print, "hello"))


async def clean_async_main_pattern():
    results = await asyncio.gather(*(asyncio.sleep(i, result=i) for i in range(3)))
    return results


if __name__ == "__main__":
    time.sleep(1)
    asyncio.run(ticker())


async def join_all(work):
    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()  # AR107


def make_handler():
    async def handler(request):
        time.sleep(0.1)  # AR101
        return request

    return handler


async def module_alias_call():
    sp = subprocess
    return sp.run(["true"])  # AR104


async def clean_thread_worker_started():
    def worker():
        while True:
            time.sleep(1)

    threading.Thread(target=worker, daemon=True).start()


async def clean_threads_started_only(work):
    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    await asyncio.sleep(0)


async def clean_list_of_futures_awaited(coros):
    tasks = [asyncio.create_task(c) for c in coros]
    for task in tasks:
        await task
