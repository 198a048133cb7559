"""Which cells count as the user's: "the last cell" of ``%timeline`` and ``%explain``."""

from __future__ import annotations

from typing import Any

import pytest

from asyncrepl.ipython.cellkinds import runs_user_code
from asyncrepl.ipython.state import session_of


@pytest.mark.parametrize(
    "cell",
    [
        "%timeline",
        "%timeline --export t.json",
        "!ls",
        "files = !ls",
        "clear",
        "%load_ext asyncrepl\n%tasks",
        "%explain",
        "%%writefile x.txt\nhello\n",
        "# a comment only\n",
    ],
)
def test_magics_and_shell_commands_are_not_the_users_code(ip: Any, cell: str) -> None:
    assert not runs_user_code(ip, cell)


@pytest.mark.parametrize(
    "cell",
    [
        "print(1)",
        "await main()",
        "%time await main()",
        "%%time\nx = 1\n",
        "%timeline\nx = 1",
        "for i in gen(10):",  # a syntax error is the user's own
    ],
)
def test_cells_with_code_are(ip: Any, cell: str) -> None:
    assert runs_user_code(ip, cell)


def test_the_session_keeps_the_last_user_cell_as_cells_end(arip: Any) -> None:
    """Through IPython's events, as in a kernel: a magic cell ends and the last user cell stays."""
    session = session_of(arip)
    first = int(arip.execution_count)
    arip.run_cell("x = 1", store_history=True)
    assert session.last_user_cell == first
    arip.run_cell("%pwd", store_history=True)
    arip.run_cell("!true", store_history=True)
    assert session.last_user_cell == first
    start, end = session.cell_windows[first]
    assert end is not None and end >= start
    arip.run_cell("y = 2", store_history=True)
    assert session.last_user_cell == first + 3
