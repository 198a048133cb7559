"""What the checker knows about libraries besides their blocking calls: which calls make
which objects, which are coroutine functions, which hand work to a thread, and the canonical
names of live objects (``requests.api.get`` is ``requests.get``)."""

from __future__ import annotations

import inspect
import types
from typing import Any

__all__ = [
    "ATTRIBUTES",
    "COROUTINE_FUNCTIONS",
    "COROUTINE_METHOD_NAMES",
    "LIST_OF",
    "OFFLOAD_FUNCTIONS",
    "OFFLOAD_METHOD_NAMES",
    "RETURNS",
    "canonical",
    "live_name",
]

#: Prefix of a list of objects of one kind: ``"list of:threading.Thread()"``.
LIST_OF = "list of:"

_FILE_TYPES = ("TextIOWrapper", "BufferedReader", "BufferedWriter", "BufferedRandom", "FileIO")
_PATH_TYPES = ("Path", "PurePath", "PosixPath", "WindowsPath")
_DBAPI_MODULES = ("sqlite3", "psycopg2", "psycopg", "pymysql", "mysql.connector")
_CLIENTS = {
    "requests.Session": "requests.Session()",
    "requests.session": "requests.Session()",
    "httpx.Client": "httpx.Client()",
    "httpx2.Client": "httpx2.Client()",
    **{
        f"urllib3.{kind}": "urllib3.PoolManager()"
        for kind in (
            "PoolManager",
            "ProxyManager",
            "HTTPConnectionPool",
            "HTTPSConnectionPool",
            "connection_from_url",
            "proxy_from_url",
            "connectionpool.ConnectionPool",
            "connectionpool.HTTPConnectionPool",
            "connectionpool.HTTPSConnectionPool",
            "poolmanager.PoolManager",
            "poolmanager.ProxyManager",
            "request.RequestMethods",
            "_request_methods.RequestMethods",
        )
    },
    "http.client.HTTPConnection": "http.client.HTTPConnection()",
    "http.client.HTTPSConnection": "http.client.HTTPConnection()",
    "redis.Redis": "redis.Redis()",
    "redis.StrictRedis": "redis.Redis()",
    "redis.from_url": "redis.Redis()",
    "redis.Redis.from_url": "redis.Redis()",
}

#: A call (by qualified name) -> the object it returns, named as the checker names instances.
RETURNS: dict[str, str] = {
    **_CLIENTS,
    # Files: what opens one, and the types an annotation names one by.
    **{
        name: "open()"
        for name in (
            "open",
            "io.open",
            "io.open_code",
            "os.fdopen",
            "os.popen",
            "pathlib.Path().open",
            "tempfile.TemporaryFile",
            "tempfile.NamedTemporaryFile",
            *(f"io.{kind}" for kind in _FILE_TYPES),
            *(f"typing.{kind}" for kind in ("IO", "TextIO", "BinaryIO")),
        )
    },
    # Paths: what makes one (the ``/`` operator is in scope.resolve).
    **{
        name: "pathlib.Path()"
        for name in (
            *(f"pathlib.{kind}" for kind in _PATH_TYPES),
            "pathlib.Path.home",
            "pathlib.Path.cwd",
            *(
                f"pathlib.Path().{method}"
                for method in [
                    "resolve",
                    "absolute",
                    "expanduser",
                    "with_name",
                    "with_stem",
                    "with_suffix",
                    "joinpath",
                    "relative_to",
                    "readlink",
                ]
            ),
        )
    },
    **{
        f"pathlib.Path().{method}": f"{LIST_OF}pathlib.Path()"
        for method in ("iterdir", "glob", "rglob")
    },
    "ssl.SSLContext": "ssl.SSLContext()",
    "ssl.create_default_context": "ssl.SSLContext()",
    "socket.socket": "socket.socket()",
    "socket.create_connection": "socket.socket()",
    "socket.create_server": "socket.socket()",
    "socket.socket().accept": "",
    "subprocess.Popen": "subprocess.Popen()",
    **{
        f"threading.{kind}": f"threading.{kind}()"
        for kind in (
            "Lock",
            "RLock",
            "Semaphore",
            "BoundedSemaphore",
            "Condition",
            "Event",
            "Barrier",
            "Thread",
        )
    },
    **{
        f"queue.{kind}": f"queue.{kind}()"
        for kind in (
            "Queue",
            "LifoQueue",
            "PriorityQueue",
            "SimpleQueue",
        )
    },
    "concurrent.futures.ThreadPoolExecutor": "concurrent.futures.Executor()",
    "concurrent.futures.ProcessPoolExecutor": "concurrent.futures.Executor()",
    "concurrent.futures.Executor().submit": "concurrent.futures.Future()",
    "concurrent.futures.Future": "concurrent.futures.Future()",
    "asyncio.run_coroutine_threadsafe": "concurrent.futures.Future()",
    **{f"{module}.connect": "dbapi.Connection()" for module in _DBAPI_MODULES},
    "dbapi.Connection().cursor": "dbapi.Cursor()",
    "dbapi.Connection().execute": "dbapi.Cursor()",
    "dbapi.Cursor().execute": "dbapi.Cursor()",
    "sqlalchemy.create_engine": "sqlalchemy.Engine()",
    "sqlalchemy.Engine().connect": "sqlalchemy.Connection()",
    "sqlalchemy.Engine().begin": "sqlalchemy.Connection()",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session()",
    "sqlalchemy.orm.sessionmaker": "sqlalchemy.orm.sessionmaker()",
    "sqlalchemy.orm.sessionmaker()": "sqlalchemy.orm.Session()",
    "sqlalchemy.orm.Session().query": "sqlalchemy.orm.Query()",
    "sqlalchemy.orm.Query().filter": "sqlalchemy.orm.Query()",
    "sqlalchemy.orm.Query().filter_by": "sqlalchemy.orm.Query()",
    "sqlalchemy.orm.Query().order_by": "sqlalchemy.orm.Query()",
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop()",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop()",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop()",
    "asyncio.open_connection": "asyncio.streams()",
    "asyncio.Lock": "asyncio.Lock()",
    "asyncio.Event": "asyncio.Event()",
    "asyncio.Queue": "asyncio.Queue()",
    "asyncio.Semaphore": "asyncio.Semaphore()",
    "asyncio.Condition": "asyncio.Condition()",
}

#: An attribute (not a call) -> the object it is: ``Path(__file__).parent``.
ATTRIBUTES: dict[str, str] = {"pathlib.Path().parent": "pathlib.Path()"}

#: Coroutine functions: a bare call of one, as a statement, is a coroutine nobody awaits.
COROUTINE_FUNCTIONS: frozenset[str] = frozenset(
    [
        *(
            f"asyncio.{name}"
            for name in (
                "sleep",
                "wait_for",
                "wait",
                "open_connection",
                "start_server",
                "create_subprocess_exec",
                "create_subprocess_shell",
                "to_thread",
            )
        ),
        *(f"asyncio.{kind}().{name}" for kind in ("Lock", "Semaphore") for name in ["acquire"]),
        "asyncio.Event().wait",
        "asyncio.Condition().wait",
        "asyncio.Queue().get",
        "asyncio.Queue().put",
        "asyncio.Queue().join",
        *(
            f"asyncio.AbstractEventLoop().{name}"
            for name in ["sock_recv", "sock_sendall", "sock_connect", "sock_accept", "getaddrinfo"]
        ),
    ]
)

#: Method names that are coroutine methods whatever the object (asyncio streams).
COROUTINE_METHOD_NAMES: frozenset[str] = frozenset({"drain", "wait_closed"})

#: Calls that run the functions, lambdas and generators handed to them in another thread.
OFFLOAD_FUNCTIONS: frozenset[str] = frozenset(
    {
        "asyncio.to_thread",
        "threading.Thread",
        "threading.Timer",
        "multiprocessing.Process",
        "anyio.to_thread.run_sync",
        "concurrent.futures.Executor().submit",
        "concurrent.futures.Executor().map",
    }
)

#: Method names that hand work to a thread whatever the receiver (``loop.run_in_executor``).
OFFLOAD_METHOD_NAMES: frozenset[str] = frozenset(
    {"run_in_executor", "to_thread", "submit", "run_sync", "apply_async", "start_new_thread"}
)

#: Real module paths -> the public names people write.
_ALIASES: dict[str, str] = {
    "requests.api": "requests",
    "requests.sessions.Session": "requests.Session",
    "httpx._api": "httpx",
    "httpx._client.Client": "httpx.Client",
    "urllib3.poolmanager.PoolManager": "urllib3.PoolManager",
    "urllib3._request_methods": "urllib3",
    "_thread.lock": "threading.Lock",
    "_thread.RLock": "threading.RLock",
    "_socket": "socket",
    "posix": "os",
    "nt": "os",
    "_hashlib": "hashlib",
    "getpass.unix_getpass": "getpass.getpass",
    "getpass.win_getpass": "getpass.getpass",
    "builtins": "",
    "io.open": "open",
    "pathlib.PosixPath": "pathlib.Path",
    "pathlib.WindowsPath": "pathlib.Path",
    "concurrent.futures._base.Future": "concurrent.futures.Future",
    "concurrent.futures.thread.ThreadPoolExecutor": "concurrent.futures.Executor",
    "concurrent.futures.process.ProcessPoolExecutor": "concurrent.futures.Executor",
    "concurrent.futures.ThreadPoolExecutor": "concurrent.futures.Executor",
    "concurrent.futures._base.wait": "concurrent.futures.wait",
    "concurrent.futures._base.as_completed": "concurrent.futures.as_completed",
    "sqlite3.Connection": "dbapi.Connection",
    "sqlite3.Cursor": "dbapi.Cursor",
    "redis.client.Redis": "redis.Redis",
    "redis.client.StrictRedis": "redis.Redis",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.engine.base.Engine": "sqlalchemy.Engine",
    "sqlalchemy.engine.base.Connection": "sqlalchemy.Connection",
    "asyncio.runners": "asyncio",
    "asyncio.tasks": "asyncio",
    "asyncio.threads": "asyncio",
    "asyncio.events": "asyncio",
    "asyncio.streams": "asyncio",
    "asyncio.base_events.BaseEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.unix_events._UnixSelectorEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.events.AbstractEventLoop": "asyncio.AbstractEventLoop",
}

_INSTANCE_CLASSES = frozenset(
    value[:-2]
    for value in RETURNS.values()
    if value.endswith("()") and "." in value and not value.startswith(LIST_OF)
)


def canonical(qualname: str) -> str:
    """The public name for a real module path: ``"requests.api.get"`` -> ``"requests.get"``,
    ``"_thread.lock.acquire"`` -> ``"threading.Lock().acquire"``.

    :param qualname: ``module.qualname`` of a function, class or method.
    """
    parts = qualname.split(".")
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in _ALIASES:
            parts = [p for p in [_ALIASES[head], *parts[cut:]] if p]
            break
    name = ".".join(parts)
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in _INSTANCE_CLASSES:
            return head + "()." + ".".join(parts[cut:])
    return name


def live_name(value: Any) -> str | None:
    """The checker's name for a live object of the session, or None when it has none.

    A module is its name, a function or class ``module.qualname``, an instance of a known
    class that class's instance name (``"requests.Session()"``).

    :param value: a value of the live namespace.
    """
    if isinstance(value, types.ModuleType):
        return canonical(value.__name__)
    if inspect.isroutine(value) or inspect.isclass(value):
        module = getattr(value, "__module__", None) or "builtins"
        qualname = getattr(value, "__qualname__", None)
        if qualname is None or "<" in qualname:
            return None
        return canonical(f"{module}.{qualname}")
    kind = type(value)
    name = canonical(f"{kind.__module__}.{kind.__qualname__}")
    return name + "()" if name in _INSTANCE_CLASSES else None
