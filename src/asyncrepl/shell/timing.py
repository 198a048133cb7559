"""``%time``, ``%timeit`` and ``%%capture`` with ``await`` (or ``asyncio.run``) in their code,
which IPython cannot run: the code is awaited on the live loop, and the time of the awaited work
is printed in IPython's own format (the output captured as IPython's ``%%capture`` does). The
cell's rewrite turns such a magic call into ``await`` on these."""

from __future__ import annotations

import ast
import gc
import itertools
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from IPython.core import magic_arguments
from IPython.core import magics as ipython_magics
from IPython.core.displayhook import DisplayHook
from IPython.core.error import UsageError
from IPython.core.magics.execution import TimeitResult, TimeitTemplateFiller
from IPython.utils.capture import capture_output
from IPython.utils.timing import clock, clock2

__all__ = ["AWAIT_FLAG", "Timing", "needs_await"]

#: ``compile`` flag that allows ``await`` at the top level (``ast.PyCF_ALLOW_TOP_LEVEL_AWAIT``).
AWAIT_FLAG = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE: what compile() gives code with a top-level await

#: The timed loop: ``await inner(iterations, timer)`` gives the seconds it took.
_Inner = Callable[[Any, Callable[[], float]], Awaitable[float]]

#: IPython's ``%timeit`` loop, as an ``async def`` (its template, with ``await`` allowed).
_TIMEIT_TEMPLATE = (
    "async def inner(_it, _timer):\n"
    "    setup\n"
    "    _t0 = _timer()\n"
    "    for _i in _it:\n"
    "        stmt\n"
    "    _t1 = _timer()\n"
    "    return _t1 - _t0\n"
)


def needs_await(module: ast.Module) -> bool:
    """Whether code has an ``await`` (or ``async for``/``async with``) outside any function,
    which IPython's own ``%time`` and ``%timeit`` refuse with a SyntaxError.

    :param module: the parsed code.
    """
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    todo: list[ast.AST] = list(module.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Await | ast.AsyncFor | ast.AsyncWith):
            return True
        if not isinstance(node, nested):
            todo.extend(ast.iter_child_nodes(node))
    return False


class Timing:
    """The awaiting ``%time`` and ``%timeit``.

    :param shell: the IPython shell (its input transforms, compiler and namespace).
    :param rewrite: asyncrepl's rewrite of ``asyncio.run(...)`` into ``await``, applied to
        the timed code after IPython's own AST transformers.
    """

    def __init__(self, shell: Any, rewrite: Callable[[ast.Module], ast.Module]) -> None:
        self.shell = shell
        self._rewrite = rewrite

    def awaits(self, magic: str, line: str, cell: str | None) -> bool:
        """Whether ``%time``/``%timeit``/``%%capture`` (``magic``) would run code that awaits.

        :param magic: ``"time"``, ``"timeit"`` or ``"capture"``.
        :param line: the magic's line.
        :param cell: the cell's body, for the cell magic.
        """
        if magic == "capture":
            line = ""  # its line is options and a name, never code
        elif magic == "timeit":
            _, line = self._timeit_options(line)
        else:
            line = " ".join(word for word in line.split() if word != "--no-raise-error")
        for code in (line, cell or ""):
            try:
                module = self._rewrite(ast.parse(self.shell.transform_cell(code)))
            except (SyntaxError, ValueError):
                continue  # IPython's own magic says what is wrong with it
            if needs_await(module):
                return True
        return False

    def parse(self, code: str) -> ast.Module:
        """The timed code, as IPython's ``%time`` reads it, with ``asyncio.run`` rewritten."""
        module = self.shell.compile.ast_parse(self.shell.transform_cell(code))
        return self._rewrite(self.shell.transform_ast(module))

    async def capture(self, line: str, cell: str) -> None:
        """``%%capture [NAME] [--no-stdout] ...``: IPython's, with the cell awaited on the live
        loop (IPython's runs it with ``run_cell``, which cannot wait for the loop it runs on).

        :param line: the magic's line.
        :param cell: the cell to run.
        """
        __tracebackhide__ = True  # see asyncrepl.shell.tracebacks
        shell = self.shell
        args = magic_arguments.parse_argstring(shell.find_cell_magic("capture"), line)  # type: ignore[no-untyped-call]
        try:
            transformed, failed = shell.transform_cell(cell), None
        except Exception:  # the nested cell reports it, as IPython's run_cell does
            transformed, failed = cell, sys.exc_info()
        with capture_output(not args.no_stdout, not args.no_stderr, not args.no_display) as io:
            await shell.run_cell_async(
                cell, transformed_cell=transformed, preprocessing_exc_tuple=failed
            )
        if DisplayHook.semicolon_at_end_of_expression(cell):  # type: ignore[no-untyped-call]
            shell.user_ns.pop(args.output, None)
        elif args.output:
            shell.user_ns[args.output] = io

    async def time(self, line: str, cell: str | None = None) -> Any:
        """``%time CODE`` / ``%%time``: run the code once on the loop, awaiting what it awaits.

        :param line: the magic's line.
        :param cell: the cell's body for ``%%time``.
        """
        __tracebackhide__ = True  # see asyncrepl.shell.tracebacks
        no_raise = "--no-raise-error" in line.split()
        line = " ".join(word for word in line.split() if word != "--no-raise-error")
        if line and cell:
            raise UsageError("Can't use statement directly after '%%time'!")
        module = self.parse(cell or line)
        last = None
        if module.body and isinstance(module.body[-1], ast.Expr):
            last = ast.Expression(module.body[-1].value)
            module.body.pop()
        codes = [self._compile(module, "<timed exec>", "exec")]
        if last is not None:
            codes.append(self._compile(last, "<timed eval>", "eval"))
        wall_start, cpu_start = time.time(), clock2()
        out = None
        try:
            for code in codes:
                out = await self._run(code)
        except Exception:
            if not no_raise:
                raise
            out = None
        finally:
            cpu_end, wall = clock2(), time.time() - wall_start
            user, system = cpu_end[0] - cpu_start[0], cpu_end[1] - cpu_start[1]
            if sys.platform != "win32":
                print(
                    f"CPU times: user {_format(user)}, sys: {_format(system)}, "
                    f"total: {_format(user + system)}"
                )
            else:
                print(f"CPU times: total: {_format(user + system)}")
            print(f"Wall time: {_format(wall)}")
        return out

    async def timeit(self, line: str, cell: str | None = None) -> Any:
        """``%timeit CODE`` / ``%%timeit``: IPython's options and output, the loop awaited.

        :param line: the magic's line (options, then the statement or the setup).
        :param cell: the cell's body for ``%%timeit``.
        """
        __tracebackhide__ = True  # see asyncrepl.shell.tracebacks
        opts, stmt = self._timeit_options(line)
        setup, timed = ("pass", stmt) if cell is None else (stmt or "pass", cell)
        timer_func = time.time if hasattr(opts, "t") else time.perf_counter
        if hasattr(opts, "c"):
            timer_func = clock  # CPU time, as IPython's -c
        inner, compile_time = self._timeit_function(setup, timed)
        number, repeat = int(getattr(opts, "n", 0)), int(getattr(opts, "r", 7))
        number, runs = await _measure(inner, timer_func, number, repeat)
        best, worst = min(runs) / number, max(runs) / number
        precision = int(getattr(opts, "p", 3))
        result = TimeitResult(number, repeat, best, worst, runs, compile_time, precision)  # type: ignore[no-untyped-call]
        if "q" not in opts:
            if worst > 4 * best and best > 0 and worst > 1e-6:
                print(
                    f"The slowest run took {worst / best:0.2f} times longer than the fastest. "
                    "This could mean that an intermediate result is being cached."
                )
            print(result)
        if hasattr(opts, "v"):
            self.shell.user_ns[opts.v] = result
        return result if "o" in opts else None

    def _timeit_function(self, setup: str, timed: str) -> tuple[_Inner, float]:
        """IPython's ``%timeit`` loop around the code, as an ``async def``, and the time it
        took to compile."""
        template = _AsyncTemplateFiller(self.parse(setup), self.parse(timed))  # type: ignore[no-untyped-call]
        tree = ast.fix_missing_locations(template.visit(ast.parse(_TIMEIT_TEMPLATE)))
        started = time.perf_counter()
        code = self._compile(tree, "<magic-timeit>", "exec")
        compile_time = time.perf_counter() - started
        scope: dict[str, Any] = {}
        exec(code, self.shell.user_ns, scope)  # as IPython's %timeit: the user's names
        inner: _Inner = scope["inner"]
        return inner, compile_time

    def _timeit_options(self, line: str) -> tuple[Any, str]:
        """``%timeit``'s options and statement, parsed by IPython's own magic."""
        execution = self.shell.magics_manager.registry["ExecutionMagics"]
        opts, stmt = execution.parse_options(
            line, "n:r:tcp:qov:", posix=False, strict=False, preserve_non_opts=True
        )
        return opts, str(stmt)

    def _compile(self, tree: ast.AST, filename: str, mode: str) -> Any:
        flags = self.shell.compile.flags | AWAIT_FLAG
        return compile(tree, filename, mode, flags=flags, dont_inherit=True)  # type: ignore[call-overload]

    async def _run(self, code: Any) -> Any:
        __tracebackhide__ = True
        value = eval(code, self.shell.user_ns)
        if code.co_flags & _CO_COROUTINE:
            value = await value
        return value


async def _measure(
    inner: _Inner, timer: Callable[[], float], number: int, repeat: int
) -> tuple[int, list[float]]:
    """As IPython's ``%timeit``: ``number`` loops a run (0: the first power of ten that takes
    0.2 s), ``repeat`` runs, with the garbage collector off during each."""
    __tracebackhide__ = True

    async def run(loops: int) -> float:
        __tracebackhide__ = True
        enabled = gc.isenabled()
        gc.disable()
        try:
            return await inner(itertools.repeat(None, loops), timer)
        finally:
            if enabled:
                gc.enable()

    if number == 0:
        for index in range(10):
            number = 10**index
            if await run(number) >= 0.2:
                break
    runs = []
    for _ in range(repeat):  # not a comprehension: its frame would show in tracebacks
        runs.append(await run(number))
    return number, runs


class _AsyncTemplateFiller(TimeitTemplateFiller):
    """IPython's filler of its ``%timeit`` template, for the ``async def`` one."""

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AsyncFunctionDef:
        self.generic_visit(node)
        node.body[:1] = self.ast_setup.body
        return node


def _format(seconds: float) -> str:
    """A duration as IPython's ``%time`` writes it (its own formatter when it has one)."""
    formatter = getattr(ipython_magics.execution, "_format_time", None)
    if callable(formatter):
        return str(formatter(seconds))
    return f"{seconds:.3g} s"
