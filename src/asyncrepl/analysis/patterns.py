"""Small shapes of syntax the walker recognises: a range too big to loop over on the event
loop, a body that awaits, a future known to be done."""

from __future__ import annotations

import ast

from asyncrepl.analysis.fixes import constant_number

__all__ = ["awaits", "big_range", "done_names", "is_name", "method_name"]

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
