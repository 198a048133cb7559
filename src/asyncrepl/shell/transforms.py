"""Rewrites a cell's syntax tree before it runs, for the two things tutorials do at the top level:
``asyncio.run(main())`` becomes ``await`` on the live loop, and a bare ``main()`` is checked
for a coroutine that nobody awaits."""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["CellTransformer"]

#: The module whose ``hooks_for(key)`` gives a rewritten cell its helpers
#: (:class:`asyncrepl.shell.cellhooks.CellHooks`). A rewritten cell imports it rather than
#: reading a name from the user namespace, which ``%reset``, ``del``, an assignment or a new
#: ``user_ns`` (``embed()``) can take away.
HELPER_MODULE = "asyncrepl.shell.cellhooks"

#: ``asyncio.run`` as asyncio defines it: a user's own ``asyncio.run = ...`` is not rewritten.
_ASYNCIO_RUN = asyncio.runners.run

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


#: Calls that start the debugger: never wrapped to look for an un-awaited coroutine (pdb would
#: stop first in the wrapper, asyncrepl's code, instead of at the user's next line).
_DEBUGGER_CALLS = frozenset({"breakpoint", "set_trace"})

#: The magics that run code the user gave them and, when it awaits, are awaited on the loop.
_AWAITING_MAGICS = ("time", "timeit", "capture")


class CellTransformer(ast.NodeTransformer):
    """An IPython AST transformer (``shell.ast_transformers``).

    IPython runs every AST transformer on code that ``%time``, ``%timeit`` and other magics
    compile on their own too, in the middle of a cell. Only the cell itself is rewritten: the
    shell calls :meth:`expect_cell` as each cell starts (IPython's ``pre_execute``), and the
    first module transformed after that is the cell.

    :param namespace: returns the user namespace, to see what ``asyncio`` and ``loop`` are.
    :param hooks_key: the key of the cell's helpers (``hooks_for(key)`` in :data:`HELPER_MODULE`).
    :param awaiting_magic: whether a ``%time``/``%timeit``/``%%capture`` call (magic, line,
        cell body) runs code that awaits: the cell then awaits asyncrepl's version of it
        instead of IPython's.
    """

    def __init__(
        self,
        namespace: Callable[[], Mapping[str, Any]],
        hooks_key: str,
        awaiting_magic: Callable[[str, str, str | None], bool] | None = None,
    ) -> None:
        self._namespace = namespace
        self._hooks_key = hooks_key
        self._awaiting_magic = awaiting_magic
        self._asyncio_names: set[str] = set()
        self._run_names: set[str] = set()
        self._expecting_cell = False

    def expect_cell(self, *_: Any) -> None:
        """A cell starts: the next module transformed is that cell."""
        self._expecting_cell = True

    def cell_done(self, *_: Any) -> None:
        """A cell ended (IPython's ``post_execute``): what follows is not a cell."""
        self._expecting_cell = False

    def visit_Module(self, node: ast.Module) -> ast.Module:
        if not self._expecting_cell:
            return node
        self._expecting_cell = False
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

    # -- asyncio.run(...) -> await hooks.run(...); %time await ... -> await hooks.time(...) ----

    def _find_asyncio_names(self, module: ast.Module) -> None:
        """Names that mean ``asyncio`` or ``asyncio.run`` here: the session's and the cell's.
        When ``asyncio.run`` is the user's own (replaced in the session or in this cell),
        ``asyncio.run(...)`` is left for it to run."""
        self._asyncio_names = set()
        self._run_names = set()
        for name, value in self._namespace().items():
            if value is asyncio:
                self._asyncio_names.add(name)
            elif value is _ASYNCIO_RUN:
                self._run_names.add(name)
        for stmt in module.body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.name == "asyncio":
                        self._asyncio_names.add(alias.asname or "asyncio")
            elif isinstance(stmt, ast.ImportFrom) and stmt.module == "asyncio":
                for alias in stmt.names:
                    if alias.name == "run" and asyncio.run is _ASYNCIO_RUN:
                        self._run_names.add(alias.asname or "run")
        if asyncio.run is not _ASYNCIO_RUN or self._assigns_asyncio_run(module):
            self._asyncio_names = set()

    def _assigns_asyncio_run(self, module: ast.Module) -> bool:
        """Whether the cell sets ``asyncio.run`` itself (``asyncio.run = my_run``)."""
        for node in ast.walk(module):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "run"
                    and isinstance(target.value, ast.Name)
                    and target.value.id in self._asyncio_names
                ):
                    return True
        return False

    def rewrite_runs(self, module: ast.Module) -> ast.Module:
        """Rewrite the top-level ``asyncio.run(...)`` calls of code that is not the cell (what
        ``%time`` times), leaving the cell's own names as they were."""
        names = self._asyncio_names, self._run_names
        try:
            self._find_asyncio_names(module)
            module.body = [self._rewrite_runs(stmt) for stmt in module.body]
        finally:
            self._asyncio_names, self._run_names = names
        return module

    def timing_of(self, call: ast.Call) -> str | None:
        """``"time"``, ``"timeit"`` or ``"capture"`` for a ``%time``/``%timeit``/``%%capture``
        call whose code awaits."""
        func = call.func
        if not (
            self._awaiting_magic is not None
            and isinstance(func, ast.Attribute)
            and func.attr in ("run_line_magic", "run_cell_magic")
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "get_ipython"
            and not call.keywords
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)
        ):
            return None
        texts = [str(a.value) for a in call.args if isinstance(a, ast.Constant)]
        cell = texts[2] if len(texts) == 3 and func.attr == "run_cell_magic" else None
        if len(texts) != (3 if cell is not None else 2) or texts[0] not in _AWAITING_MAGICS:
            return None
        if texts[0] == "capture" and cell is None:
            return None
        return texts[0] if self._awaiting_magic(texts[0], texts[1], cell) else None

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
        if not isinstance(stmt.value, ast.Call) or _starts_debugger(stmt.value):
            return stmt
        wrapped = ast.Call(
            func=self.helper_attr("check_unawaited"),
            args=[stmt.value, ast.Constant(_source_of(stmt.value))],
            keywords=[],
        )
        return ast.fix_missing_locations(ast.copy_location(ast.Expr(wrapped), stmt))

    def helper_attr(self, name: str) -> ast.Attribute:
        """``__import__(HELPER_MODULE, fromlist=["hooks_for"]).hooks_for(key).<name>``"""
        module = ast.Call(
            ast.Name("__import__", ast.Load()),
            [ast.Constant(HELPER_MODULE)],
            [ast.keyword("fromlist", ast.List([ast.Constant("hooks_for")], ast.Load()))],
        )
        hooks = ast.Call(
            ast.Attribute(module, "hooks_for", ast.Load()), [ast.Constant(self._hooks_key)], []
        )
        return ast.Attribute(hooks, name, ast.Load())


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
        timing = self._owner.timing_of(node)
        if timing is not None:
            # get_ipython().run_line_magic('time', LINE) -> await hooks.time(LINE)
            call = ast.Call(self._owner.helper_attr(timing), node.args[1:], [])
        else:
            runner = self._owner.runner_of(node)
            if runner is None:
                return node
            call = ast.Call(
                func=self._owner.helper_attr(runner),
                args=node.args,
                keywords=[*node.keywords, ast.keyword("source", ast.Constant(_source_of(node)))],
            )
        self.rewrote = True
        return ast.copy_location(ast.Await(ast.copy_location(call, node)), node)


def _starts_debugger(call: ast.Call) -> bool:
    """``breakpoint()``, ``pdb.set_trace()``, ``ipdb.set_trace()``, ``set_trace()``."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    return name in _DEBUGGER_CALLS


def _source_of(node: ast.expr) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # unparse has no failure cases we know of; a label is not worth a crash
        return ""
