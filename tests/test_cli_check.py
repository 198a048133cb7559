"""``asyncrepl check``: output formats and exit statuses, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asyncrepl.cli_check import main_check

BLOCKING = "import time\n\nasync def main():\n    time.sleep(1)\n"
CLEAN = "import asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_finding_in_text_format_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "app.py", BLOCKING)
    assert main_check([str(path)]) == 1
    out = capsys.readouterr().out
    assert out == (
        f"{path}:4:5: AR101 `time.sleep(1)` sleeps for 1 second, and it runs on the event loop.\n"
    )


def test_clean_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check([str(write(tmp_path, "ok.py", CLEAN))]) == 0
    assert capsys.readouterr().out == "All checks passed: 1 file.\n"


def test_folders_are_searched_for_python_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "pkg/a.py", BLOCKING)
    write(tmp_path, "pkg/sub/b.py", BLOCKING)
    write(tmp_path, "pkg/notes.txt", BLOCKING)
    write(tmp_path, "pkg/.hidden/c.py", BLOCKING)
    assert main_check([str(tmp_path / "pkg")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [Path(line.split(":")[0]).name for line in lines] == ["a.py", "b.py"]


def test_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "app.py", BLOCKING)
    assert main_check(["--format", "json", str(path)]) == 1
    [row] = json.loads(capsys.readouterr().out)
    assert row["path"] == str(path)
    assert (row["line"], row["col"], row["code"]) == (4, 5, "AR101")
    assert row["message"].startswith("`time.sleep(1)`")
    assert row["fix"] == "await asyncio.sleep(1)"


def test_json_clean_is_an_empty_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check(["--format=json", str(write(tmp_path, "ok.py", CLEAN))]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_syntax_error_is_reported_and_others_still_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "a_broken.py", "def (:\n")
    write(tmp_path, "b_app.py", BLOCKING)
    assert main_check([str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "a_broken.py:1:" in captured.err and "cannot parse" in captured.err
    assert "b_app.py:4:5: AR101" in captured.out


def test_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check([str(tmp_path / "nope.py")]) == 2
    assert "nope.py: no such file or folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [[], ["--format", "xml", "x.py"], ["--bogus", "x.py"]])
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main_check(argv) == 2
    assert "usage: asyncrepl check" in capsys.readouterr().err


def test_encoding_line_is_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin.py"
    path.write_bytes(
        b"# -*- coding: latin-1 -*-\nimport time\nasync def f():\n    time.sleep(1)  # \xe9\n"
    )
    assert main_check([str(path)]) == 1
    assert ":4:5: AR101" in capsys.readouterr().out
