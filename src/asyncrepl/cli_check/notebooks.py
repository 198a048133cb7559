"""Jupyter notebooks as Python: the code cells joined into one source, so that a coroutine in one
cell is checked against the helpers defined in earlier ones, with a map back to cells. IPython
syntax (``%magic``, ``!shell``, ``x = !ls``, ``obj?``) becomes ``pass`` so the rest parses."""

from __future__ import annotations

import ast
import bisect
import json
import re
import warnings
from dataclasses import dataclass

from asyncrepl.analysis.checker import source_lines

__all__ = ["NotebookError", "NotebookSource", "notebook_source"]

#: Cell magics whose body is Python run in the kernel: the body is checked, other cells not.
_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})
_ASSIGNED_MAGIC = re.compile(r"\s*[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*[%!]")


class NotebookError(ValueError):
    """The file is not a notebook this check can read (not JSON, not nbformat 4)."""


@dataclass(frozen=True)
class NotebookSource:
    """The code cells as one source. :param source: cells in order, each on lines of its own;
    :param starts: the first line of each cell in ``source``, with :param numbers: the cell's
    number in the notebook (1-based, markdown cells counted); :param errors: cells left out
    because they do not parse, as (number, error) with the error's line in the cell."""

    source: str
    starts: tuple[int, ...]
    numbers: tuple[int, ...]
    errors: tuple[tuple[int, SyntaxError], ...]

    def locate(self, line: int) -> tuple[int, int]:
        """(cell number, line in that cell) of a line of :attr:`source`."""
        index = bisect.bisect_right(self.starts, line) - 1
        return self.numbers[index], line - self.starts[index] + 1


def notebook_source(text: str) -> NotebookSource | None:
    """The Python code of a notebook's JSON, or None for a notebook in another language.

    :raises NotebookError: when ``text`` is not an nbformat 4 notebook.
    """
    try:
        notebook = json.loads(text)
    except ValueError as error:
        raise NotebookError(f"not a notebook: {error}") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise NotebookError("not a notebook: no list of cells (only nbformat 4 is read)")
    if _language(notebook) not in ("python", ""):
        return None
    parts: list[str] = []
    starts: list[int] = []
    numbers: list[int] = []
    errors: list[tuple[int, SyntaxError]] = []
    line = 1
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        code = _python_code("".join(source) if isinstance(source, list) else str(source))
        if code is None:
            continue
        problem = _parse_error(code)
        lines = source_lines(code)
        if problem is not None:
            errors.append((number, problem))
            lines = tuple("" for _ in lines)  # kept as blank lines: the other cells still count
        starts.append(line)
        numbers.append(number)
        parts.extend(lines)
        line += len(lines)
    return NotebookSource(
        "".join(f"{p}\n" for p in parts), tuple(starts), tuple(numbers), tuple(errors)
    )


def _language(notebook: dict[str, object]) -> str:
    metadata = notebook.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    for key, name in (("language_info", "name"), ("kernelspec", "language")):
        table = metadata.get(key)
        if isinstance(table, dict) and isinstance(table.get(name), str):
            return str(table[name]).lower()
    return ""


def _parse_error(code: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(code)
    except SyntaxError as error:
        return error
    except (ValueError, RecursionError) as error:  # a null byte; a nesting too deep to parse
        return SyntaxError(str(error) or "too deeply nested to parse", ("", 1, 1, ""))
    return None


def _python_code(cell: str) -> str | None:
    """The cell with IPython's own syntax turned into ``pass`` on the same lines (so line
    numbers stay right), or None for a cell magic that runs something else (``%%bash``)."""
    if _parse_error(cell) is None:
        return cell  # plain Python: nothing to touch, even a line that looks like a magic
    lines = list(source_lines(cell))
    if lines and lines[0].lstrip().startswith("%%"):
        magic = lines[0].lstrip()[2:].split(maxsplit=1)
        if not magic or magic[0] not in _PYTHON_CELL_MAGICS:
            return None
        lines[0] = ""
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith("#"):
            continue
        if (
            stripped.startswith(("%", "!", "?"))
            or stripped.endswith("?")
            or _ASSIGNED_MAGIC.match(line)
        ):
            lines[index] = f"{line[: len(line) - len(stripped)]}pass"
    return "".join(f"{line}\n" for line in lines)
