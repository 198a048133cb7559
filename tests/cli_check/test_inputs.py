"""Never a false "clean": files that cannot be checked to the end are errors (exit 2) while the
others are still checked; FIFOs are never opened; notebooks are checked cell by cell; line and
column stay right whatever line separators a file holds."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_check.conftest import BLOCKING, CLEAN, Run, run_module, write

SLEEP = "AR101 `time.sleep(1)` sleeps for 1 second, and it runs on the event loop."


def test_code_too_deep_to_walk_is_an_error_and_the_rest_is_checked(
    tmp_path: Path, check: Callable[..., Run]
) -> None:
    # 2,000 levels parse on 3.11-3.13 but are deeper than a walk of Python's stack.
    terms = " + ".join(f"n * {k}" for k in range(2000))
    write(tmp_path, "a_deep.py", f"import time\nasync def f(n):\n    return {terms}\n")
    write(tmp_path, "b_app.py", BLOCKING)
    result = check(".")
    assert result.status == 2
    assert "asyncrepl check: a_deep.py: cannot check to the end: nested too deeply" in result.err
    assert "asyncrepl check: 1 file could not be checked" in result.err
    assert result.out == f"b_app.py:4:5: {SLEEP}\n"


@pytest.mark.parametrize(
    "deep",
    [
        # The two cases: a 340-branch if/elif chain, a 500-term expression.
        "def pick(x):\n    if x == 0:\n        return 0\n"
        + "".join(f"    elif x == {k}:\n        return {k}\n" for k in range(1, 340)),
        "async def total(f):\n    return " + " + ".join(f"f({k})" for k in range(500)) + "\n",
    ],
)
def test_a_deep_file_never_reads_as_clean(tmp_path: Path, deep: str) -> None:
    """Whether the walk reaches the end (the call is found) or not (an error line), the unrelated
    ``time.sleep(1)`` is never hidden behind exit status 0."""
    write(tmp_path, "deep.py", f"import time\n{deep}\nasync def later():\n    time.sleep(1)\n")
    result = run_module("deep.py", cwd=tmp_path)
    assert result.status in (1, 2)
    reported = f": {SLEEP}" in result.out
    assert reported or "deep.py: cannot check to the end: nested too deeply" in result.err
    assert "All checks passed" not in result.out


def test_syntax_error_and_bad_bytes_are_errors(tmp_path: Path, check: Callable[..., Run]) -> None:
    write(tmp_path, "a.py", "def (:\n")
    (tmp_path / "b.py").write_bytes(b"x = '\xff\xfe'\n")
    (tmp_path / "c.py").write_bytes(b"# -*- coding: klingon -*-\nx = 1\n")
    (tmp_path / "d.py").write_bytes(b"x = 1\x00\n")
    write(tmp_path, "e.py", BLOCKING)
    result = check(".")
    assert result.status == 2
    errors = result.err.splitlines()
    assert errors[0].startswith("asyncrepl check: a.py:1:") and "cannot parse" in errors[0]
    assert (
        errors[1] == "asyncrepl check: b.py: cannot read: invalid or missing encoding declaration"
    )
    assert errors[2] == "asyncrepl check: c.py: cannot read: unknown encoding: klingon"
    assert errors[3].startswith("asyncrepl check: d.py") and "null bytes" in errors[3]
    assert errors[4] == "asyncrepl check: 4 files could not be checked"
    assert result.out == f"e.py:4:5: {SLEEP}\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.py")
    write(tmp_path, "y.py", CLEAN)
    result = run_module(".", cwd=tmp_path, timeout=20)  # opening x.py would wait forever
    assert (result.status, result.out) == (0, "All checks passed: 1 file.\n")
    named = run_module("x.py", "y.py", cwd=tmp_path, timeout=20)
    assert named.status == 2
    assert "asyncrepl check: x.py: not a regular file, not read" in named.err


def test_an_unreadable_folder_is_an_error(tmp_path: Path, check: Callable[..., Run]) -> None:
    write(tmp_path, "locked/inner.py", BLOCKING)
    write(tmp_path, "open.py", BLOCKING)
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        result = check(".")
        if os.access(locked, os.R_OK | os.X_OK):  # root: chmod denies nothing, so it is read
            assert result.status == 1
            assert f"locked/inner.py:4:5: {SLEEP}" in result.out
        else:
            assert result.status == 2
            assert "asyncrepl check: locked: cannot read folder: Permission denied" in result.err
        assert f"open.py:4:5: {SLEEP}" in result.out
    finally:
        locked.chmod(0o755)


def test_a_dangling_symlink_is_an_error(tmp_path: Path, check: Callable[..., Run]) -> None:
    (tmp_path / "gone.py").symlink_to(tmp_path / "nowhere.py")
    result = check(".")
    assert result.status == 2
    assert "asyncrepl check: gone.py: cannot read: No such file or directory" in result.err


@pytest.mark.parametrize(
    "separator", ["\f", "\u2028", "\x0b", "\x1c", "\x85", "\r", "\r\n"], ids=repr
)
def test_line_and_column_whatever_the_separators(
    tmp_path: Path, check: Callable[..., Run], separator: str
) -> None:
    eol = separator if separator in ("\r", "\r\n") else "\n"
    other = "" if separator in ("\r", "\r\n") else separator
    lines = ["import time", f"# a {other} b", "async def f():", f"    s = '{other}'; time.sleep(2)"]
    (tmp_path / "sep.py").write_bytes(eol.join(lines).encode() + eol.encode())
    rows = json.loads(check("--format", "json", "sep.py").out)
    [row] = rows
    assert (row["line"], row["col"]) == (4, 13 + len(other))
    assert row["message"].startswith("`time.sleep(2)` sleeps for 2 seconds")
    assert row["fix"] == "await asyncio.sleep(2)"


def notebook(*cells: tuple[str, str], language: str = "python") -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": kind, "metadata": {}, "source": src} for kind, src in cells],
            "metadata": {"kernelspec": {"language": language, "name": "k"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def test_notebook_cells(tmp_path: Path, check: Callable[..., Run]) -> None:
    write(
        tmp_path,
        "nb.ipynb",
        notebook(
            ("markdown", "# Title\n\nsome `time.sleep(1)` text"),
            ("code", "x = 1\n"),
            ("code", ["import time\n", "def helper():\n", "    time.sleep(1)\n"]),
            (
                "code",
                "%load_ext asyncrepl\n!ls -l\nfiles = !ls\nhelp?\nasync def go():\n"
                "    helper()\n    time.sleep(1)  # noqa: AR101\n",
            ),
            ("code", "%%bash\nsleep 1\n"),
            ("code", "%%time\nawait go()\nasync def more():\n    time.sleep(3)\n"),
        ),
    )
    result = check(".")
    assert result.status == 1
    assert [line.split(" AR")[0] for line in result.out.splitlines()] == [
        "nb.ipynb:cell 4:6:5:",
        "nb.ipynb:cell 6:4:5:",
    ]
    assert "AR101 `helper()` calls `time.sleep(1)` (cell 3, line 3), which" in result.out


def test_notebook_cell_that_does_not_parse(tmp_path: Path, check: Callable[..., Run]) -> None:
    write(
        tmp_path,
        "nb.ipynb",
        notebook(("code", "def (:\n"), ("code", BLOCKING), ("code", "x = (\n")),
    )
    result = check("nb.ipynb")
    assert result.status == 2
    assert "asyncrepl check: nb.ipynb:cell 1:1:" in result.err and "cannot parse" in result.err
    assert "asyncrepl check: nb.ipynb:cell 3:1:" in result.err
    assert "asyncrepl check: 1 file could not be checked" in result.err
    assert result.out == f"nb.ipynb:cell 2:4:5: {SLEEP}\n"


def test_notebooks_of_other_languages_and_broken_ones(
    tmp_path: Path, check: Callable[..., Run]
) -> None:
    write(tmp_path, "r.ipynb", notebook(("code", "Sys.sleep(1)\n"), language="R"))
    assert check("r.ipynb") == Run(0, "All checks passed: 1 file.\n", "")
    write(tmp_path, "bad.ipynb", "{not json")
    result = check("bad.ipynb")
    assert (
        result.status == 2
        and "asyncrepl check: bad.ipynb: cannot read: not a notebook" in result.err
    )


def test_a_notebook_is_not_read_as_a_python_dict(tmp_path: Path) -> None:
    write(tmp_path, "nb.ipynb", notebook(("code", BLOCKING)))
    result = run_module(".", cwd=tmp_path)
    assert (result.status, result.out) == (1, f"nb.ipynb:cell 1:4:5: {SLEEP}\n")


def test_python_m_asyncrepl_check_exit_statuses(tmp_path: Path) -> None:
    write(tmp_path, "ok.py", CLEAN)
    assert run_module("ok.py", cwd=tmp_path).status == 0
    write(tmp_path, "bad.py", BLOCKING)
    assert run_module("bad.py", cwd=tmp_path).status == 1
    assert run_module("nope.py", cwd=tmp_path).status == 2
    assert sys.executable  # the same interpreter the suite runs on
