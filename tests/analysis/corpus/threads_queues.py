"""Thread locks, events, joins, thread queues and concurrent.futures."""
import asyncio
import concurrent.futures
import queue
import threading
from concurrent.futures import ThreadPoolExecutor

lock = threading.Lock()
ready = threading.Event()
jobs = queue.Queue()
pool = ThreadPoolExecutor(max_workers=4)


async def with_thread_lock(counter):
    with lock:  # AR107
        counter += 1
    return counter


async def acquire():
    lock.acquire()  # AR107
    try:
        return 1
    finally:
        lock.release()


async def wait_event():
    ready.wait(timeout=5)  # AR107


async def join_thread(worker):
    t = threading.Thread(target=worker)
    t.start()
    t.join()  # AR107


async def condition():
    cond = threading.Condition()
    with cond:  # AR107
        cond.wait()  # AR107


async def get_job():
    return jobs.get()  # AR108


async def put_job(item):
    jobs.put(item)  # AR108


async def future_result(fn):
    future = pool.submit(fn)
    return future.result()  # AR109


async def wait_all(futures):
    concurrent.futures.wait(futures)  # AR109


async def as_completed_loop(fn, items):
    with ThreadPoolExecutor() as executor:
        futures = [executor.submit(fn, item) for item in items]
        for future in concurrent.futures.as_completed(futures):  # AR109
            print(future)


async def deadlock(coro):
    loop = asyncio.get_running_loop()
    return asyncio.run_coroutine_threadsafe(coro, loop).result()  # AR109


class Cache:
    def __init__(self):
        self.lock = threading.RLock()
        self.data = {}

    def put(self, key, value):
        with self.lock:
            self.data[key] = value

    async def update(self, key, value):
        self.put(key, value)  # AR107


async def clean_try_acquire():
    if lock.acquire(blocking=False):
        lock.release()


async def clean_get_nowait():
    try:
        return jobs.get_nowait()
    except queue.Empty:
        return None


async def clean_get_no_block():
    return jobs.get(block=False)


async def clean_event_poll():
    return ready.is_set() or ready.wait(0)


async def clean_thread_start(worker):
    threading.Thread(target=worker, daemon=True).start()


async def clean_wrap_future(fn):
    future = pool.submit(fn)
    return await asyncio.wrap_future(future)


async def clean_result_when_done(fn):
    future = pool.submit(fn)
    await asyncio.sleep(0.1)
    if future.done():
        return future.result()
    return None


async def clean_asyncio_future_result():
    task = asyncio.create_task(asyncio.sleep(0, "x"))
    await task
    return task.result()


async def clean_submit_lambda():
    return await asyncio.wrap_future(pool.submit(lambda: jobs.get()))


async def clean_thread_target_lambda():
    threading.Thread(target=lambda: ready.wait()).start()


async def clean_release_and_set():
    ready.set()
    jobs.task_done()
