"""The C parts of asyncrepl: the recorder's hot paths, each the twin of Python code that does
the same (``instrument/_readyrun.c``, ``_tasknote.c``, ``_freednote.c``, ``_tally.c``). They
are built at install time where a C compiler is at hand; elsewhere, or with the environment
variable ``ASYNCREPL_PURE_PYTHON`` set to anything but "" or "0", the Python twins run."""

from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType

__all__ = ["PURE_PYTHON", "load"]

#: Whether the Python twins were asked for (CI runs the whole suite so once).
PURE_PYTHON = os.environ.get("ASYNCREPL_PURE_PYTHON", "") not in ("", "0")


def load(name: str) -> ModuleType | None:
    """The C module ``name``, or None where it was not built or not wanted. One that was
    built imports or fails loudly: a broken build is not quietly the slower path (and a test
    checks that the parts are built wherever a compiler is).

    :param name: its full name, e.g. ``"asyncrepl._tally"``.
    """
    if PURE_PYTHON or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)
