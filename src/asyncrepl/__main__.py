"""``python -m asyncrepl``: the same as the ``asyncrepl`` command."""

from __future__ import annotations

from asyncrepl.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
