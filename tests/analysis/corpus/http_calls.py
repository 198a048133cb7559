"""Synchronous HTTP: module functions, client objects and helpers."""
import asyncio
import functools
import http.client
import urllib.request
from urllib.request import urlopen

import httpx
import requests
import urllib3
from requests import Session

session = requests.Session()


async def requests_get(url):
    response = requests.get(url, timeout=10)  # AR102
    return response.json()


async def requests_post(url, payload):
    return requests.post(url, json=payload)  # AR102


async def session_object(url):
    return session.get(url)  # AR102


async def session_from_import(url):
    with Session() as s:
        return s.get(url)  # AR102


async def httpx_sync(url):
    return httpx.get(url)  # AR102


async def httpx_client(url):
    with httpx.Client() as client:
        return client.get(url)  # AR102


async def urllib_open(url):
    with urlopen(url) as response:  # AR102
        return response.read()


async def urllib_qualified(url):
    return urllib.request.urlopen(url).read()  # AR102


async def http_client(host):
    conn = http.client.HTTPSConnection(host)
    conn.request("GET", "/")  # AR102
    return conn.getresponse()  # AR102


async def urllib3_pool(url):
    pool = urllib3.PoolManager()
    return pool.request("GET", url)  # AR102


def fetch_json(url):
    return requests.get(url).json()


async def through_helper(urls):
    return [fetch_json(url) for url in urls]  # AR102


class Api:
    def __init__(self):
        self.http = requests.Session()

    async def user(self, user_id):
        return self.http.get(f"/users/{user_id}")  # AR102


async def annotated(client: requests.Session, url):
    return client.get(url)  # AR102


async def clean_to_thread(url):
    return await asyncio.to_thread(requests.get, url, timeout=5)


async def clean_partial_executor(url):
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(requests.get, url))


async def clean_helper_to_thread(urls):
    return await asyncio.gather(*(asyncio.to_thread(fetch_json, u) for u in urls))


async def clean_session_to_thread(url):
    return await asyncio.to_thread(session.get, url)


async def clean_prepare_only(url):
    request = requests.Request("GET", url)
    return request.prepare()


def clean_sync_fetch(url):
    return requests.get(url)
