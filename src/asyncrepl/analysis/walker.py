"""Walks code that runs on the event loop and notes each blocking call in it as a :class:`Hit`:
coroutine bodies, the lambdas and comprehensions they run, and the sync helpers they call."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any

from asyncrepl.analysis.calls import (
    FILE,
    LOCK_TYPES,
    TASK_STARTERS,
    CallChecks,
    HelperSummary,
    Hit,
)
from asyncrepl.analysis.guards import branch_taken
from asyncrepl.analysis.patterns import (
    awaits,
    big_range,
    catches_would_block,
    done_names,
    statements,
)
from asyncrepl.analysis.scope import (
    UNKNOWN,
    ClassRef,
    FuncRef,
    InstanceRef,
    Ref,
    Scope,
    Unit,
    annotated,
    element_of,
    function_scope,
    resolve,
)

__all__ = ["Hit", "Walker"]


def _kinds(*bases: type) -> frozenset[type]:
    """Every node class under ``bases`` (so a visit tests ``type(node) in ...``, a set lookup,
    instead of ``isinstance`` against a tuple)."""
    found: set[type] = set()
    stack = list(bases)
    while stack:
        kind = stack.pop()
        found.add(kind)
        stack.extend(kind.__subclasses__())
    return frozenset(found)


#: Nodes with no call inside: a walk never needs to enter them.
_LEAVES = _kinds(
    ast.Name,
    ast.Constant,
    ast.expr_context,
    ast.operator,
    ast.boolop,
    ast.unaryop,
    ast.cmpop,
    ast.alias,
    ast.arguments,
)
_EXPRESSIONS = _kinds(ast.expr)
#: The fields that hold statements: all a walk off the loop enters.
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


class Walker(CallChecks, ast.NodeVisitor):
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
        #: Names bound to a file whose opening is reported (``f = open(p)``): one problem,
        #: one finding, so ``f.read()`` is not reported again. (A socket's connect and its
        #: recv are two waits, each reported.)
        self._reported: set[str] = set()
        #: Calls written under ``await`` (a coroutine method, whatever the receiver is).
        self._awaited: set[int] = set()
        #: Inside a ``try`` that catches ``BlockingIOError``: its sockets are non-blocking.
        self._would_block = 0

    # -- bodies ------------------------------------------------------------------------

    def visit(self, node: ast.AST) -> None:
        """Off the loop only statements matter (they bind names and hold the async defs):
        skipping expressions there keeps a module with huge literals fast."""
        kind = type(node)
        if kind in _EXPRESSIONS and not self.on_loop:
            return
        method = _DISPATCH.get(kind)
        if method is not None:
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        """The children (on the loop), or only the blocks of statements (off it)."""
        # The hottest loop of the check: one dict lookup a child finds its visitor, and
        # names, constants and non-nodes (absent from _DISPATCH) cost no call at all.
        dispatch = _DISPATCH.get
        for field in node._fields if self.on_loop else _BLOCKS:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    method = dispatch(type(item))
                    if method is not None:
                        method(self, item)
            else:
                method = dispatch(type(value))
                if method is not None:
                    method(self, value)

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

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # A method's body does not see its class's names: it looks up the module's.
        outer = self.scope.parent if self.cls is not None and self.scope.parent else self.scope
        func = FuncRef(node, outer, self.unit, self._method_self(node))
        self.scope.bind(node.name, func)
        # A sync def is walked only to find the async defs inside: most have none.
        if self.discover and (func.is_async or self._holds_async_def(node)):
            self._walk_function(func)

    def _holds_async_def(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Whether an ``async def`` is written inside ``node``. The text is asked first: a
        search in C over the lines, where most functions end the question."""
        lines = self.unit.lines[node.lineno : node.end_lineno]
        if "async" not in "\n".join(lines):
            return False
        return any(isinstance(s, ast.AsyncFunctionDef) for s in statements(node.body, nested=True))

    visit_AsyncFunctionDef = visit_FunctionDef

    def _method_self(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Ref | None:
        cls = self.cls
        if cls is None:
            return None
        decorators = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
        if "staticmethod" in decorators:
            return None
        return cls if "classmethod" in decorators else InstanceRef(cls)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        cls = ClassRef(node, self.scope, self.unit)
        self.scope.bind(node.name, cls)
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                cls.methods[item.name] = item
        if self.discover:
            child = self._child(Scope(self.scope, set()), on_loop=False, coroutine=False)
            child.cls = cls
            self.hits += child.walk(node.body)

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
            name = node.target.id
            kind = annotated(node.annotation, self.scope)
            if kind is None:
                self.scope.declared.pop(name, None)
            else:
                self.scope.declared[name] = kind
            ref = resolve(node.value, self.scope) if node.value is not None else None
            self._bind_name(name, ref or kind, node.value)

    def _assign_value(self, value: ast.expr) -> None:
        if not isinstance(value, ast.Lambda):
            self.visit(value)  # a lambda runs when it is called, not here

    def _bind_name(self, name: str, ref: Ref | None, value: ast.expr | None) -> None:
        """Bind ``name``; an assignment the checker cannot follow keeps a declared type."""
        if ref is None or ref is UNKNOWN:
            ref = self.scope.declared.get(name)
        self.scope.bind(name, ref)
        if ref == FILE and value is not None and self.hits and self.hits[-1].node is value:
            self._reported.add(name)
        else:
            self._reported.discard(name)

    def _bind_target(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, ast.Lambda):
                self.scope.bind(target.id, FuncRef(value, self.scope, self.unit))
            else:
                self._bind_name(target.id, resolve(value, self.scope) if value else None, value)
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
            if self.on_loop and is_name and isinstance(entered, str) and entered in LOCK_TYPES:
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
        taken = branch_taken(node.test, self.scope.falsy, self.scope.nones)
        done = done_names(node.test)
        added = done - self._done
        self._done |= added
        if taken is not False:
            self.walk(node.body)
        self._done -= added
        if taken is not True:
            self.walk(node.orelse)

    def visit_Try(self, node: ast.Try | ast.TryStar) -> None:
        """``try: sock.recv(n) except BlockingIOError:`` reads a non-blocking socket."""
        if not catches_would_block(node.handlers):
            self.generic_visit(node)
            return
        self._would_block += 1
        try:
            self.walk(node.body)
        finally:
            self._would_block -= 1
        self.walk([*node.handlers, *node.orelse, *node.finalbody])  # type: ignore[list-item]

    visit_TryStar = visit_Try

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
            for target in ([gen.target] if type(gen.target) is ast.Name else ast.walk(gen.target))
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
        if not (self.coroutine and isinstance(call, ast.Call)):
            self.visit(call)
            return
        callee = resolve(call.func, self.scope)
        if self._makes_coroutine(call, callee):
            self._hit("AR113", "", "", call)
            self.generic_visit(call)
        elif isinstance(callee, str) and callee in TASK_STARTERS:
            self.generic_visit(call)
            self._hit("AR114", "", "", call)
        else:
            self._visit_call(call, callee)

    def visit_Await(self, node: ast.Await) -> None:
        self._awaited.add(id(node.value))
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        self._visit_call(node, resolve(node.func, self.scope))

    def _visit_call(self, node: ast.Call, callee: Ref | None) -> None:
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
            self._check_call(node, callee or self._socket_param(node))


#: Node class -> its visitor (``Walker.visit_Call``, else the generic visit); leaves have none.
_DISPATCH: dict[type, Callable[[Walker, Any], None]] = {
    kind: getattr(Walker, f"visit_{kind.__name__}", Walker.generic_visit)
    for kind in _kinds(ast.AST) - _LEAVES
}
