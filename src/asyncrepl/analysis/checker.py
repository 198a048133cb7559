"""``check_source``: parse a cell or a file, walk what runs on the event loop, and turn each
blocking call found into a :class:`~asyncrepl.records.Finding` with its message and fix."""

from __future__ import annotations

import ast
import functools
import gc
import inspect
import os
import re
import textwrap
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from asyncrepl.analysis.fixes import call_text, char_col, duration, fix_code
from asyncrepl.analysis.guards import FalseParams
from asyncrepl.analysis.noqa import unsuppressed
from asyncrepl.analysis.rules import RULE_CLASSES
from asyncrepl.analysis.scope import FuncRef, LiveRef, Scope, Unit, function_scope
from asyncrepl.analysis.walker import Hit, Walker
from asyncrepl.records import Finding, LocationLabeler

__all__ = ["IncompleteCheck", "check_source", "source_lines"]

#: How many calls deep a helper is followed. Each helper is summarised once (per set of
#: parameters left false), so the cost is bounded by the code's size, not by this depth; the
#: bound only keeps a walk within Python's stack.
MAX_DEPTH = 24

#: The line breaks of Python's tokenizer. ``str.splitlines`` also breaks at a form feed,
#: U+2028 and others, which would shift every line after one against ``ast``'s numbers.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class IncompleteCheck(Exception):
    """The source parsed, but could not be analysed to its end (code nested deeper than
    Python's stack allows a walk). Raised instead of returning what was found so far: a
    partial result would read as "clean" and hide the calls after the point it stopped.

    :param filename: as given to :func:`check_source`; :param reason: why, in words.
    """

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


def source_lines(source: str) -> tuple[str, ...]:
    """The lines of ``source`` as ``ast`` numbers them (only ``\\n``, ``\\r\\n`` and ``\\r`` end a
    line), without their line breaks."""
    lines = _LINE_BREAK.split(source)
    if lines[-1] == "":
        lines.pop()
    return tuple(lines)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _collector_paused(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``func`` with the cyclic garbage collector paused, as ``timeit`` does.

    A check allocates many small objects, and each collection they trigger traverses the
    whole fresh syntax tree (a node an object): that was a third of the check's time. The
    check leaves no cycles of its own behind, so pausing loses nothing; the collector is
    resumed after, unless it was off before.
    """

    @functools.wraps(func)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        if not gc.isenabled():
            return func(*args, **kwargs)
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            gc.enable()

    return paused


@_collector_paused
def check_source(
    source: str,
    filename: str = "<cell>",
    namespace: Mapping[str, Any] | None = None,
    *,
    labeler: LocationLabeler | None = None,
) -> list[Finding]:
    """Find the calls in ``source`` that would block the event loop, in line order. Findings on
    a line whose ``# noqa`` comment names their code (or no code) are left out.

    :param source: a REPL cell (after IPython's transformations) or a whole module.
    :param filename: the name shown in findings, ``"<cell 3>"`` or a path.
    :param namespace: the REPL's live namespace, to resolve names the cell does not bind and
        to follow functions defined in earlier cells; None for a file on its own.
    :param labeler: turns a live function's filename into ``"<cell 2>"`` for messages.
    :raises SyntaxError: when ``source`` does not parse (or is nested too deeply to).
    :raises IncompleteCheck: when it parses but cannot be analysed to its end.
    """
    with warnings.catch_warnings():
        # Python warns about the source itself (an invalid escape ...) when it compiles it;
        # saying it twice would only confuse.
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source, filename=filename)
        except RecursionError:
            raise SyntaxError("too deeply nested to parse", (filename, 1, 1, "")) from None
    unit = Unit(filename, filename, source_lines(source), namespace=namespace)
    checker = _Checker(labeler)
    scope = Scope(None, namespace=namespace)
    try:
        # First bind every module-level name, so that a coroutine may call a helper below.
        Walker(unit, scope, checker.summary, on_loop=False, discover=False).walk(tree.body)
        hits = Walker(unit, scope, checker.summary, on_loop=False).walk(tree.body)
        findings = _findings(hits, unit.lines)
    except RecursionError:
        raise IncompleteCheck(filename, "nested too deeply to analyse") from None
    # The module's names refer to its functions, whose scope is the module's: without this
    # cycle broken, each file's tree would wait for the garbage collector.
    scope.names.clear()
    return unsuppressed(findings, source)


class _Checker:
    """Remembers what each helper function would do when called, so each is read once."""

    def __init__(self, labeler: LocationLabeler | None) -> None:
        self.labeler = labeler
        self._memo: dict[tuple[int, FalseParams], list[Hit]] = {}
        self._depth = 0

    def summary(self, func: FuncRef | LiveRef, falsy: FalseParams) -> list[Hit]:
        key = (id(func.node) if isinstance(func, FuncRef) else id(func.value), falsy)
        if key in self._memo:
            return self._memo[key]
        if self._depth >= MAX_DEPTH:
            return []
        self._memo[key] = []  # a recursive helper sees itself as clean
        self._depth += 1
        try:
            found = self._summarise(func, falsy)
        finally:
            self._depth -= 1
        self._memo[key] = found
        return found

    def _summarise(self, func: FuncRef | LiveRef, falsy: FalseParams) -> list[Hit]:
        if isinstance(func, LiveRef):
            parsed = self._parse_live(func.value)
            if parsed is None:
                return []
            func = parsed
        scope = function_scope(func, falsy)
        walker = Walker(func.unit, scope, self.summary, on_loop=True, discover=False)
        node = func.node
        return walker.walk(node.body if isinstance(node.body, list) else [ast.Expr(node.body)])

    def _parse_live(self, value: Any) -> FuncRef | None:
        """A function from an earlier cell, read back from its source (IPython keeps cells in
        linecache) and resolved against its own globals."""
        if not inspect.isfunction(value) or value.__name__ == "<lambda>":
            return None
        try:
            lines, start = inspect.getsourcelines(value)
        except (OSError, TypeError):
            return None
        text = textwrap.dedent("".join(lines))
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return None
        node = tree.body[0] if tree.body else None
        if not isinstance(node, ast.FunctionDef):
            return None
        filename = value.__code__.co_filename
        label = (self.labeler(filename) if self.labeler else None) or os.path.basename(filename)
        unit = Unit(
            filename,
            label,
            source_lines(text),
            offset=start - 1,
            namespace=value.__globals__,
        )
        return FuncRef(node, Scope(None, namespace=value.__globals__), unit)


def _findings(hits: list[Hit], lines: tuple[str, ...]) -> list[Finding]:
    found: dict[tuple[int, int, str], Finding] = {}
    for hit in hits:
        finding = _finding(hit, lines)
        found.setdefault((finding.line, finding.col, finding.code), finding)
    return sorted(found.values(), key=lambda f: (f.line, f.col, f.code))


def _finding(hit: Hit, lines: tuple[str, ...]) -> Finding:
    inner = hit
    while inner.via is not None:
        inner = inner.via
    rule = RULE_CLASSES[inner.code]
    node = hit.node
    shown = call_text(node, lines)
    if isinstance(node, ast.Name | ast.Attribute):
        shown = f"with {shown}:"
    values = {
        "call": shown,
        "what": inner.what,
        "duration": duration(inner.qualname, inner.node),
    }
    if hit.via is None:
        message = rule.messages["call"].format(**values)
        fix = fix_code(rule.fix_style, hit.qualname, node, lines)
    else:
        values["inner"] = call_text(inner.node, inner.unit.lines)
        values["where"] = _where(inner, hit)
        message = rule.messages["helper"].format(**values)
        fix = fix_code("thread", "", node, lines)
    line = node.lineno
    source_line = lines[line - 1] if line <= len(lines) else ""
    end_col = node.end_col_offset if node.end_lineno == line else None
    return Finding(
        code=rule.code,
        slug=rule.slug,
        message=message,
        filename=hit.unit.filename,
        line=line,
        col=char_col(source_line, node.col_offset),
        end_col=len(source_line) if end_col is None else char_col(source_line, end_col),
        source_line=source_line,
        fix=fix,
    )


def _where(inner: Hit, outer: Hit) -> str:
    line = inner.node.lineno + inner.unit.offset
    if inner.unit is outer.unit:
        return f"line {line}"
    return f"{inner.unit.label}, line {line}"
