"""The ``asyncrepl`` command: the REPL, ``asyncrepl run SCRIPT`` and ``asyncrepl check PATH``."""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the ``asyncrepl`` command.

    :param argv: the arguments after the program name; ``sys.argv[1:]`` when None.
    """
    args = sys.argv[1:] if argv is None else argv
    print("asyncrepl: not ready yet", args)
    return 0
