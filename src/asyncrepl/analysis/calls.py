"""What a call written on the event loop means: a blocking call of a known library, a
helper whose summary holds one, a coroutine nobody awaits, or nothing; each noted as a
:class:`Hit`."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace

from asyncrepl.analysis.fixes import is_nonblocking
from asyncrepl.analysis.guards import FalseParams, left_false
from asyncrepl.analysis.library import (
    COROUTINE_FUNCTIONS,
    COROUTINE_METHOD_NAMES,
    OFFLOAD_FUNCTIONS,
    OFFLOAD_METHOD_NAMES,
)
from asyncrepl.analysis.patterns import big_range, method_name
from asyncrepl.analysis.rules import call_rule
from asyncrepl.analysis.scope import FuncRef, LiveRef, Ref, Scope, Unit

__all__ = ["FILE", "LOCK_TYPES", "TASK_STARTERS", "CallChecks", "HelperSummary", "Hit"]

_CONSUMERS = frozenset({"sum", "min", "max", "sorted", "list", "set", "tuple", "any", "all"})
LOCK_TYPES = frozenset(
    f"threading.{kind}()"
    for kind in ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition")
)
_CLIENT_SOCKET = "socket.socket()"
FILE = "open()"
#: Socket methods no other common object has: an untyped parameter they are called on is a
#: socket (unless the call is awaited: then it is an async object's coroutine method).
_SOCKET_ONLY = frozenset({"recv", "recv_into", "recvfrom", "recvfrom_into", "sendall", "sendto"})
#: Calls that start a task the loop holds only weakly.
TASK_STARTERS = frozenset(
    {"asyncio.create_task", "asyncio.ensure_future", "asyncio.AbstractEventLoop().create_task"}
)


@dataclass(frozen=True, eq=False)
class Hit:
    """One blocking call (or un-awaited coroutine) that runs on the loop.

    :param code: the rule's code; :param what: what the call does, in words.
    :param qualname: what the call resolved to; :param node: the call or ``with`` item.
    :param unit: the source it is in; :param via: for a helper's call, the hit inside it.
    """

    code: str
    what: str
    qualname: str
    node: ast.expr
    unit: Unit
    via: Hit | None = None


#: Summarises what calling a function would hit, given the parameters the call leaves false
#: (the checker memoises each summary).
HelperSummary = Callable[[FuncRef | LiveRef, FalseParams], list[Hit]]


class CallChecks:
    """The call checks of :class:`~asyncrepl.analysis.walker.Walker`, which holds the state
    they read: the scope, the hits so far, and what the walk has learnt (futures known done,
    sockets made non-blocking, files whose opening is reported, calls under ``await``)."""

    unit: Unit
    scope: Scope
    summary: HelperSummary
    coroutine: bool
    hits: list[Hit]
    _done: set[str]
    _nonblocking: set[str]
    _reported: set[str]
    _awaited: set[int]
    _would_block: int

    def _makes_coroutine(self, call: ast.Call, callee: Ref | None) -> bool:
        if isinstance(callee, FuncRef):
            return callee.is_async
        if isinstance(callee, LiveRef):
            return inspect.iscoroutinefunction(callee.value)
        if isinstance(callee, str):
            return callee in COROUTINE_FUNCTIONS
        return isinstance(call.func, ast.Attribute) and call.func.attr in COROUTINE_METHOD_NAMES

    def _socket_param(self, node: ast.Call) -> Ref | None:
        """``sock.recv(1024)`` on an untyped parameter: a socket's method."""
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _SOCKET_ONLY
            and isinstance(func.value, ast.Name)
            and func.value.id in self.scope.untyped
            and func.value.id not in self.scope.names
            and id(node) not in self._awaited
        ):
            return f"{_CLIENT_SOCKET}.{func.attr}"
        return None

    def _offloads(self, node: ast.Call, callee: Ref | None) -> bool:
        if isinstance(callee, str) and callee in OFFLOAD_FUNCTIONS:
            return True
        return isinstance(node.func, ast.Attribute) and node.func.attr in OFFLOAD_METHOD_NAMES

    def _note_nonblocking(self, node: ast.Call) -> None:
        """``sock.setblocking(False)``: that socket's calls return at once from here on."""
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("setblocking", "settimeout")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and not node.args[0].value
        ):
            self._nonblocking.add(ast.dump(func.value))

    def _check_call(self, node: ast.Call, callee: Ref | None) -> None:
        if isinstance(callee, str):
            self._check_named_call(node, callee)
        elif isinstance(callee, FuncRef | LiveRef):
            if isinstance(callee, FuncRef) and callee.is_async:
                return
            inner = self.summary(callee, left_false(node, callee))
            if inner:
                first = inner[0]
                self.hits.append(replace(first, node=node, unit=self.unit, via=first))
        elif callee is None and method_name(node) == "run_until_complete":
            self._hit("AR111", "", "asyncio.AbstractEventLoop().run_until_complete", node)

    def _check_named_call(self, node: ast.Call, qualname: str) -> None:
        found = call_rule(qualname)
        if found is not None:
            if is_nonblocking(qualname, node) or self._known_ready(node, qualname):
                return
            receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
            if isinstance(receiver, ast.Name) and receiver.id in self._reported:
                return  # the call that made it is reported already
            self._hit(found[0].code, found[1], qualname, node)
        elif qualname in _CONSUMERS and node.args and big_range(node.args[0]):
            self._hit("AR112", "is a long computation with no await", qualname, node)

    def _known_ready(self, node: ast.Call, qualname: str) -> bool:
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        if receiver is None:
            return False
        if qualname.startswith("concurrent.futures.Future()"):
            return isinstance(receiver, ast.Name) and receiver.id in self._done
        if not qualname.startswith(_CLIENT_SOCKET):
            return False
        return self._would_block > 0 or ast.dump(receiver) in self._nonblocking

    def _hit(self, code: str, what: str, qualname: str, node: ast.expr) -> None:
        self.hits.append(Hit(code, what, qualname, node, self.unit))
