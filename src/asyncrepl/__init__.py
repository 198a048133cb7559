"""asyncrepl: an asyncio REPL on IPython, with a live event loop and tools to see inside it.

``%load_ext asyncrepl`` in IPython or Jupyter; ``asyncrepl`` on the command line.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["__version__", "embed", "load_ipython_extension", "unload_ipython_extension"]

__version__ = "0.1.0"


def load_ipython_extension(shell: Any) -> None:
    """Called by ``%load_ext asyncrepl``: make ``shell`` an asyncio REPL.

    :param shell: the running IPython shell.
    """
    from asyncrepl.ipython.extension import load

    load(shell)


def unload_ipython_extension(shell: Any) -> None:
    """Called by ``%unload_ext asyncrepl``: put ``shell`` back as it was.

    :param shell: the running IPython shell.
    """
    from asyncrepl.ipython.extension import unload

    unload(shell)


def embed(**kwargs: Any) -> None:
    """Start an asyncrepl session here, with the caller's variables.

    :param kwargs: passed to :func:`IPython.embed` (``user_ns``, ``banner1`` ...).
    """
    from asyncrepl.cli import embed as _embed

    if "user_ns" not in kwargs:
        caller = sys._getframe(1)
        kwargs["user_ns"] = {**caller.f_globals, **caller.f_locals}
        del caller  # a frame kept here would keep the caller's variables alive
    _embed(**kwargs)
