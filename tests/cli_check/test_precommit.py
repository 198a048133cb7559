"""``.pre-commit-hooks.yaml``: the hook pre-commit installs runs ``asyncrepl check`` on the
Python files and notebooks it names, as a command this package installs."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

from tests.cli_check.conftest import BLOCKING, CLEAN, Run, write

ROOT = Path(__file__).resolve().parents[2]
HOOKS = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")


def field(name: str) -> str:
    (value,) = re.findall(rf"^  {name}: (.+)$", HOOKS, re.MULTILINE)
    return value.strip()


def test_the_hook_definition() -> None:
    assert re.findall(r"^- id: (\S+)$", HOOKS, re.MULTILINE) == ["asyncrepl-check"]
    assert field("language") == "python"
    assert field("types_or") == "[python, jupyter]"
    command, *args = field("entry").split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert command in scripts and args == ["check"]


def test_the_hook_as_pre_commit_runs_it(tmp_path: Path, check: Callable[..., Run]) -> None:
    """pre-commit appends the staged files' names to the entry's arguments."""
    write(tmp_path, "a.py", CLEAN)
    write(tmp_path, "b.py", BLOCKING)
    assert check("a.py").status == 0
    assert check("a.py", "b.py").status == 1
