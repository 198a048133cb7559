"""Tracebacks show the user's code and the libraries', never asyncrepl's machinery: frames
marked ``__tracebackhide__`` (IPython's and pytest's marker, which IPython's debugger also
honours) are taken out before IPython formats the traceback, and so are asyncio's own frames
when ``asyncio.run`` refuses to run inside the running loop (the user's line is what matters).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

__all__ = ["install_traceback_filter", "without_machinery"]

_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep


def without_machinery(exc: BaseException, tb: TracebackType | None) -> TracebackType | None:
    """``tb`` without asyncrepl's frames (the last frame, where ``exc`` was raised, stays), and
    without asyncio's trailing frames when ``exc`` is asyncio refusing a nested run.

    :param exc: the exception.
    :param tb: its traceback; it is not changed (a new chain is built).
    """
    entries: list[TracebackType] = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    if not entries:
        return None
    last = entries[-1]
    # `is True`: IPython marks its own bottom frame with a string, and skips it by offset.
    kept = [e for e in entries[:-1] if e.tb_frame.f_locals.get("__tracebackhide__") is not True]
    kept.append(last)
    if _refused_nested_run(exc):
        while len(kept) > 1 and kept[-1].tb_frame.f_code.co_filename.startswith(_ASYNCIO_DIR):
            kept.pop()
    if len(kept) == len(entries):
        return entries[0]
    chain: TracebackType | None = None
    for entry in reversed(kept):
        chain = TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain


def install_traceback_filter(shell: Any) -> Callable[[], None]:
    """Filter the tracebacks ``shell`` shows (``showtraceback``, terminal and kernel alike);
    returns the function that takes the filter out.

    :param shell: the IPython shell.
    """
    own = shell.__dict__.get("showtraceback")

    def showtraceback(exc_tuple: Any = None, *args: Any, **kwargs: Any) -> Any:
        etype, value, tb = exc_tuple if exc_tuple is not None else sys.exc_info()
        if value is not None:
            exc_tuple = (etype, value, without_machinery(value, tb))
        if own is not None:
            return own(exc_tuple, *args, **kwargs)
        # Looked up at each call: code that replaces the class's method is obeyed.
        return type(shell).showtraceback(shell, exc_tuple, *args, **kwargs)

    shell.showtraceback = showtraceback

    def uninstall() -> None:
        if shell.__dict__.get("showtraceback") is showtraceback:
            if own is None:
                del shell.showtraceback
            else:
                shell.showtraceback = own

    return uninstall


def _refused_nested_run(exc: BaseException) -> bool:
    return isinstance(exc, RuntimeError) and "cannot be called from a running event loop" in str(
        exc
    )
