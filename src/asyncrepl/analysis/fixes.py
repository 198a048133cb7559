"""The words and the fix for one flagged call: how long it blocks when the arguments say,
whether its arguments make it non-blocking, and the corrected code."""

from __future__ import annotations

import ast
from collections.abc import Sequence

__all__ = [
    "call_text",
    "char_col",
    "constant_number",
    "duration",
    "fix_code",
    "is_nonblocking",
    "segment",
]

_MAX_SHOWN = 48
_TIMEOUT_FIRST = frozenset({"wait", "join", "result", "exception", "acquire"})
_ASYNC_KINDS = ("Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition")


def segment(lines: Sequence[str], node: ast.AST) -> str:
    """The code of ``node`` as written (``ast.get_source_segment`` without re-splitting the
    whole source each time: that made a 1,000-line cell take seconds).

    :param lines: the source's lines; :param node: a node parsed from it.
    """
    end_line = getattr(node, "end_lineno", None)
    end_col = getattr(node, "end_col_offset", None)
    line = getattr(node, "lineno", 0)
    if end_line is None or end_col is None or not 0 < line <= end_line <= len(lines):
        return ast.unparse(node)
    col = getattr(node, "col_offset", 0)
    parts = [text.encode() for text in lines[line - 1 : end_line]]
    if len(parts) == 1:
        return parts[0][col:end_col].decode(errors="replace")
    parts[0], parts[-1] = parts[0][col:], parts[-1][:end_col]
    return b"\n".join(parts).decode(errors="replace")


def char_col(line: str, col: int) -> int:
    """A column in characters, from ``ast``'s column in UTF-8 bytes."""
    return len(line.encode()[:col].decode(errors="replace"))


def call_text(node: ast.AST, lines: Sequence[str]) -> str:
    """The code of ``node`` as written, on one line and shortened to fit a message."""
    text = " ".join(segment(lines, node).split())
    if len(text) <= _MAX_SHOWN:
        return text
    if isinstance(node, ast.Call):
        head = segment(lines, node.func)
        if len(head) < _MAX_SHOWN - 5:
            return f"{head}(…)"
    return text[: _MAX_SHOWN - 1] + "…"


def constant_number(node: ast.expr | None) -> float | None:
    """The value of a numeric literal (``1``, ``0.5``, ``10**6``, ``2 * 60``), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)  # bool is an int: True counts as 1, as Python would
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Pow | ast.Add):
        left, right = constant_number(node.left), constant_number(node.right)
        if left is None or right is None or (isinstance(node.op, ast.Pow) and right > 12):
            return None
        if isinstance(node.op, ast.Mult):
            return left * right
        return left**right if isinstance(node.op, ast.Pow) else left + right
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _arg(call: ast.Call, index: int) -> ast.expr | None:
    return call.args[index] if len(call.args) > index else None


def _seconds(value: float) -> str:
    shown = f"{value:g}"
    return f"{shown} second" if value == 1 else f"{shown} seconds"


def duration(qualname: str, call: ast.expr) -> str:
    """``" for 2 seconds"``, ``" (up to 5 seconds)"``, or ``""`` when the code does not say."""
    if not isinstance(call, ast.Call):
        return ""
    if qualname == "time.sleep":
        seconds = constant_number(_arg(call, 0))
        return "" if seconds is None else f" for {_seconds(seconds)}"
    timeout = _keyword(call, "timeout")
    if timeout is None and qualname.rsplit(".", 1)[-1] in _TIMEOUT_FIRST:
        timeout = _arg(call, 1 if qualname.endswith("acquire") else 0)
    seconds = constant_number(timeout)
    return "" if seconds is None else f" (up to {_seconds(seconds)})"


#: Calls that read a file only when given one: the first positional argument that can name it.
_CERTIFICATE_FILES = {
    "ssl.create_default_context": 1,
    "ssl.SSLContext().load_verify_locations": 0,
    "ssl.SSLContext().load_cert_chain": 0,
}


def _none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, 0)


def is_nonblocking(qualname: str, call: ast.Call) -> bool:
    """Whether the arguments make a blocking method return at once:
    ``acquire(blocking=False)``, ``get(block=False)``, ``wait(0)``, ``result(timeout=0)``."""
    method = qualname.rsplit(".", 1)[-1]
    if qualname in _CERTIFICATE_FILES:
        # A context made or loaded from data in memory reads no file.
        position = _CERTIFICATE_FILES[qualname]
        files = [_keyword(call, "cafile"), _keyword(call, "capath"), _keyword(call, "certfile")]
        files += call.args[position:]
        return not any(node is not None and not _none(node) for node in files)
    if _false(_keyword(call, "timeout")):
        return True
    if method == "acquire":
        return _false(_keyword(call, "blocking")) or _false(_arg(call, 0))
    if qualname.startswith("queue.") and method in ("get", "put"):
        position = 0 if method == "get" else 1
        return _false(_keyword(call, "block")) or _false(_arg(call, position))
    if method in ("wait", "join", "result", "exception") and not qualname.startswith("os."):
        return _false(_arg(call, 0))
    return False


def _arguments(call: ast.Call, lines: Sequence[str]) -> list[str]:
    def text(node: ast.AST) -> str:
        return segment(lines, node)

    shown = [text(arg) for arg in call.args]
    shown += [f"{k.arg}={text(k.value)}" if k.arg else f"**{text(k.value)}" for k in call.keywords]
    return shown


def fix_code(style: str, qualname: str, node: ast.expr, lines: Sequence[str]) -> str:
    """The corrected code for a flagged call, or ``""`` when there is no one-line fix.

    :param style: the rule's fix style (see :class:`asyncrepl.analysis.rules.Rule`).
    :param qualname: what the call resolved to, ``"time.sleep"``.
    :param node: the call (or the ``with`` item) as parsed from ``source``.
    :param lines: the lines of the source ``node`` was parsed from.
    """
    if not isinstance(node, ast.Call):
        return _fix_with(qualname, node, lines)
    written = segment(lines, node)
    func = segment(lines, node.func)
    args = _arguments(node, lines)
    if style == "sleep":
        return f"await asyncio.sleep({', '.join(args)})"
    if style == "await":
        return f"await {written}"
    if style == "keep":
        return f"task = {written}"
    if style == "await-arg":
        return f"await {args[0]}" if node.args else ""
    if qualname == "concurrent.futures.Future().result" and isinstance(node.func, ast.Attribute):
        receiver = segment(lines, node.func.value)
        return f"await asyncio.wrap_future({receiver})"
    return f"await asyncio.to_thread({', '.join([func, *args])})"


def _fix_with(qualname: str, node: ast.AST, lines: Sequence[str]) -> str:
    written = segment(lines, node)
    kind = qualname.split("(", 1)[0].rsplit(".", 1)[-1]
    if kind not in _ASYNC_KINDS:
        return ""
    kind = "Lock" if kind == "RLock" else kind
    return f"async with {written}:  # with {written} = asyncio.{kind}()"
