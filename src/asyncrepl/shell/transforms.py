"""Rewrites a cell's syntax tree before it runs, for the two things tutorials do at the top level:
``asyncio.run(main())`` becomes ``await`` on the live loop, and a bare ``main()`` is checked
for a coroutine that nobody awaits."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["HELPER_NAME", "CellTransformer"]

#: The name under which the cell helpers (:class:`asyncrepl.shell.cellhooks.CellHooks`) sit in
#: the user namespace. Hidden from ``%who``.
HELPER_NAME = "__asyncrepl__"

#: Nodes whose bodies do not run at the top level of the cell.
_NESTED = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ClassDef,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


class CellTransformer(ast.NodeTransformer):
    """An IPython AST transformer (``shell.ast_transformers``).

    :param namespace: returns the user namespace, to see what ``asyncio`` and ``loop`` are.
    """

    def __init__(self, namespace: Callable[[], Mapping[str, Any]]) -> None:
        self._namespace = namespace
        self._asyncio_names: set[str] = set()
        self._run_names: set[str] = set()

    def visit_Module(self, node: ast.Module) -> ast.Module:
        self._find_asyncio_names(node)
        body: list[ast.stmt] = []
        for stmt in node.body:
            stmt = self._rewrite_runs(stmt)
            if isinstance(stmt, ast.Expr) and not isinstance(stmt.value, ast.Await):
                stmt = self._check_value(stmt)
            body.append(stmt)
        node.body = body
        return node

    def rewrites_to_await(self, source: str) -> bool:
        """Whether this cell has a top-level ``asyncio.run(...)`` that becomes an ``await``
        (so a kernel must run it as async code).

        :param source: the cell after IPython's text transforms.
        """
        try:
            module = ast.parse(source)
        except (SyntaxError, ValueError):
            return False
        self._find_asyncio_names(module)
        finder = _RunRewriter(self)
        for stmt in module.body:
            finder.visit(stmt)
        return finder.rewrote

    # -- asyncio.run(...) -> await __asyncrepl__.run(...) --------------------------------

    def _find_asyncio_names(self, module: ast.Module) -> None:
        """Names that mean ``asyncio`` or ``asyncio.run`` here: the session's and the cell's."""
        self._asyncio_names = set()
        self._run_names = set()
        for name, value in self._namespace().items():
            if value is asyncio:
                self._asyncio_names.add(name)
            elif value is asyncio.run:
                self._run_names.add(name)
        for stmt in module.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.name == "asyncio":
                        self._asyncio_names.add(alias.asname or "asyncio")
            elif isinstance(stmt, ast.ImportFrom) and stmt.module == "asyncio":
                for alias in stmt.names:
                    if alias.name == "run":
                        self._run_names.add(alias.asname or "run")

    def _rewrite_runs(self, stmt: ast.stmt) -> ast.stmt:
        rewritten = _RunRewriter(self).visit(stmt)
        assert isinstance(rewritten, ast.stmt)
        return ast.fix_missing_locations(rewritten)

    def runner_of(self, call: ast.Call) -> str | None:
        """``"run"`` for ``asyncio.run(...)``, ``"run_until_complete"`` for a loop's, else None."""
        func = call.func
        if isinstance(func, ast.Name) and func.id in self._run_names:
            return "run"
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return None
        if func.attr == "run" and func.value.id in self._asyncio_names:
            return "run"
        if func.attr == "run_until_complete":
            target = self._namespace().get(func.value.id)
            if isinstance(target, asyncio.AbstractEventLoop):
                return "run_until_complete"
        return None

    # -- main() at the top level: a coroutine nobody awaits ----------------------------

    def _check_value(self, stmt: ast.Expr) -> ast.Expr:
        if not isinstance(stmt.value, ast.Call):
            return stmt
        wrapped = ast.Call(
            func=_helper_attr("check_unawaited"),
            args=[stmt.value, ast.Constant(_source_of(stmt.value))],
            keywords=[],
        )
        return ast.fix_missing_locations(ast.copy_location(ast.Expr(wrapped), stmt))


class _RunRewriter(ast.NodeTransformer):
    """Rewrites the top-level calls of one statement, leaving nested scopes alone."""

    def __init__(self, owner: CellTransformer) -> None:
        self._owner = owner
        self.rewrote = False

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, _NESTED):
            return node
        return super().generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        runner = self._owner.runner_of(node)
        if runner is None:
            return node
        self.rewrote = True
        call = ast.Call(
            func=_helper_attr(runner),
            args=node.args,
            keywords=[*node.keywords, ast.keyword("source", ast.Constant(_source_of(node)))],
        )
        return ast.copy_location(ast.Await(ast.copy_location(call, node)), node)


def _helper_attr(name: str) -> ast.Attribute:
    return ast.Attribute(ast.Name(HELPER_NAME, ast.Load()), name, ast.Load())


def _source_of(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # unparse has no failure cases we know of; a label is not worth a crash
        return ""
