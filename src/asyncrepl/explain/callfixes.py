"""Corrects how the user's line writes a call, for the mistakes learners make with await, tasks,
gather, wait and async generators: ``await f`` -> ``await f()``, coroutines given to
``asyncio.wait`` made tasks, a list given to ``gather`` unpacked, ``next`` -> ``await anext``."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable, Sequence

from asyncrepl.explain.rewrite import _dotted, _resolve, parse_line

__all__ = [
    "await_gives_items",
    "await_the_task",
    "call_the_function",
    "call_the_function_given",
    "star_the_list",
    "tasks_for_wait",
    "use_anext",
]

Edit = tuple[int, int, str]


def _edit(line: str, find: Callable[[ast.AST, Callable[[ast.AST], str]], list[Edit]]) -> str | None:
    """Apply the edits ``find(tree, segment)`` returns (offsets on the dedented line)."""
    parsed = parse_line(line)
    if parsed is None:
        return None
    tree, indent = parsed
    body = line.rstrip().encode()[indent:]

    def segment(node: ast.AST) -> str:
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", start)
        return body[start:end].decode()

    edits = find(tree, segment)
    if not edits:
        return None
    data = body
    for start, end, text in sorted(edits, reverse=True):
        data = data[:start] + text.encode() + data[end:]
    return line[:indent] + data.decode()


def _call_text(name: str, value: object) -> str:
    """``name()`` with what the call needs: ``asyncio.sleep(1)``, ``fetch(...)``."""
    if value is not None and getattr(value, "__name__", "") == "sleep":
        return f"{name}(1)"
    try:
        params = inspect.signature(value).parameters.values()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"{name}()"
    required = [
        p
        for p in params
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return f"{name}(...)" if required else f"{name}()"


def call_the_function(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``await print_something`` -> ``await print_something()``: the function was awaited
    instead of its coroutine (a plain function: called, without ``await``)."""

    def find(tree: ast.AST, segment: Callable[[ast.AST], str]) -> list[Edit]:
        edits: list[Edit] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Await) and isinstance(node.value, ast.Name | ast.Attribute):
                name = segment(node.value)
                value = _resolve(_dotted(node.value), names)
                if value is not None and not callable(value):
                    continue
                called = _call_text(name, value)
                plain = value is not None and not inspect.iscoroutinefunction(value)
                text = called if plain else f"await {called}"
                end = node.end_col_offset or node.col_offset
                edits.append((node.col_offset, end, text))
        return edits

    return _edit(lines[index], find)


def call_the_function_given(
    lines: Sequence[str], index: int, names: dict[str, object]
) -> str | None:
    """``asyncio.create_task(main)`` -> ``asyncio.create_task(main())``: a coroutine function
    given where its coroutine is wanted (``create_task``, ``run``, ``gather``, ``wait_for``)."""

    def find(tree: ast.AST, segment: Callable[[ast.AST], str]) -> list[Edit]:
        edits: list[Edit] = []
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for arg in node.args:
                value = _resolve(_dotted(arg), names) if _dotted(arg) else None
                if inspect.iscoroutinefunction(value):
                    end = arg.end_col_offset or arg.col_offset
                    edits.append((arg.col_offset, end, _call_text(segment(arg), value)))
        return edits

    return _edit(lines[index], find)


def tasks_for_wait(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``asyncio.wait([a(), b()])`` -> ``asyncio.wait([asyncio.create_task(a()), ...])``."""

    def find(tree: ast.AST, segment: Callable[[ast.AST], str]) -> list[Edit]:
        edits: list[Edit] = []
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _dotted(node.func).endswith("wait")):
                continue
            first = node.args[0] if node.args else None
            if isinstance(first, ast.List | ast.Tuple | ast.Set):
                items = list(first.elts)
            elif isinstance(first, ast.ListComp | ast.SetComp | ast.GeneratorExp):
                items = [first.elt]
            else:
                items = []
            for item in items:
                if isinstance(item, ast.Call) and not _dotted(item.func).endswith(
                    ("create_task", "ensure_future")
                ):
                    end = item.end_col_offset or item.col_offset
                    edits.append((item.col_offset, end, f"asyncio.create_task({segment(item)})"))
        return edits

    return _edit(lines[index], find)


def star_the_list(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``asyncio.gather([a(), b()])`` -> ``asyncio.gather(*[a(), b()])``: gather takes the
    awaitables themselves, not one list of them."""

    def find(tree: ast.AST, segment: Callable[[ast.AST], str]) -> list[Edit]:
        edits: list[Edit] = []
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _dotted(node.func).endswith("gather")):
                continue
            sequence = ast.List | ast.Tuple | ast.ListComp | ast.GeneratorExp | ast.Name
            if len(node.args) == 1 and isinstance(node.args[0], sequence):
                arg = node.args[0]
                edits.append((arg.col_offset, arg.col_offset, "*"))
        return edits

    return _edit(lines[index], find)


def use_anext(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``next(gen(3))`` -> ``await anext(gen(3))``: an async generator's next value is awaited."""

    def find(tree: ast.AST, segment: Callable[[ast.AST], str]) -> list[Edit]:
        return [
            (node.col_offset, node.end_col_offset or node.col_offset, f"await a{segment(node)}")
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and _dotted(node.func) == "next"
        ]

    return _edit(lines[index], find)


def await_gives_items(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``await gen(3)`` -> ``[item async for item in gen(3)]``: an async generator is stepped
    through with ``async for``, not awaited."""

    def find(tree: ast.AST, segment: Callable[[ast.AST], str]) -> list[Edit]:
        return [
            (
                node.col_offset,
                node.end_col_offset or node.col_offset,
                f"[item async for item in {segment(node.value)}]",
            )
            for node in ast.walk(tree)
            if isinstance(node, ast.Await) and isinstance(node.value, ast.Call)
        ]

    return _edit(lines[index], find)


def await_the_task(error: str) -> Callable[[Sequence[str], int, dict[str, object]], str | None]:
    """``t = asyncio.create_task(work())`` -> that line, then ``await t`` in ``try`` with
    ``except error``: a task's failure reaches the code that awaits it.

    :param error: the exception's class name, ``"ValueError"``.
    """

    def fix(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
        line = lines[index].rstrip()
        body = line.lstrip()
        pad = line[: len(line) - len(body)]
        parsed = parse_line(body)
        if parsed is None or "create_task(" not in body:
            return None
        first = parsed[0].body[0] if parsed[0].body else None
        if isinstance(first, ast.Assign) and isinstance(first.targets[0], ast.Name):
            name, made = first.targets[0].id, body
        elif isinstance(first, ast.Expr):
            name, made = "task", f"task = {body}"
        else:
            return None
        return "\n".join(
            [
                f"{pad}{made}",
                f"{pad}try:",
                f"{pad}    await {name}",
                f"{pad}except {error} as error:",
                f"{pad}    print('{name} failed:', error)",
            ]
        )

    return fix
