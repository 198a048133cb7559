"""Small shapes of syntax the walker recognises: a range too big to loop over on the event
loop, a body that awaits, a future known to be done, the statements of a body and the names
it binds."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from asyncrepl.analysis.fixes import constant_number

__all__ = [
    "all_args",
    "awaits",
    "big_range",
    "bound_names",
    "catches_would_block",
    "done_names",
    "is_name",
    "method_name",
    "statements",
]

_BIG_RANGE = 1_000_000


def is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def method_name(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else ""


def big_range(node: ast.expr) -> bool:
    """``range(10**7)``, or a generator or comprehension over one."""
    if isinstance(node, ast.GeneratorExp | ast.ListComp):
        return any(big_range(gen.iter) for gen in node.generators)
    if not (isinstance(node, ast.Call) and is_name(node.func, "range") and node.args):
        return False
    size = constant_number(node.args[1] if len(node.args) > 1 else node.args[0])
    return size is not None and size >= _BIG_RANGE


def awaits(body: list[ast.stmt]) -> bool:
    return any(
        isinstance(n, ast.Await | ast.AsyncFor | ast.AsyncWith) for s in body for n in ast.walk(s)
    )


#: Exceptions only a non-blocking socket raises: code that catches them reads one.
_WOULD_BLOCK = frozenset({"BlockingIOError", "SSLWantReadError", "SSLWantWriteError"})


def catches_would_block(handlers: list[ast.ExceptHandler]) -> bool:
    """``except BlockingIOError:`` (or ``except (BlockingIOError, InterruptedError):``)."""
    for handler in handlers:
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for kind in kinds:
            name = kind.attr if isinstance(kind, ast.Attribute) else getattr(kind, "id", None)
            if name in _WOULD_BLOCK:
                return True
    return False


def done_names(test: ast.expr) -> set[str]:
    """Names known done where ``test`` is true: ``if fut.done():``, ``if a.done() and ...``
    (a ``.done()`` under ``or`` or ``not`` says nothing)."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    return {
        n.func.value.id
        for n in parts
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "done"
        and isinstance(n.func.value, ast.Name)
    }


def bound_names(body: list[ast.stmt], args: ast.arguments | None = None) -> set[str]:
    """Every name a function body binds (not counting nested functions' own names).

    Only statements and their targets are visited, not every expression: this runs for each
    function and must stay cheap (walrus targets are not counted).

    :param body: the function's statements.
    :param args: its parameters.
    """
    names: set[str] = set()
    if args is not None:
        names.update(arg.arg for arg in all_args(args))
    for stmt in statements(body, nested=False):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(stmt.name)
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
        names.update(handler.name for handler in getattr(stmt, "handlers", ()) if handler.name)
        for target in _targets(stmt):
            if isinstance(target, ast.Name):
                names.add(target.id)
            else:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def statements(body: list[ast.stmt], *, nested: bool) -> Iterator[ast.stmt]:
    """Every statement in ``body`` and in the blocks under it, without entering expressions
    (a fraction of the nodes ``ast.walk`` visits).

    :param nested: also the statements of the functions and classes defined there.
    """
    stack: list[ast.stmt] = list(body)
    while stack:
        stmt = stack.pop()
        yield stmt
        if not nested and isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for part in ("body", "orelse", "finalbody"):
            stack.extend(getattr(stmt, part, ()))
        for handler in getattr(stmt, "handlers", ()):
            stack.extend(handler.body)
        for case in getattr(stmt, "cases", ()):
            stack.extend(case.body)


def _targets(stmt: ast.stmt) -> list[ast.expr]:
    if isinstance(stmt, ast.Assign):
        return stmt.targets
    if isinstance(stmt, ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor):
        return [stmt.target]
    if isinstance(stmt, ast.With | ast.AsyncWith):
        return [item.optional_vars for item in stmt.items if item.optional_vars is not None]
    return []


def all_args(args: ast.arguments) -> Iterator[ast.arg]:
    yield from args.posonlyargs
    yield from args.args
    yield from args.kwonlyargs
    if args.vararg:
        yield args.vararg
    if args.kwarg:
        yield args.kwarg
