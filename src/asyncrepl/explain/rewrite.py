"""Corrects the user's own line: ``for`` -> ``async for``, ``asyncio.run(main())`` ->
``await main()``, ``time.sleep(1)`` -> ``await asyncio.sleep(1)`` and the like."""

from __future__ import annotations

import ast
import inspect
import io
import re
import tokenize
from collections.abc import Callable, Sequence

__all__ = [
    "RewriteFn",
    "add_return_exceptions",
    "async_for",
    "async_with",
    "await_calls",
    "await_coroutine_calls",
    "await_result",
    "await_where_made",
    "call_named",
    "drop_await",
    "enclosing_def",
    "enclosing_def_async",
    "parse_line",
    "plain_for",
    "plain_with",
    "run_to_await",
    "sleep_to_asyncio",
    "wait_with_timeout",
    "without_comments",
    "wrap_try",
]

#: ``(lines, index, names) -> corrected code or None``: ``lines`` is the cell or file,
#: ``index`` the 0-based failing line, ``names`` the failing frame's names.
RewriteFn = Callable[[Sequence[str], int, "dict[str, object]"], "str | None"]
Edit = tuple[int, int, str]  # byte start, byte end, replacement


def parse_line(line: str) -> tuple[ast.Module, int] | None:
    """Parse one line alone (a block header gets a ``pass`` body) for its column offsets.

    :param line: the line, indentation kept.
    :returns: the module and the indentation width, or None when it does not parse alone.
    """
    text = line.rstrip()
    body = text.lstrip()
    indent = len(text) - len(body)
    for candidate in (body, body + "\n    pass"):
        try:
            return ast.parse(candidate), indent
        except SyntaxError:
            continue
    return None


def without_comments(code: str) -> str:
    """``code`` with its comments dropped (``async for i in gen(10):  # ❌ TypeError`` loses its
    comment): a fix shows the code to type, not the lesson's notes about the mistake.

    :param code: one or more lines; text that does not tokenize is returned as it is.
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return code
    lines = code.splitlines()
    for token in reversed(tokens):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col].rstrip()
    kept = [
        line for line, before in zip(lines, code.splitlines(), strict=True) if line or not before
    ]
    return "\n".join(kept)


def call_named(line: str, name: str) -> str | None:
    """The first call of ``name`` (``main``, or ``obj.main``) on ``line`` as written, or None.
    With ``name`` empty, the innermost call of any function (``pick[0]()``).

    :param line: one line of source.
    :param name: the function's name, without its class or module.
    """
    parsed = parse_line(line)
    if parsed is None:
        return None
    tree, indent = parsed
    calls = [call for call, _ in _calls(tree)]
    if not name:
        return _segment(line, indent, calls[-1]) if calls else None
    for call in calls:
        dotted = _dotted(call.func)
        if dotted == name or dotted.endswith("." + name):
            return _segment(line, indent, call)
    return None


def _apply(line: str, indent: int, edits: list[Edit]) -> str:
    """Apply byte-offset edits, measured on the dedented line, to ``line``."""
    data = line.rstrip().encode()
    for start, end, text in sorted(edits, reverse=True):
        data = data[: start + indent] + text.encode() + data[end + indent :]
    return data.decode()


def _segment(line: str, indent: int, node: ast.expr) -> str:
    data = line.rstrip().encode()
    end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
    return data[node.col_offset + indent : end + indent].decode()


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def _resolve(name: str, names: dict[str, object]) -> object:
    head, *rest = name.split(".")
    value = names.get(head)
    for part in rest:
        value = getattr(value, part, None)
    return value


def _calls(tree: ast.AST) -> list[tuple[ast.Call, ast.AST | None]]:
    """Every call with its parent node, outermost first."""
    found: list[tuple[ast.Call, ast.AST | None]] = []
    for parent in ast.walk(tree):
        for child in ast.iter_child_nodes(parent):
            if isinstance(child, ast.Call):
                found.append((child, parent))
    return found


def _awaited(parent: ast.AST | None) -> bool:
    return isinstance(parent, ast.Await)


def _wrap_await(text: str, parent: ast.AST | None, node: ast.expr) -> str:
    """``await f()``, in parentheses where an attribute, index or call follows it."""
    if isinstance(parent, ast.Attribute | ast.Subscript) and parent.value is node:
        return f"(await {text})"
    if isinstance(parent, ast.Call) and parent.func is node:
        return f"(await {text})"
    return f"await {text}"


Segment = Callable[[ast.expr], str]
Pick = Callable[[ast.Call, "ast.AST | None", Segment], "str | None"]


def _edit_calls(lines: Sequence[str], index: int, pick: Pick) -> str | None:
    """Replace each call that ``pick`` returns text for; None when nothing changed.

    ``pick(call, parent, segment)`` gets the call, its parent node and a function giving
    the source text of a node.
    """
    line = lines[index]
    parsed = parse_line(line)
    if parsed is None:
        return None
    tree, indent = parsed

    def segment(node: ast.expr) -> str:
        return _segment(line, indent, node)

    edits: list[Edit] = []
    for call, parent in _calls(tree):
        if any(start <= call.col_offset < end for start, end, _ in edits):
            continue  # inside a call already replaced
        text = pick(call, parent, segment)
        if text is not None and call.end_col_offset is not None:
            start = call.col_offset
            if isinstance(parent, ast.Await) and text.startswith(("await ", "(await ")):
                start = parent.col_offset  # replace the existing ``await`` too
            edits.append((start, call.end_col_offset, text))
    return _apply(line, indent, edits) if edits else None


def _one_line(func: Callable[[str], str | None]) -> RewriteFn:
    def rewrite(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
        return func(lines[index])

    return rewrite


def _keyword(pattern: str, replacement: str) -> RewriteFn:
    regex = re.compile(pattern)

    def change(line: str) -> str | None:
        new = regex.sub(replacement, line.rstrip(), count=1)
        return new if new != line.rstrip() else None

    return _one_line(change)


#: ``for i in gen(10):`` -> ``async for i in gen(10):`` (also inside a comprehension).
async_for = _keyword(r"(?<!async )\bfor\b(?=.*\bin\b)", "async for")
#: ``async for x in [1, 2]:`` -> ``for x in [1, 2]:``.
plain_for = _keyword(r"\basync\s+for\b", "for")
#: ``with lock:`` -> ``async with lock:``.
async_with = _keyword(r"(?<!async )\bwith\b", "async with")
#: ``async with open(p) as f:`` -> ``with open(p) as f:``.
plain_with = _keyword(r"\basync\s+with\b", "with")


def run_to_await(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``asyncio.run(main())`` and ``loop.run_until_complete(main())`` -> ``await main()``,
    in a function made ``async def`` when the line is in a plain one (``await`` is allowed
    only in a coroutine: ``return await main()`` alone would be a SyntaxError)."""

    def pick(call: ast.Call, parent: ast.AST | None, segment: Segment) -> str | None:
        name = _dotted(call.func)
        if not (name.endswith(("asyncio.run", "run_until_complete")) or name == "run"):
            return None
        if len(call.args) != 1:
            return None
        return _wrap_await(segment(call.args[0]), parent, call)

    fixed = _edit_calls(lines, index, pick)
    return fixed if fixed is None else _in_a_coroutine(lines, index, fixed)


def await_coroutine_calls(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """Put ``await`` before each call of a coroutine function (known from ``names``)."""
    return await_calls(lines, index, names, only=None)


def await_where_made(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """A coroutine used as a value: put ``await`` where it was made, on this line or on the
    line above that assigned it (``data = fetch()`` -> ``data = await fetch()``)."""
    fixed = await_calls(lines, index, names, only=None)
    if fixed is not None:
        return fixed
    parsed = parse_line(lines[index])
    used = {n.id for n in ast.walk(parsed[0]) if isinstance(n, ast.Name)} if parsed else set()
    for name in sorted(used):
        value = names.get(name)
        if not inspect.iscoroutine(value):
            continue
        assigned = re.compile(rf"^\s*{re.escape(name)}\s*=[^=]")
        for above in range(index - 1, -1, -1):
            if assigned.match(lines[above]):
                qualname = getattr(value, "__qualname__", "").rsplit(".", 1)[-1]
                made = await_calls(lines, above, names, only=qualname or None)
                if made is None:
                    return None
                gap = [] if above == index - 1 else ["..."]
                return "\n".join([made, *gap, lines[index].rstrip()])
    return None


def await_calls(
    lines: Sequence[str], index: int, names: dict[str, object], *, only: str | None
) -> str | None:
    """Put ``await`` before calls of coroutine functions, or before calls named ``only``.

    :param only: a function's name (``"main"`` from a warning); None to use ``names``.
    """

    def pick(call: ast.Call, parent: ast.AST | None, segment: Segment) -> str | None:
        if _awaited(parent):
            return None
        name = _dotted(call.func)
        if only is not None:
            wanted = name == only or name.endswith("." + only)
        else:
            wanted = bool(name) and inspect.iscoroutinefunction(_resolve(name, names))
        return _wrap_await(segment(call), parent, call) if wanted else None

    return _edit_calls(lines, index, pick)


def sleep_to_asyncio(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``time.sleep(1)`` (or ``await time.sleep(1)``) -> ``await asyncio.sleep(1)``."""

    def pick(call: ast.Call, parent: ast.AST | None, segment: Segment) -> str | None:
        name = _dotted(call.func)
        value = _resolve(name, names) if name else None
        if name != "time.sleep" and not (name and getattr(value, "__name__", "") == "sleep"):
            return None
        if value is not None and inspect.iscoroutinefunction(value):
            return None  # already asyncio.sleep
        args = ", ".join(segment(arg) for arg in call.args)
        return _wrap_await(f"asyncio.sleep({args})", parent, call)

    return _edit_calls(lines, index, pick)


def await_result(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``fut.result()`` on a future that is not done -> ``await fut``."""

    def pick(call: ast.Call, parent: ast.AST | None, segment: Segment) -> str | None:
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("result", "exception")):
            return None
        if call.args or call.keywords:
            return None
        return _wrap_await(segment(func.value), parent, call)

    return _edit_calls(lines, index, pick)


def add_return_exceptions(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``asyncio.gather(a(), b())`` -> ``asyncio.gather(a(), b(), return_exceptions=True)``."""

    def pick(call: ast.Call, parent: ast.AST | None, segment: Segment) -> str | None:
        if not _dotted(call.func).endswith("gather"):
            return None
        if any(k.arg == "return_exceptions" for k in call.keywords):
            return None
        text = segment(call)
        inner = text[: text.rindex(")")].rstrip()
        joiner = "" if inner.endswith("(") else ", "
        return f"{inner}{joiner}return_exceptions=True)"

    return _edit_calls(lines, index, pick)


def drop_await(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``total = await sum(values)`` -> ``total = sum(values)``: a plain call needs no await."""
    line = lines[index].rstrip()
    new = re.sub(r"\bawait\s+", "", line, count=1)
    return new if new != line else None


def wait_with_timeout(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``await fut`` -> ``await asyncio.wait_for(fut, timeout=5)``: never wait for ever."""
    line = lines[index].rstrip()
    match = re.search(r"\bawait\s+([\w.]+)\s*$", line)
    if match is None:
        return None
    return f"{line[: match.start()]}await asyncio.wait_for({match.group(1)}, timeout=5)"


def wrap_try(exception: str, handler: str) -> RewriteFn:
    """Put the line in ``try`` / ``except exception:`` with ``handler`` as its body.

    :param exception: the ``except`` clause, ``"TimeoutError"`` or ``"* ValueError as group"``.
    :param handler: the handler's one line of code.
    """

    def rewrite(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
        line = lines[index].rstrip()
        body = line.lstrip()
        pad = line[: len(line) - len(body)]
        block = [f"{pad}try:", f"{pad}    {body}"]
        if body.endswith(":"):
            block.append(f"{pad}        ...")
        star = "" if exception.startswith("*") else " "
        return "\n".join([*block, f"{pad}except{star}{exception}:", f"{pad}    {handler}"])

    return rewrite


def enclosing_def_async(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    """``def f():`` above an ``await`` -> ``async def f():``, shown with the failing line."""
    line = lines[index].rstrip()
    fixed = _in_a_coroutine(lines, index, line)
    return None if fixed == line else fixed


def _in_a_coroutine(lines: Sequence[str], index: int, fixed: str) -> str:
    """``fixed`` (line ``index`` rewritten to use ``await``), shown under its enclosing
    ``def`` made ``async def`` when it is a plain function; as it is otherwise."""
    above = enclosing_def(lines, index)
    if above is None:
        return fixed
    text = lines[above].rstrip()
    if text.lstrip().startswith("async def "):
        return fixed
    body = next(line for line in lines[above + 1 : index + 1] if line.strip())
    gap = [] if above == index - 1 else [" " * (len(body) - len(body.lstrip())) + "..."]
    return "\n".join([text.replace("def ", "async def ", 1), *gap, fixed])


def enclosing_def(lines: Sequence[str], index: int) -> int | None:
    """The line (0-based) of the innermost ``def`` or ``async def`` around line ``index``,
    None when the line is at the top level of its cell or file."""
    line = lines[index].rstrip()
    depth = len(line) - len(line.lstrip())
    for above in range(index - 1, -1, -1):
        text = lines[above].rstrip()
        stripped = text.lstrip()
        if not stripped or len(text) - len(stripped) >= depth:
            continue
        if stripped.startswith(("async def ", "def ")):
            return above
        depth = len(text) - len(stripped)
    return None
