"""Runs ``asyncrepl check`` as users do: through its main function in a temporary project
folder, or as ``python -m asyncrepl check`` in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from asyncrepl.cli_check import main_check

BLOCKING = "import time\n\nasync def main():\n    time.sleep(1)\n"
CLEAN = "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n"


@dataclass(frozen=True)
class Run:
    """What one run of the command returned and wrote."""

    status: int
    out: str
    err: str


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """``check("app.py", "--format", "json")`` runs in ``tmp_path``, the project folder."""
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> Run:
        status = main_check(list(argv))
        captured = capsys.readouterr()
        return Run(status, captured.out, captured.err)

    return run


def run_module(*argv: str, cwd: Path, stdin: str | None = None, timeout: float = 30) -> Run:
    """``python -m asyncrepl check ARGV`` in ``cwd``."""
    done = subprocess.run(
        [sys.executable, "-m", "asyncrepl", "check", *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(done.returncode, done.stdout, done.stderr)
