"""Recognises an exception or a warning in the catalogue and applies the entry to it: where it
happened (the user's line) and the fix written on that line."""

from __future__ import annotations

import asyncio
import linecache
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import FrameType, TracebackType
from typing import Any

from asyncrepl.explain import callfixes
from asyncrepl.explain import rewrite as rw
from asyncrepl.explain.catalogue import ENTRIES, entry
from asyncrepl.explain.entries import Entry, Explanation
from asyncrepl.instrument.sites import is_user_file
from asyncrepl.records import Location, LocationLabeler, default_labeler

__all__ = [
    "UserFrame",
    "apply_entry",
    "explain_exception",
    "explain_loop_error",
    "explain_warning",
    "user_frames",
]

_SLEEP = re.compile(r"\bsleep\s*\(")
_FUNCTION_AWAITED = re.compile(
    r"object (function|method|builtin_function_or_method) can't be used in 'await'"
)


@dataclass(frozen=True, slots=True)
class UserFrame:
    """One frame of the user's code in a traceback.

    :param location: the line, labelled.
    :param names: the frame's globals and locals (for resolving names; never evaluated).
    :param lines: the whole cell or file, for corrections that span lines.
    """

    location: Location
    names: dict[str, object]
    lines: tuple[str, ...]


def _location(
    filename: str, lineno: int, function: str, labeler: LocationLabeler, lines: Sequence[str]
) -> Location:
    label = labeler(filename) or os.path.basename(filename)
    source = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
    return Location(filename, lineno, f"{label}:{lineno}", source, function)


def _lines_of(filename: str, source: str) -> tuple[str, ...]:
    lines = linecache.getlines(filename)
    if not lines and source:
        lines = source.splitlines()
    return tuple(line.rstrip("\n") for line in lines)


def user_frames(
    tb: TracebackType | None, labeler: LocationLabeler = default_labeler, source: str = ""
) -> list[UserFrame]:
    """The user's frames of a traceback, outermost first (asyncio's and libraries' left out).

    :param tb: the exception's ``__traceback__``.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param source: the cell's source, for when ``linecache`` does not have it.
    """
    frames: list[UserFrame] = []
    while tb is not None:
        frame: FrameType = tb.tb_frame
        filename = frame.f_code.co_filename
        if is_user_file(filename, labeler):
            lines = _lines_of(filename, source)
            where = _location(filename, tb.tb_lineno, frame.f_code.co_qualname, labeler, lines)
            names = {**frame.f_globals, **frame.f_locals}
            frames.append(UserFrame(where, names, lines))
        tb = tb.tb_next
    return frames


def apply_entry(
    item: Entry,
    frame: UserFrame | None,
    *,
    details: tuple[str, ...] = (),
    rewrite: rw.RewriteFn | None = None,
) -> Explanation:
    """The explanation of ``item`` at ``frame``: its line and the line corrected.

    :param item: the catalogue entry.
    :param frame: the user's line it is about, if known.
    :param details: more lines to show.
    :param rewrite: a correction to use instead of the entry's own.
    """
    fixer = rewrite or item.rewrite
    code = ""
    if frame is not None and fixer is not None and frame.lines:
        index = frame.location.lineno - 1
        if 0 <= index < len(frame.lines):
            try:
                # The fixer sees the line without its comment (a block header then ends
                # with ":"), and the fix keeps none.
                lines = list(frame.lines)
                lines[index] = rw.without_comments(lines[index])
                fixed = rw.without_comments(fixer(lines, index, frame.names) or "")
                code = textwrap.dedent(fixed)  # a line from inside a def, shown on its own
            except Exception:  # a correction we cannot make is not worth a failure
                code = ""
    return Explanation(
        key=item.key,
        title=item.title,
        what=item.what,
        why=item.why,
        fix=item.fix,
        code=code or item.example,
        where=frame.location if frame is not None else None,
        details=details,
        code_is_example=not code,
    )


def _matches(item: Entry, types: Sequence[str], message: str) -> bool:
    return any(
        any(t in types for t in pattern.types) and pattern.regex.search(message) is not None
        for pattern in item.patterns
    )


def _by_pattern(types: Sequence[str], message: str) -> Entry | None:
    return next((item for item in ENTRIES if _matches(item, types, message)), None)


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _awaits_plain_future(frame: UserFrame) -> bool:
    match = re.search(r"\bawait\s+(?:asyncio\.wait_for\()?([\w.]+)", frame.location.source)
    if match is None:
        return False
    value = rw._resolve(match.group(1), frame.names)
    return isinstance(value, asyncio.Future) and not isinstance(value, asyncio.Task)


def _async_iterable_named(message: str, names: dict[str, object]) -> bool:
    """``'Ticker' object is not iterable``: is a ``Ticker`` here an async iterable?"""
    match = re.search(r"'(\w+)' object is not iterable", message)
    if match is None:
        return False
    for value in names.values():
        kind = value if isinstance(value, type) else type(value)
        if kind.__name__ == match.group(1) and hasattr(kind, "__aiter__"):
            return True
    return False


def _gather_frame(frames: Sequence[UserFrame]) -> UserFrame | None:
    return next((f for f in frames if "gather(" in f.location.source), None)


def _gathers_one_list(frame: UserFrame) -> bool:
    """``gather([a(), b()])``: one list where the awaitables themselves belong."""
    return callfixes.star_the_list((frame.location.source,), 0, frame.names) is not None


def _refine(item: Entry | None, exc: BaseException, frames: list[UserFrame]) -> Entry | None:
    """Checks on the traceback that the message alone cannot make."""
    inner = frames[-1] if frames else None
    key = item.key if item is not None else ""
    if key == "not-awaitable" and inner is not None and _SLEEP.search(inner.location.source):
        return entry("time-sleep")
    if key == "not-awaitable" and "async_generator" in str(exc):
        return entry("await-async-generator")
    if key == "not-awaitable" and _FUNCTION_AWAITED.search(str(exc)):
        return entry("await-function")
    if key == "coroutine-function-given" and _gather_frame(frames) is not None:
        return entry("gather-list") if "awaitable is required" in str(exc) else item
    stopped = isinstance(exc, asyncio.CancelledError | TimeoutError | KeyboardInterrupt)
    if stopped and inner is not None and _awaits_plain_future(inner):
        return entry("future-never-set")
    if item is not None:
        return item
    if isinstance(exc, TimeoutError) and isinstance(exc.__cause__, asyncio.CancelledError):
        return entry("timeout")
    if isinstance(exc, TypeError) and inner and _async_iterable_named(str(exc), inner.names):
        return entry("for-over-async-iterable")
    gathering = _gather_frame(frames)
    if isinstance(exc, TypeError) and gathering and _gathers_one_list(gathering):
        return entry("gather-list")
    if not isinstance(exc, asyncio.CancelledError) and gathering is not None:
        return entry("gather-exception")
    return None


def explain_exception(
    exc: BaseException, *, labeler: LocationLabeler = default_labeler, source: str = ""
) -> Explanation | None:
    """Explain an exception from asyncio code, or None when the catalogue does not know it.
    Cheap enough to call on every error.

    :param exc: the exception, with its traceback.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param source: the cell's source, for showing and correcting its lines.
    """
    types = [cls.__name__ for cls in type(exc).__mro__]
    item = _by_pattern(types, str(exc))
    if isinstance(exc, SyntaxError):
        return _syntax_error(item, exc, labeler, source) if item is not None else None
    frames = user_frames(exc.__traceback__, labeler, source)
    item = _refine(item, exc, frames)
    if item is None:
        return None
    inner = frames[-1] if frames else None
    if item.key in ("gather-exception", "gather-list"):
        return apply_entry(item, _gather_frame(frames), details=_raised_at(exc, inner))
    if item.key == "taskgroup-errors" and isinstance(exc, BaseExceptionGroup):
        return _task_group(item, exc, inner, labeler)
    details = (
        (f"Cancelled with the message {exc.args[0]!r}.",)
        if item.key == "cancelled" and exc.args
        else ()
    )
    return apply_entry(item, inner, details=details)


def _raised_at(exc: BaseException, frame: UserFrame | None) -> tuple[str, ...]:
    if frame is None:
        return (f"It raised `{_one_line(exc)}`.",)
    where = frame.location
    return (f"It raised `{_one_line(exc)}` at {where.label}: `{where.source}`",)


def _task_group(
    item: Entry,
    group: BaseExceptionGroup[Any],
    frame: UserFrame | None,
    labeler: LocationLabeler,
) -> Explanation:
    details = []
    kinds: list[str] = []
    for sub in group.exceptions:
        inner = user_frames(sub.__traceback__, labeler)
        at = f" at {inner[-1].location.label}" if inner else ""
        details.append(f"`{_one_line(sub)}`{at}")
        if type(sub).__name__ not in kinds:
            kinds.append(type(sub).__name__)
    caught = kinds[0] if len(kinds) == 1 else f"({', '.join(kinds)})"
    fixer = rw.wrap_try(f"* {caught} as group", "print(group.exceptions)")
    return apply_entry(item, frame, details=tuple(details), rewrite=fixer)


def _syntax_error(
    item: Entry, exc: SyntaxError, labeler: LocationLabeler, source: str
) -> Explanation:
    filename = exc.filename or "<cell>"
    lines = _lines_of(filename, source) if filename != "<cell>" else tuple(source.splitlines())
    lineno = exc.lineno or 0
    if not lines and exc.text:
        lines, lineno = (exc.text.rstrip("\n"),), 1
    where = _location(filename, lineno, "", labeler, lines)
    top_level = 0 < lineno <= len(lines) and rw.enclosing_def(lines, lineno - 1) is None
    if item.key == "await-outside-async" and top_level:  # no function around the await
        in_a_cell = filename.startswith("<") or labeler(filename) is not None
        item = entry("await-autoawait-off" if in_a_cell else "await-in-script") or item
    return apply_entry(item, UserFrame(where, {}, lines))


def explain_warning(
    message: str, category: type[Warning] = RuntimeWarning, *, source: str = ""
) -> Explanation | None:
    """Explain a warning (``coroutine 'main' was never awaited``) or a message the event loop
    logged (``Task was destroyed but it is pending!``); None when unknown.

    :param message: the warning's text.
    :param category: the warning's class.
    :param source: the cell's source, to find and correct the line that made the coroutine.
    """
    types = [cls.__name__ for cls in category.__mro__]
    item = _by_pattern([*types, "loop"], message)
    if item is None:
        return None
    if item.key == "task-destroyed-pending" and asyncio._get_running_loop() is not None:
        # The loop still runs, so it did not end under the task: nothing held it.
        item = entry("task-garbage-collected") or item
    if item.key == "unawaited-coroutine":
        return _unawaited(item, message, source)
    return apply_entry(item, None)


def _unawaited(item: Entry, message: str, source: str) -> Explanation:
    match = re.search(r"coroutine '([^']*)'", message)
    name = match.group(1).rsplit(".", 1)[-1] if match else ""
    lines = tuple(source.splitlines())
    for index in range(len(lines)):
        fixed = rw.await_calls(lines, index, {}, only=name) if name else None
        if fixed:
            where = Location("<cell>", index + 1, f"line {index + 1}", lines[index].strip())
            return replace(apply_entry(item, None), code=fixed, where=where, code_is_example=False)
    return apply_entry(item, None)


def explain_loop_error(context: Mapping[str, Any]) -> Explanation | None:
    """Explain what the event loop reports to its exception handler, or None.

    :param context: the handler's context (``message``, ``exception``, ``task`` ...).
    """
    exc = context.get("exception")
    message = str(context.get("message") or "")
    found = explain_warning(message, RuntimeWarning)
    if found is not None:
        if isinstance(exc, BaseException):
            return replace(found, details=(*found.details, f"The task raised `{_one_line(exc)}`."))
        return found
    return explain_exception(exc) if isinstance(exc, BaseException) else None
