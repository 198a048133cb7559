"""The static rules (codes ``AR1xx``): each rule class declares its code, its words for a
person, and the calls it knows, and registers itself with :func:`rule`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, TypeVar

__all__ = ["RULE_CLASSES", "Rule", "call_rule", "rule", "rule_for"]

#: Every registered rule class, by code, in code order.
RULE_CLASSES: dict[str, type[Rule]] = {}

_WHY_LOOP = "blocks the entire event loop: every other task waits"

R = TypeVar("R", bound="type[Rule]")


def rule(cls: R) -> R:
    """Register a rule class under its code. A code is never registered twice.

    :param cls: a :class:`Rule` subclass.
    """
    if cls.code in RULE_CLASSES:
        raise ValueError(f"rule code {cls.code} is already taken by {RULE_CLASSES[cls.code]}")
    RULE_CLASSES[cls.code] = cls
    return cls


class Rule:
    """One finding code: data only. The checker finds the calls; the rule says what they mean.

    ``calls`` maps a qualified name (``"time.sleep"``, an instance method as
    ``"requests.Session().get"``; every method of an object as ``"open().*"``, see
    :data:`PURE_METHODS`) to what the call does, in a few words; ``fix_style`` says
    how :mod:`asyncrepl.analysis.fixes` rewrites the call (``"thread"``: in
    ``asyncio.to_thread``; ``"sleep"``; ``"await-arg"``; ``"await"``; ``"asyncio"``).
    """

    code: ClassVar[str]
    slug: ClassVar[str]
    title: ClassVar[str]
    why: ClassVar[str]
    fix: ClassVar[str]
    fix_style: ClassVar[str] = "thread"
    calls: ClassVar[Mapping[str, str]] = {}
    #: Message templates: ``call`` for a call written in async code, ``helper`` for one
    #: reached through a function the coroutine calls.
    messages: ClassVar[Mapping[str, str]] = {
        "call": "`{call}` {what}{duration}, and it runs on the event loop.",
        "helper": "`{call}` calls `{inner}` ({where}), which {what}{duration}.",
    }


def _methods(cls_name: str, names: str, what: str) -> dict[str, str]:
    return {f"{cls_name}().{name}": what for name in names.split()}


def _functions(module: str, names: str, what: str) -> dict[str, str]:
    return {f"{module}.{name}": what for name in names.split()}


_HTTP_VERBS = "get post put patch delete head options request"


@rule
class BlockingSleep(Rule):
    code = "AR101"
    slug = "blocking-sleep"
    title = "time.sleep() in async code"
    why = f"`time.sleep()` never gives the event loop back, so it {_WHY_LOOP}."
    fix = "await asyncio.sleep(seconds)"
    fix_style = "sleep"
    calls: ClassVar[Mapping[str, str]] = {"time.sleep": "sleeps"}


@rule
class BlockingHTTP(Rule):
    code = "AR102"
    slug = "blocking-http"
    title = "A blocking HTTP request in async code"
    why = f"A synchronous HTTP client waits for the whole response, and meanwhile it {_WHY_LOOP}."
    fix = "await asyncio.to_thread(requests.get, url)  # or an async client: httpx.AsyncClient"
    calls: ClassVar[Mapping[str, str]] = {
        **_functions("requests", _HTTP_VERBS, "waits for an HTTP response"),
        **_methods("requests.Session", _HTTP_VERBS + " send", "waits for an HTTP response"),
        **{
            name: what
            # httpx2 is the maintained continuation of httpx, with the same API.
            for module in ("httpx", "httpx2")
            for name, what in {
                **_functions(module, _HTTP_VERBS + " stream", "waits for an HTTP response"),
                **_methods(
                    f"{module}.Client", _HTTP_VERBS + " send stream", "waits for an HTTP response"
                ),
                f"{module}.Client().close": "closes its connections",
            }.items()
        },
        **_functions("urllib.request", "urlopen urlretrieve", "waits for an HTTP response"),
        **_methods("http.client.HTTPConnection", "request getresponse connect", "waits on HTTP"),
        "urllib3.request": "waits for an HTTP response",
        **_methods(
            "urllib3.PoolManager",
            "request urlopen request_encode_url request_encode_body",
            "waits for an HTTP response",
        ),
        # A urllib3 pool's other methods reach the network too (connections, closing).
        "urllib3.PoolManager().*": "waits on HTTP connections",
    }


@rule
class BlockingSocket(Rule):
    code = "AR103"
    slug = "blocking-socket"
    title = "A blocking socket or DNS call in async code"
    why = f"A blocking socket waits for the network, and meanwhile it {_WHY_LOOP}."
    fix = "reader, writer = await asyncio.open_connection(host, port)"
    calls: ClassVar[Mapping[str, str]] = {
        "socket.create_connection": "waits to connect",
        **_functions(
            "socket",
            "gethostbyname gethostbyname_ex gethostbyaddr getaddrinfo getnameinfo",
            "waits for DNS",
        ),
        **_methods(
            "socket.socket",
            "connect recv recv_into recvfrom send sendall sendto accept",
            "waits on a socket",
        ),
    }


@rule
class BlockingSubprocess(Rule):
    code = "AR104"
    slug = "blocking-subprocess"
    title = "Waiting for a process in async code"
    why = f"It waits until the other program ends, and meanwhile it {_WHY_LOOP}."
    fix = "proc = await asyncio.create_subprocess_exec(...); await proc.wait()"
    calls: ClassVar[Mapping[str, str]] = {
        **_functions(
            "subprocess",
            "run call check_call check_output getoutput getstatusoutput",
            "waits for a process to finish",
        ),
        **_methods("subprocess.Popen", "wait communicate", "waits for a process to finish"),
        "os.system": "waits for a process to finish",
        "os.popen": "starts a process and reads it",
        **_functions("os", "wait waitpid wait3 wait4 waitid", "waits for a process to finish"),
        **_functions(
            "os",
            "spawnl spawnle spawnlp spawnlpe spawnv spawnve spawnvp spawnvpe",
            "starts a process (and with os.P_WAIT waits for it)",
        ),
        **_functions("os", "posix_spawn posix_spawnp", "starts a process"),
    }


@rule
class BlockingFile(Rule):
    code = "AR105"
    slug = "blocking-file"
    title = "File I/O in async code"
    why = f"Reading and writing files waits for the disk, and meanwhile it {_WHY_LOOP}."
    fix = "text = await asyncio.to_thread(path.read_text)"
    calls: ClassVar[Mapping[str, str]] = {
        **{name: "opens a file" for name in ("open", "io.open", "io.open_code", "os.fdopen")},
        **_functions("tempfile", "TemporaryFile NamedTemporaryFile mkstemp", "creates a file"),
        **_functions("tempfile", "TemporaryDirectory mkdtemp", "creates a folder"),
        # Every method of a file object reads, writes, flushes or closes it.
        "open().*": "does file I/O",
        **_methods(
            "pathlib.Path",
            "read_text read_bytes write_text write_bytes open",
            "does file I/O",
        ),
        **_methods(
            "pathlib.Path",
            "stat lstat exists is_file is_dir is_symlink is_mount iterdir glob rglob walk "
            "resolve readlink owner group samefile mkdir touch unlink rmdir rename replace "
            "chmod lchmod symlink_to hardlink_to",
            "waits for the file system",
        ),
        **_functions(
            "os",
            "stat lstat listdir scandir walk remove unlink rmdir removedirs mkdir makedirs "
            "rename renames replace chmod chown symlink link readlink access truncate",
            "waits for the file system",
        ),
        **_functions(
            "os.path",
            "exists lexists isfile isdir islink ismount getsize getmtime getatime getctime "
            "realpath samefile",
            "waits for the file system",
        ),
        **_functions(
            "shutil",
            "copy copy2 copyfile copytree copyfileobj copymode copystat move rmtree "
            "make_archive unpack_archive disk_usage chown which",
            "copies, moves or reads files",
        ),
        # An SSL context reads its certificates from files (create_default_context only with
        # a cafile or capath: see fixes.is_nonblocking).
        "ssl.create_default_context": "reads certificate files",
        **_methods(
            "ssl.SSLContext",
            "load_cert_chain load_verify_locations load_dh_params",
            "reads certificate files",
        ),
    }


@rule
class BlockingInput(Rule):
    code = "AR106"
    slug = "blocking-input"
    title = "Waiting for keyboard input in async code"
    why = f"It waits until someone types a line, and meanwhile it {_WHY_LOOP}."
    fix = 'await asyncio.to_thread(input, "prompt: ")'
    calls: ClassVar[Mapping[str, str]] = {
        "input": "waits for you to type",
        "getpass.getpass": "waits for you to type",
    }


@rule
class BlockingLock(Rule):
    code = "AR107"
    slug = "blocking-thread-sync"
    title = "A thread lock, event or join in async code"
    why = (
        "A threading lock, event or join waits for another thread while holding the one "
        f"the event loop runs on, so it {_WHY_LOOP} (or waits forever)."
    )
    fix = "async with lock:  # with lock = asyncio.Lock(); or: await asyncio.to_thread(t.join)"
    calls: ClassVar[Mapping[str, str]] = {
        **{
            f"threading.{kind}().{name}": "waits for a thread lock"
            for kind in ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition")
            for name in ("acquire", "wait", "wait_for", "__enter__")
        },
        "threading.Event().wait": "waits for a threading event",
        "threading.Barrier().wait": "waits at a thread barrier",
        "threading.Thread().join": "waits for a thread to finish",
    }


@rule
class BlockingQueue(Rule):
    code = "AR108"
    slug = "blocking-queue"
    title = "A thread queue's get() or put() in async code"
    why = (
        "`queue.Queue` waits for another thread to put or take an item, "
        f"and meanwhile it {_WHY_LOOP}."
    )
    fix = "q = asyncio.Queue(); item = await q.get()"
    calls: ClassVar[Mapping[str, str]] = {
        f"queue.{kind}().{name}": "waits on a thread queue"
        for kind in ("Queue", "LifoQueue", "PriorityQueue", "SimpleQueue")
        for name in ("get", "put", "join")
    }


@rule
class BlockingFuture(Rule):
    code = "AR109"
    slug = "blocking-future"
    title = "Waiting for a concurrent.futures future in async code"
    why = (
        "`Future.result()` waits for a thread or process to finish the work, "
        f"and meanwhile it {_WHY_LOOP}."
    )
    fix = "result = await asyncio.wrap_future(future)"
    calls: ClassVar[Mapping[str, str]] = {
        "concurrent.futures.Future().result": "waits for a future",
        "concurrent.futures.Future().exception": "waits for a future",
        "concurrent.futures.wait": "waits for futures",
        "concurrent.futures.as_completed": "waits for futures",
    }


@rule
class BlockingDatabase(Rule):
    code = "AR110"
    slug = "blocking-database"
    title = "A synchronous database call in async code"
    why = f"A synchronous database driver waits for the database, and meanwhile it {_WHY_LOOP}."
    fix = "rows = await asyncio.to_thread(run_query, sql)  # or an async driver: aiosqlite"
    calls: ClassVar[Mapping[str, str]] = {
        **{
            f"{module}.connect": "connects to a database"
            for module in ("sqlite3", "psycopg2", "psycopg", "pymysql", "mysql.connector")
        },
        **_methods(
            "dbapi.Connection",
            "execute executemany executescript commit rollback",
            "waits for the database",
        ),
        **_methods(
            "dbapi.Cursor",
            "execute executemany fetchone fetchall fetchmany",
            "waits for the database",
        ),
        **_methods(
            "redis.Redis",
            "get set delete incr decr exists expire keys mget mset hget hset hgetall lpush "
            "rpush lpop rpop blpop brpop publish ping sadd smembers",
            "waits for Redis",
        ),
        **_methods(
            "sqlalchemy.orm.Session",
            "execute commit flush refresh get scalar scalars merge delete",
            "waits for the database",
        ),
        **_methods(
            "sqlalchemy.orm.Query", "all first one one_or_none count", "waits for the database"
        ),
        **_methods("sqlalchemy.Connection", "execute commit", "waits for the database"),
        "sqlalchemy.Engine().connect": "connects to a database",
    }


@rule
class NestedLoop(Rule):
    code = "AR111"
    slug = "nested-event-loop"
    title = "asyncio.run() inside a running event loop"
    why = (
        "An event loop is already running here, and a second one cannot start inside it: "
        "`asyncio.run()` raises RuntimeError (and `run_until_complete` would block the loop)."
    )
    fix = "await main()"
    fix_style = "await-arg"
    calls: ClassVar[Mapping[str, str]] = {
        "asyncio.run": "starts a second event loop",
        "asyncio.AbstractEventLoop().run_until_complete": "runs the event loop inside itself",
    }
    messages: ClassVar[Mapping[str, str]] = {
        "call": "`{call}` {what} inside the running one.",
        "helper": "`{call}` calls `{inner}` ({where}), which {what} inside the running one.",
    }


@rule
class BlockingCPU(Rule):
    code = "AR112"
    slug = "blocking-cpu"
    title = "Heavy CPU work in async code"
    why = f"Long computation never reaches an `await`, so it {_WHY_LOOP}."
    fix = "result = await asyncio.to_thread(work, data)"
    calls: ClassVar[Mapping[str, str]] = {
        "hashlib.pbkdf2_hmac": "is heavy CPU work",
        "hashlib.scrypt": "is heavy CPU work",
        "bcrypt.hashpw": "is heavy CPU work",
        "bcrypt.checkpw": "is heavy CPU work",
        "bcrypt.kdf": "is heavy CPU work",
    }


@rule
class UnawaitedCoroutine(Rule):
    code = "AR113"
    slug = "coroutine-not-awaited"
    title = "A coroutine that is never awaited"
    why = (
        "Calling a coroutine function only creates a coroutine object; "
        "it runs when you await it (or wrap it in a task), so this line does nothing."
    )
    fix = "await fetch(url)  # or: task = asyncio.create_task(fetch(url))"
    fix_style = "await"
    calls: ClassVar[Mapping[str, str]] = {}
    messages: ClassVar[Mapping[str, str]] = dict.fromkeys(
        ("call", "helper"), "`{call}` makes a coroutine, but nothing awaits it, so it never runs."
    )


@rule
class TaskNotKept(Rule):
    code = "AR114"
    slug = "task-not-kept"
    title = "A task started and not kept"
    why = (
        "The event loop keeps only a weak reference to a task: when nothing else refers to it, "
        "the task can be garbage-collected before it finishes, and its errors are never seen."
    )
    fix = "task = asyncio.create_task(work())  # keep it and await it, or use a TaskGroup"
    fix_style = "keep"
    calls: ClassVar[Mapping[str, str]] = {}
    messages: ClassVar[Mapping[str, str]] = dict.fromkeys(
        ("call", "helper"),
        "`{call}` starts a task and drops it: it can be garbage-collected mid-flight.",
    )


#: Methods of objects with an ``"().*"`` entry that never wait (they answer from memory).
PURE_METHODS = frozenset(
    {"fileno", "isatty", "readable", "writable", "seekable", "detach", "connection_from_url"}
)


def call_rule(qualname: str) -> tuple[type[Rule], str] | None:
    """The rule that names ``qualname`` and what the call does, or None.

    :param qualname: ``"time.sleep"``, ``"open().read"`` ...
    """
    cls = _BY_CALL.get(qualname)
    if cls is not None:
        return cls, cls.calls[qualname]
    kind, dot, method = qualname.rpartition("().")
    if not dot or "." in method or method in PURE_METHODS or method.startswith("_"):
        return None
    key = f"{kind}().*"
    cls = _BY_CALL.get(key)
    return None if cls is None else (cls, cls.calls[key])


def rule_for(qualname: str) -> type[Rule] | None:
    """The rule whose ``calls`` name ``qualname``, or None."""
    found = call_rule(qualname)
    return None if found is None else found[0]


_BY_CALL: dict[str, type[Rule]] = {name: cls for cls in RULE_CLASSES.values() for name in cls.calls}
