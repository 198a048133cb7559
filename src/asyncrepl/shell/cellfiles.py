"""Which code is a cell's: IPython's compiler names each cell's code with a file name of its
own and keeps the map to the cell's number. One place reads that private map."""

from __future__ import annotations

from typing import Any

__all__ = ["cell_numbers"]


def cell_numbers(shell: Any) -> dict[str, int]:
    """The file name of each cell's code -> the cell's number, oldest first (live: it grows
    as cells run). Empty for a shell whose compiler keeps no such map.

    :param shell: the IPython shell.
    """
    numbers: dict[str, int] = getattr(shell.compile, "_filename_map", {})
    return numbers
