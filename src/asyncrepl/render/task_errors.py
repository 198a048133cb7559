"""The report of a background task that ended with an exception, shown as soon as it ends."""

from __future__ import annotations

import os
import traceback

from prompt_toolkit.formatted_text import StyleAndTextTuples

from asyncrepl.records import LocationLabeler, default_labeler
from asyncrepl.render.hints import EXPLAIN_HINT
from asyncrepl.render.wrap import wrap_fragments

__all__ = ["render_loop_error", "render_task_failure"]

_ASYNCIO_DIR = os.path.dirname(os.path.abspath(traceback.__file__)) + os.sep + "asyncio"


def render_task_failure(
    name: str,
    coro: str,
    exc: BaseException,
    *,
    labeler: LocationLabeler = default_labeler,
    explainable: bool = False,
) -> StyleAndTextTuples:
    """``Task 'ticker' (ticker) failed: ZeroDivisionError: division by zero`` and where.

    :param name: the task's name.
    :param coro: its coroutine's qualified name.
    :param exc: the exception that ended it.
    :param labeler: turns cell filenames into ``<cell 3>``.
    :param explainable: add the ``(%explain for more)`` hint.
    """
    fragments: StyleAndTextTuples = [
        ("class:ar.error", "✗ "),
        ("", "Task "),
        ("class:ar.name", f"'{name}'"),
        ("class:ar.dim", f" ({coro})"),
        ("", " failed: "),
        ("class:ar.error", _one_line(exc)),
    ]
    fragments += render_frames(exc, labeler)
    if explainable:
        fragments += [("", "\n  "), ("class:ar.hint", EXPLAIN_HINT)]
    return wrap_fragments(fragments)


def render_loop_error(
    message: str, exc: BaseException | None, labeler: LocationLabeler
) -> StyleAndTextTuples:
    """An error the event loop caught outside any task (a callback that raised ...).

    :param message: the loop's own message.
    :param exc: the exception, if there was one.
    :param labeler: turns cell filenames into ``<cell 3>``.
    """
    fragments: StyleAndTextTuples = [("class:ar.error", "✗ "), ("", message)]
    if exc is not None:
        fragments += [("", ": "), ("class:ar.error", _one_line(exc))]
        fragments += render_frames(exc, labeler)
    return wrap_fragments(fragments)


def render_frames(exc: BaseException, labeler: LocationLabeler) -> StyleAndTextTuples:
    """The user's frames of ``exc``'s traceback, innermost last, asyncio's own left out."""
    fragments: StyleAndTextTuples = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.startswith(_ASYNCIO_DIR):
            continue
        label = labeler(frame.filename) or os.path.basename(frame.filename)
        fragments += [
            ("", "\n    "),
            ("class:ar.location", f"{label}:{frame.lineno}"),
            ("class:ar.dim", f" in {frame.name}"),
        ]
        if frame.line:
            fragments += [("", "\n        "), ("class:ar.code", frame.line.strip())]
    return fragments


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
