"""``[tool.asyncrepl]`` in the nearest ``pyproject.toml`` and ``--select/--ignore/--config``,
each key with ruff's meaning, on real files in a project folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_check.conftest import BLOCKING, Run, write

#: AR101 on line 4, AR105 on line 5, AR103 on line 6.
THREE = (
    "import time, socket\n\nasync def main(host):\n    time.sleep(1)\n"
    "    open('x').read()\n    socket.gethostbyname(host)\n"
)


def codes(result: Run) -> list[str]:
    return [line.split()[1] for line in result.out.splitlines() if ": AR" in line]


def project(tmp_path: Path, table: str) -> None:
    write(tmp_path, "pyproject.toml", f"[project]\nname = 'x'\n\n[tool.asyncrepl]\n{table}\n")
    write(tmp_path, "app.py", THREE)


def test_no_configuration_checks_every_code(tmp_path: Path, check: Callable[..., Run]) -> None:
    write(tmp_path, "app.py", THREE)
    assert codes(check("app.py")) == ["AR101", "AR105", "AR103"]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('select = ["AR101"]', ["AR101"]),
        ('select = ["AR10"]', ["AR101", "AR105", "AR103"]),
        ('ignore = ["AR105"]', ["AR101", "AR103"]),
        ('select = ["AR1"]\nignore = ["AR101", "AR103"]', ["AR105"]),
        # The more specific prefix wins, whichever list it is in.
        ('select = ["AR101"]\nignore = ["AR1"]', ["AR101"]),
        ('select = ["ALL"]\nignore = ["AR10"]', []),
        ('per-file-ignores = {"app.py" = ["AR101"]}', ["AR105", "AR103"]),
        ('per-file-ignores = {"*.py" = ["AR10"]}', []),
        ('per-file-ignores = {"other.py" = ["AR101"]}', ["AR101", "AR105", "AR103"]),
    ],
)
def test_select_ignore_and_per_file_ignores(
    tmp_path: Path, check: Callable[..., Run], table: str, expected: list[str]
) -> None:
    project(tmp_path, table)
    result = check(".")
    assert codes(result) == expected
    assert result.status == (1 if expected else 0)


def test_per_file_ignores_with_a_folder_pattern(tmp_path: Path, check: Callable[..., Run]) -> None:
    project(tmp_path, 'per-file-ignores = {"tests/*" = ["AR101"]}')
    write(tmp_path, "tests/test_app.py", BLOCKING)
    write(tmp_path, "src/app.py", BLOCKING)
    result = check(".")
    assert "src/app.py:4:5: AR101" in result.out
    assert "test_app.py" not in result.out


def test_exclude_replaces_the_defaults_and_extend_exclude_adds(
    tmp_path: Path, check: Callable[..., Run]
) -> None:
    for name in ("gen/a.py", "build/b.py", "keep/c.py", "keep/d_pb2.py"):
        write(tmp_path, name, BLOCKING)
    write(tmp_path, "pyproject.toml", '[tool.asyncrepl]\nextend-exclude = ["gen", "*_pb2.py"]\n')
    assert sorted(line.split(":")[0] for line in check(".").out.splitlines()) == ["keep/c.py"]
    write(tmp_path, "pyproject.toml", '[tool.asyncrepl]\nexclude = ["keep/*"]\n')
    shown = sorted(line.split(":")[0] for line in check(".").out.splitlines())
    assert shown == ["build/b.py", "gen/a.py"]


def test_exclude_applies_to_files_named_on_the_command_line(
    tmp_path: Path, check: Callable[..., Run]
) -> None:
    """pre-commit names each file: an excluded one must stay excluded."""
    write(tmp_path, "pyproject.toml", '[tool.asyncrepl]\nextend-exclude = ["legacy"]\n')
    write(tmp_path, "legacy/old.py", BLOCKING)
    write(tmp_path, "new.py", BLOCKING)
    result = check("legacy/old.py", "new.py")
    assert result.out == (
        "new.py:4:5: AR101 `time.sleep(1)` sleeps for 1 second, and it runs on the event loop.\n"
    )


def test_the_nearest_pyproject_with_the_table_applies(
    tmp_path: Path, check: Callable[..., Run]
) -> None:
    write(tmp_path, "pyproject.toml", '[tool.asyncrepl]\nignore = ["AR101"]\n')
    write(tmp_path, "sub/pyproject.toml", '[tool.asyncrepl]\nignore = ["AR105"]\n')
    write(tmp_path, "sub/deeper/pyproject.toml", "[project]\nname = 'no-table'\n")
    write(tmp_path, "top.py", THREE)
    write(tmp_path, "sub/deeper/inner.py", THREE)
    result = check("top.py", "sub")
    assert [line.split()[:2] for line in result.out.splitlines()] == [
        ["top.py:5:5:", "AR105"],
        ["top.py:6:5:", "AR103"],
        ["sub/deeper/inner.py:4:5:", "AR101"],
        ["sub/deeper/inner.py:6:5:", "AR103"],
    ]


def test_command_line_wins_over_the_file(tmp_path: Path, check: Callable[..., Run]) -> None:
    project(tmp_path, 'select = ["AR101"]')
    assert codes(check("--select", "AR103,AR105", "app.py")) == ["AR105", "AR103"]
    assert codes(check("--ignore", "AR101", "app.py")) == []
    project(tmp_path, 'ignore = ["AR101"]')
    assert codes(check("--select", "AR1", "--ignore", "AR103", "app.py")) == ["AR101", "AR105"]


def test_config_option_names_the_file(tmp_path: Path, check: Callable[..., Run]) -> None:
    write(tmp_path, "pyproject.toml", '[tool.asyncrepl]\nignore = ["AR101"]\n')
    write(tmp_path, "ci/strict.toml", '[tool.asyncrepl]\nselect = ["AR101"]\n')
    write(tmp_path, "app.py", THREE)
    assert codes(check("--config", "ci/strict.toml", "app.py")) == ["AR101"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('slect = ["AR101"]', "pyproject.toml: [tool.asyncrepl]: unknown key `slect`; known: "),
        ('select = ["AR999"]', "[tool.asyncrepl] select: unknown code `AR999`"),
        ('ignore = ["E501"]', "[tool.asyncrepl] ignore: unknown code `E501`"),
        ('per-file-ignores = {"x.py" = ["X1"]}', "per-file-ignores 'x.py': unknown code `X1`"),
        ('select = "AR101"', "select: expected a list of codes"),
        ("exclude = [1]", "exclude: expected a list of glob patterns"),
        ("select = [", "pyproject.toml: cannot read: "),
    ],
)
def test_a_configuration_mistake_is_one_line_and_exit_2(
    tmp_path: Path, check: Callable[..., Run], table: str, message: str
) -> None:
    project(tmp_path, table)
    result = check("app.py")
    assert result.status == 2
    assert result.out == ""
    [line] = result.err.splitlines()
    assert line.startswith("asyncrepl check: ") and message in line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", "AR1,NOPE"], "--select: unknown code `NOPE`"),
        (["--ignore", "XYZ"], "--ignore: unknown code `XYZ`"),
        (["--config", "missing.toml"], "missing.toml: cannot read: "),
    ],
)
def test_a_command_line_mistake_is_one_line_and_exit_2(
    tmp_path: Path, check: Callable[..., Run], argv: list[str], message: str
) -> None:
    write(tmp_path, "app.py", THREE)
    result = check(*argv, "app.py")
    assert result.status == 2
    [line] = result.err.splitlines()
    assert message in line


def test_hidden_folders_are_not_searched_but_a_file_named_in_one_is_read(
    tmp_path: Path, check: Callable[..., Run]
) -> None:
    write(tmp_path, ".github/scripts/ci.py", BLOCKING)
    write(tmp_path, ".venv/lib/x.py", BLOCKING)
    assert check(".") == Run(
        0, "All checks passed: 0 files.\n", "asyncrepl check: no Python files or notebooks found\n"
    )
    assert check(".github/scripts/ci.py").out.startswith(".github/scripts/ci.py:4:5: AR101")
    assert check(".venv/lib/x.py").out == "All checks passed: 0 files.\n"  # excluded by default
