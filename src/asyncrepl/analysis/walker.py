"""Walks code that runs on the event loop and notes each blocking call in it as a :class:`Hit`:
coroutine bodies, the lambdas and comprehensions they run, and the sync helpers they call."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from asyncrepl.analysis.fixes import is_nonblocking
from asyncrepl.analysis.library import (
    COROUTINE_FUNCTIONS,
    COROUTINE_METHOD_NAMES,
    OFFLOAD_FUNCTIONS,
    OFFLOAD_METHOD_NAMES,
)
from asyncrepl.analysis.patterns import awaits, big_range, done_names, is_name, method_name
from asyncrepl.analysis.rules import rule_for
from asyncrepl.analysis.scope import (
    UNKNOWN,
    ClassRef,
    FuncRef,
    InstanceRef,
    LiveRef,
    Ref,
    Scope,
    Unit,
    element_of,
    function_scope,
    instance_of,
    resolve,
)

__all__ = ["Hit", "Walker"]

_CONSUMERS = frozenset({"sum", "min", "max", "sorted", "list", "set", "tuple", "any", "all"})
_LOCK_TYPES = frozenset(
    f"threading.{kind}()"
    for kind in ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition")
)
_CLIENT_SOCKET = "socket.socket()"


#: Nodes with no call inside: a walk never needs to enter them.
_LEAVES = (
    ast.Name,
    ast.Constant,
    ast.expr_context,
    ast.operator,
    ast.boolop,
    ast.unaryop,
    ast.cmpop,
    ast.alias,
)

#: Node class -> the name of its visitor method, so each visit skips building the name.
_VISITORS: dict[type, str] = {}


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


#: Summarises what calling a function would hit (the checker memoises and limits depth).
HelperSummary = Callable[[FuncRef | LiveRef], list[Hit]]


class Walker(ast.NodeVisitor):
    """Visits one body. ``on_loop``: calls here run on the event loop; ``coroutine``: the body
    is a coroutine's (a bare coroutine call is a mistake here); ``discover``: also check the
    ``async def`` bodies found inside (only for the checked source itself, not helpers)."""

    def __init__(
        self,
        unit: Unit,
        scope: Scope,
        summary: HelperSummary,
        *,
        on_loop: bool,
        coroutine: bool = False,
        discover: bool = True,
    ) -> None:
        self.unit = unit
        self.scope = scope
        self.summary = summary
        self.on_loop = on_loop
        self.coroutine = coroutine
        self.discover = discover
        self.hits: list[Hit] = []
        #: The class whose body this walker visits, so that its methods bind ``self``.
        self.cls: ClassRef | None = None
        self._done: set[str] = set()
        self._nonblocking: set[str] = set()

    # -- bodies ------------------------------------------------------------------------

    def visit(self, node: ast.AST) -> None:
        """Off the loop only statements matter (they bind names and hold the async defs):
        skipping expressions there keeps a module with huge literals fast."""
        if isinstance(node, _LEAVES):
            return
        if self.on_loop or not isinstance(node, ast.expr):
            kind = type(node)
            name = _VISITORS.get(kind)
            if name is None:
                name = _VISITORS[kind] = f"visit_{kind.__name__}"
            getattr(self, name, self.generic_visit)(node)

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def walk(self, body: Iterable[ast.stmt]) -> list[Hit]:
        for stmt in body:
            self.visit(stmt)
        return self.hits

    def _child(self, scope: Scope, *, on_loop: bool, coroutine: bool) -> Walker:
        child = Walker(
            self.unit,
            scope,
            self.summary,
            on_loop=on_loop,
            coroutine=coroutine,
            discover=self.discover,
        )
        child._done = set(self._done)
        return child

    def _walk_function(self, func: FuncRef) -> None:
        on_loop = func.is_async
        child = self._child(function_scope(func), on_loop=on_loop, coroutine=on_loop)
        assert not isinstance(func.node, ast.Lambda)
        self.hits += child.walk(func.node.body)

    # -- definitions -------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        func = FuncRef(node, self.scope, self.unit, self._method_self(node))
        self.scope.bind(node.name, func)
        if self.discover:
            self._walk_function(func)  # only to find the async defs inside

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        func = FuncRef(node, self.scope, self.unit, self._method_self(node))
        self.scope.bind(node.name, func)
        if self.discover:
            self._walk_function(func)

    def _method_self(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Ref | None:
        cls = self.cls
        decorators = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
        if cls is None or "staticmethod" in decorators:
            return None
        return cls if "classmethod" in decorators else InstanceRef(cls)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        cls = ClassRef(node, self.scope, self.unit)
        self.scope.bind(node.name, cls)
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                cls.methods[item.name] = item
            elif isinstance(item, ast.Assign) and len(item.targets) == 1:
                self._class_attr(cls, item.targets[0], item.value, self.scope)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                # A dataclass field: ``session: requests.Session`` is a Session on instances.
                ref = resolve(item.value, self.scope) if item.value is not None else None
                ref = ref or instance_of(resolve(item.annotation, self.scope))
                cls.attrs[item.target.id] = ref or UNKNOWN
        for found in ast.walk(node):
            if isinstance(found, ast.Assign) and len(found.targets) == 1:
                target = found.targets[0]
                if isinstance(target, ast.Attribute) and is_name(target.value, "self"):
                    cls.attrs.setdefault(target.attr, resolve(found.value, self.scope) or UNKNOWN)
        if self.discover:
            child = self._child(Scope(self.scope, set()), on_loop=False, coroutine=False)
            child.cls = cls
            self.hits += child.walk(node.body)

    @staticmethod
    def _class_attr(cls: ClassRef, target: ast.expr, value: ast.expr, scope: Scope) -> None:
        if isinstance(target, ast.Name):
            cls.attrs[target.id] = resolve(value, scope) or UNKNOWN

    # -- bindings ----------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.scope.bind(alias.asname, alias.name)
            else:
                top = alias.name.split(".")[0]
                self.scope.bind(top, top)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            name = f"{module}.{alias.name}" if node.level == 0 else None
            self.scope.bind(alias.asname or alias.name, name)

    def visit_Assign(self, node: ast.Assign) -> None:
        self._assign_value(node.value)
        for target in node.targets:
            self._bind_target(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assign_value(node.value)
        if isinstance(node.target, ast.Name):
            ref = resolve(node.value, self.scope) if node.value is not None else None
            self.scope.bind(
                node.target.id, ref or instance_of(resolve(node.annotation, self.scope))
            )

    def _assign_value(self, value: ast.expr) -> None:
        if not isinstance(value, ast.Lambda):
            self.visit(value)  # a lambda runs when it is called, not here

    def _bind_target(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, ast.Lambda):
                self.scope.bind(target.id, FuncRef(value, self.scope, self.unit))
            else:
                self.scope.bind(target.id, resolve(value, self.scope) if value else None)
        elif isinstance(target, ast.Tuple | ast.List):
            parts = self._unpacked(value, len(target.elts))
            for item, part in zip(target.elts, parts, strict=True):
                if isinstance(item, ast.Name):
                    self.scope.bind(item.id, part)
                else:
                    self._bind_target(item, None)
        else:
            self.visit(target)

    def _unpacked(self, value: ast.expr | None, count: int) -> list[Ref | None]:
        """``reader, writer = await asyncio.open_connection(...)``: a stream reader and writer."""
        if count == 2 and value is not None and resolve(value, self.scope) == "asyncio.streams()":
            return ["asyncio.StreamReader()", "asyncio.StreamWriter()"]
        return [None] * count

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        if self.on_loop and big_range(node.iter) and not awaits(node.body):
            self._hit("AR112", "is a long loop with no await", "range", node.iter)
        if isinstance(node.target, ast.Name):
            self.scope.bind(node.target.id, element_of(resolve(node.iter, self.scope)))
        else:
            self._bind_target(node.target, None)
        self.walk([*node.body, *node.orelse])

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            entered = resolve(item.context_expr, self.scope)
            is_name = isinstance(item.context_expr, ast.Name | ast.Attribute)
            if self.on_loop and is_name and isinstance(entered, str) and entered in _LOCK_TYPES:
                self._hit("AR107", "waits for a thread lock", entered, item.context_expr)
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, item.context_expr)
        self.walk(node.body)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._bind_target(item.optional_vars, None)
        self._walk_on_loop(node.body)

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._bind_target(node.target, None)
        self._walk_on_loop([*node.body, *node.orelse])

    def _walk_on_loop(self, body: list[ast.stmt]) -> None:
        """``async with``/``async for`` bodies run on the loop even at a cell's top level."""
        if self.on_loop:
            self.walk(body)
            return
        self.on_loop, self.coroutine = True, True
        try:
            self.walk(body)
        finally:
            self.on_loop, self.coroutine = False, False

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        done = done_names(node.test)
        added = done - self._done
        self._done |= added
        self.walk(node.body)
        self._done -= added
        self.walk(node.orelse)

    # -- scopes inside expressions -----------------------------------------------------

    def visit_Lambda(self, node: ast.Lambda) -> None:
        """A lambda not handed to anything runs later, if at all: see :meth:`visit_Call`."""

    def _visit_lambda_body(self, node: ast.Lambda) -> None:
        scope = Scope(self.scope, {a.arg for a in node.args.args})
        self.hits += self._child(scope, on_loop=self.on_loop, coroutine=False).walk(
            [ast.Expr(node.body)]
        )

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        names = {
            target.id
            for gen in node.generators
            for target in ast.walk(gen.target)
            if isinstance(target, ast.Name)
        }
        child = self._child(Scope(self.scope, names), on_loop=self.on_loop, coroutine=False)
        for gen in node.generators:
            child.visit(gen.iter)
            for test in gen.ifs:
                child.visit(test)
        child.visit(node.elt)
        self.hits += child.hits

    visit_ListComp = visit_SetComp = visit_GeneratorExp = _visit_comprehension

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._visit_comprehension(ast.ListComp(ast.Tuple([node.key, node.value]), node.generators))

    # -- statements that call ----------------------------------------------------------

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if self.coroutine and isinstance(call, ast.Call) and self._makes_coroutine(call):
            self._hit("AR113", "", "", call)
            self.generic_visit(call)
            return
        self.visit(call)

    def _makes_coroutine(self, call: ast.Call) -> bool:
        callee = resolve(call.func, self.scope)
        if isinstance(callee, FuncRef):
            return callee.is_async
        if isinstance(callee, LiveRef):
            return inspect.iscoroutinefunction(callee.value)
        if isinstance(callee, str):
            return callee in COROUTINE_FUNCTIONS
        return isinstance(call.func, ast.Attribute) and call.func.attr in COROUTINE_METHOD_NAMES

    def visit_Call(self, node: ast.Call) -> None:
        callee = resolve(node.func, self.scope)
        offload = self._offloads(node, callee)
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if offload and isinstance(arg, ast.Lambda | ast.GeneratorExp):
                continue  # it runs in the worker thread
            if isinstance(arg, ast.Lambda):
                self._visit_lambda_body(arg)
            else:
                self.visit(arg)
        if isinstance(node.func, ast.Lambda):
            self._visit_lambda_body(node.func)
        else:
            self.visit(node.func)
        self._note_nonblocking(node)
        if self.on_loop:
            self._check_call(node, callee)

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
            inner = self.summary(callee)
            if inner:
                first = inner[0]
                self.hits.append(replace(first, node=node, unit=self.unit, via=first))
        elif callee is None and method_name(node) == "run_until_complete":
            self._hit("AR111", "", "asyncio.AbstractEventLoop().run_until_complete", node)

    def _check_named_call(self, node: ast.Call, qualname: str) -> None:
        rule = rule_for(qualname)
        if rule is not None:
            if is_nonblocking(qualname, node) or self._known_ready(node, qualname):
                return
            self._hit(rule.code, rule.calls[qualname], qualname, node)
        elif qualname in _CONSUMERS and node.args and big_range(node.args[0]):
            self._hit("AR112", "is a long computation with no await", qualname, node)

    def _known_ready(self, node: ast.Call, qualname: str) -> bool:
        receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
        if receiver is None:
            return False
        if qualname.startswith("concurrent.futures.Future()"):
            return isinstance(receiver, ast.Name) and receiver.id in self._done
        return qualname.startswith(_CLIENT_SOCKET) and ast.dump(receiver) in self._nonblocking

    def _hit(self, code: str, what: str, qualname: str, node: ast.expr) -> None:
        self.hits.append(Hit(code, what, qualname, node, self.unit))
