"""Sockets, DNS and processes."""
import asyncio
import os
import socket
import subprocess
from subprocess import check_output


async def dns(host):
    return socket.gethostbyname(host)  # AR103


async def resolve_all(host):
    return socket.getaddrinfo(host, 443)  # AR103


async def raw_socket(host):
    sock = socket.create_connection((host, 80), timeout=5)  # AR103
    sock.sendall(b"ping")  # AR103
    return sock.recv(1024)  # AR103


async def server_accept(server: socket.socket):
    conn, _ = server.accept()  # AR103
    return conn


async def run_tool():
    return subprocess.run(["git", "status"], capture_output=True)  # AR104


async def shell_out():
    os.system("make build")  # AR104


async def output_of():
    return check_output(["uname", "-a"])  # AR104


async def popen_wait():
    proc = subprocess.Popen(["sleep", "1"])
    proc.wait()  # AR104
    return proc.communicate()  # AR104


async def reap(pid):
    return os.waitpid(pid, 0)  # AR104


async def popen_read():
    return os.popen("ls").read()  # AR104 AR105


def git_head():
    return subprocess.check_output(["git", "rev-parse", "HEAD"]).strip()


async def through_helper():
    return git_head()  # AR104


async def clean_async_dns(host):
    loop = asyncio.get_running_loop()
    return await loop.getaddrinfo(host, 443)


async def clean_nonblocking_socket(sock: socket.socket):
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("example.com", 80))
    return sock.recv(1024)


async def clean_subprocess_to_thread():
    return await asyncio.to_thread(subprocess.run, ["git", "status"])


async def clean_popen_start():
    proc = subprocess.Popen(["sleep", "10"])
    return proc.pid


async def clean_socket_constants():
    return socket.AF_INET, socket.SOCK_STREAM, os.getpid()


async def clean_poll(proc: subprocess.Popen):
    return proc.poll()
