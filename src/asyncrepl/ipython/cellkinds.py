"""Which cells ran the user's code: "the last cell" of ``%timeline`` and ``%explain`` is the
last of those, not a cell that only ran magics, shell commands (``!ls``) or ``clear``."""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["runs_user_code"]

#: What IPython's transforms turn ``%magic``, ``!command`` and ``x = !command`` into.
_SHELL_CALLS = frozenset({"run_line_magic", "run_cell_magic", "system", "getoutput"})
#: Magics that run the code they are given: ``%time await main()`` is the user's code.
_RUNS_CODE = frozenset({"time", "timeit", "prun", "run", "capture"})


def runs_user_code(shell: Any, raw_cell: str, transformed: str | None = None) -> bool:
    """Whether ``raw_cell`` runs any code of the user's, not only magics or shell commands.

    A cell IPython cannot transform or parse is the user's too: its error is theirs.

    :param shell: the shell, whose transforms turn ``%timeline`` into a call.
    :param raw_cell: the cell as typed.
    :param transformed: the cell after IPython's transforms, when known.
    """
    try:
        module = ast.parse(transformed if transformed else shell.transform_cell(raw_cell))
    except Exception:  # a SyntaxError, or a transform's: the user's own mistake
        return bool(raw_cell.strip())
    return any(not _only_shell(stmt) for stmt in module.body)


def _only_shell(stmt: ast.stmt) -> bool:
    value = stmt.value if isinstance(stmt, ast.Expr | ast.Assign) else None
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
        return False
    func = value.func
    target = func.value
    shell_call = (
        isinstance(target, ast.Call)
        and isinstance(target.func, ast.Name)
        and target.func.id == "get_ipython"
        and func.attr in _SHELL_CALLS
    )
    if not shell_call:
        return False
    first = value.args[0] if value.args else None
    name = first.value if isinstance(first, ast.Constant) else None
    return not (func.attr.startswith("run_") and name in _RUNS_CODE)
