"""asyncio.run and run_until_complete inside a running loop; evident CPU work."""
import asyncio
import hashlib
import os


async def fetch():
    await asyncio.sleep(1)
    return 1


async def nested_run():
    return asyncio.run(fetch())  # AR111


async def nested_until_complete():
    loop = asyncio.get_event_loop()
    return loop.run_until_complete(fetch())  # AR111


async def nested_unknown_loop(loop):
    return loop.run_until_complete(fetch())  # AR111


def sync_wrapper():
    return asyncio.run(fetch())


async def through_helper():
    return sync_wrapper()  # AR111


async def hash_password(password, salt):
    return hashlib.pbkdf2_hmac("sha256", password, salt, 600_000)  # AR112


async def big_sum():
    return sum(range(10**8))  # AR112


async def big_generator_sum():
    return sum(i * i for i in range(50_000_000))  # AR112


async def busy_loop():
    total = 0
    for i in range(10_000_000):  # AR112
        total += i
    return total


async def clean_small_sum():
    return sum(range(100))


async def clean_loop_with_await(items):
    for i in range(10_000_000):
        await asyncio.sleep(0)
        items.append(i)


async def clean_hash_to_thread(password, salt):
    return await asyncio.to_thread(hashlib.pbkdf2_hmac, "sha256", password, salt, 600_000)


async def clean_cheap_hash(data):
    return hashlib.sha256(data).hexdigest()


async def clean_await_instead():
    return await fetch()


async def clean_random_bytes():
    return os.urandom(16)


def main():
    asyncio.run(fetch())


if __name__ == "__main__":
    asyncio.run(fetch())
