"""Types from annotations, modules used without an import, helpers followed deep, calls guarded
by the parameters a call leaves out, sockets known by their use, and names a method shadows."""
import asyncio
import io
import os
import socket
import subprocess
import time
from typing import Optional, Union

import httpx
import urllib3
from asyncio import sleep


async def annotated_file(f: io.TextIOWrapper):
    return f.readline()  # AR105


async def optional_client(client: Optional[httpx.Client]):
    return client.get("/")  # AR102


async def union_none_client(client: httpx.Client | None = None):
    return client.post("/")  # AR102


async def none_first_union(client: "None | httpx.Client"):
    return client.send(None)  # AR102


async def union_of_file(f: Union[io.BufferedReader, None]):
    return f.read()  # AR105


async def annotated_assignment():
    pool: urllib3.PoolManager = make_pool()
    return pool.request("GET", "/")  # AR102


async def declared_type_kept():
    pool: urllib3.PoolManager = make_pool()
    pool = make_pool()
    return pool.urlopen("GET", "/")  # AR102


async def spawn_and_wait(path):
    pid = os.spawnl(os.P_NOWAIT, path, path)  # AR104
    return os.waitpid(pid, 0)  # AR104


async def posix_spawn(path):
    return os.posix_spawn(path, [path], {})  # AR104


async def output_of_command():
    return subprocess.getoutput("ls")  # AR104


async def status_of_command():
    return subprocess.getstatusoutput("ls")  # AR104


async def open_code_and_fd(fd):
    io.open_code("plugin.py")  # AR105
    return os.fdopen(fd)  # AR105


async def file_from_fd(fd):
    f = os.fdopen(fd)  # AR105
    return f.read()  # one problem, one finding: the fdopen above


async def with_open_read(path):
    with open(path) as f:  # AR105
        return f.read()


def fetch_many(urls):
    return [fetch_one(u) for u in urls]


def fetch_one(url):
    return parse(download(url))


def download(url):
    return retry(url)


def retry(url):
    return last_step(url)


def last_step(url):
    return httpx.get(url).text


def parse(text):
    return text.strip()


async def five_calls_down(urls):
    return fetch_many(urls)  # AR102


def get_node(host=None, port=0, node_name=None):
    if host:
        socket.gethostbyname(host)
    if port is not None and port:
        time.sleep(port)
    return node_name


async def lookup_by_host(host):
    return get_node(host)  # AR103


async def clean_lookup_by_name(name):
    return get_node(node_name=name)


async def clean_lookup_by_name_and_none(name):
    return get_node(None, node_name=name)


async def handle_client(sock):
    data = sock.recv(1024)  # AR103
    sock.sendall(data.upper())  # AR103


async def clean_websocket(ws):
    message = await ws.recv()
    await ws.send(message)


async def clean_stream_param(writer, data):
    writer.write(data)
    await writer.drain()


class Poller:
    def sleep(self, seconds):
        time.sleep(seconds)

    async def clean_module_sleep(self):
        await sleep(1)

    async def own_method(self):
        self.sleep(1)  # AR101


async def clean_optional_int(count: Optional[int] = None):
    return (count or 0) + 1


async def clean_annotated_other(f: io.StringIO):
    return f.read()


async def clean_unbound_lowercase_name():
    return undefined_helper()


async def clean_guard_offloaded(host):
    return await asyncio.to_thread(get_node, host)


def make_pool():
    return urllib3.PoolManager()


async def clean_nonblocking_socket(sock):
    try:
        return sock.recv(1024)
    except (BlockingIOError, InterruptedError):
        return b""


async def clean_nonblocking_known_socket(sock: socket.socket, data):
    try:
        sock.sendall(data)
    except BlockingIOError:
        pass
