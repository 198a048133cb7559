"""``--format text|json|github|sarif``, ``--statistics``, the clean summary, and standard input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.cli_check.conftest import BLOCKING, CLEAN, Run, run_module, write

MESSAGE = "`time.sleep(1)` sleeps for 1 second, and it runs on the event loop."
TWO_FILES = {"a.py": BLOCKING, "pkg/b.py": BLOCKING + "    open('f').read()\n"}


def project(tmp_path: Path) -> None:
    for name, text in TWO_FILES.items():
        write(tmp_path, name, text)


def test_text(tmp_path: Path, check: Callable[..., Run]) -> None:
    project(tmp_path)
    result = check(".")
    assert result.status == 1
    assert result.out.splitlines() == [
        f"a.py:4:5: AR101 {MESSAGE}",
        f"pkg/b.py:4:5: AR101 {MESSAGE}",
        "pkg/b.py:5:5: AR105 `open('f')` opens a file, and it runs on the event loop.",
    ]


def test_a_clean_run_says_so_in_one_line(tmp_path: Path, check: Callable[..., Run]) -> None:
    for n in range(3):
        write(tmp_path, f"m{n}.py", CLEAN)
    assert check(".") == Run(0, "All checks passed: 3 files.\n", "")
    assert check("--format", "github", ".").out == "All checks passed: 3 files.\n"
    assert check("--format", "json", ".").out == "[]\n"


def test_json(tmp_path: Path, check: Callable[..., Run]) -> None:
    project(tmp_path)
    rows = json.loads(check("--format", "json", ".").out)
    assert [(r["path"], r["line"], r["col"], r["code"]) for r in rows] == [
        ("a.py", 4, 5, "AR101"),
        ("pkg/b.py", 4, 5, "AR101"),
        ("pkg/b.py", 5, 5, "AR105"),
    ]
    assert rows[0] | {"message": ""} == {
        "path": "a.py",
        "cell": None,
        "line": 4,
        "col": 5,
        "end_col": 18,
        "code": "AR101",
        "slug": "blocking-sleep",
        "message": "",
        "fix": "await asyncio.sleep(1)",
    }


def test_github_annotations(tmp_path: Path, check: Callable[..., Run]) -> None:
    project(tmp_path)
    write(tmp_path, "bad, name.py", "def (:\n")
    result = check("--format", "github", ".")
    assert result.status == 2
    lines = result.out.splitlines()
    assert lines[0] == (
        "::error file=a.py,line=4,col=5,endColumn=18,title=AR101 blocking-sleep::" + MESSAGE
    )
    assert lines[2].startswith("::error file=pkg/b.py,line=5,col=5,endColumn=14,title=AR105 ")
    # A file that could not be checked is an annotation too; ',' and ':' escaped in properties.
    assert lines[3].startswith("::error file=bad%2C name.py,title=not checked::bad, name.py:1:")
    assert len(lines) == 4


def test_sarif_has_the_fields_code_scanning_requires(
    tmp_path: Path, check: Callable[..., Run]
) -> None:
    project(tmp_path)
    log = json.loads(check("--format", "sarif", ".").out)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "asyncrepl"
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert rules["AR101"]["name"] == "blocking-sleep"
    assert all(rule["shortDescription"]["text"] for rule in driver["rules"])
    assert len(run["results"]) == 3
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
        assert result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] in ("a.py", "pkg/b.py")
        assert physical["region"]["startLine"] >= 4
        assert physical["region"]["startColumn"] == 5
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_sarif_names_files_that_could_not_be_checked(
    tmp_path: Path, check: Callable[..., Run]
) -> None:
    write(tmp_path, "broken.py", "def (:\n")
    result = check("--format", "sarif", ".")
    assert result.status == 2
    [invocation] = json.loads(result.out)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["message"]["text"].startswith("broken.py:1:")
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.py"


def test_statistics(tmp_path: Path, check: Callable[..., Run]) -> None:
    project(tmp_path)
    result = check("--statistics", ".")
    assert (result.status, result.out) == (1, "2  AR101  blocking-sleep\n1  AR105  blocking-file\n")
    rows = json.loads(check("--statistics", "--format", "json", ".").out)
    assert rows == [
        {"code": "AR101", "slug": "blocking-sleep", "count": 2},
        {"code": "AR105", "slug": "blocking-file", "count": 1},
    ]
    result = check("--statistics", "--format", "sarif", ".")
    assert result.status == 2 and "--statistics works with --format text or json" in result.err


def test_standard_input(tmp_path: Path) -> None:
    result = run_module("-", cwd=tmp_path, stdin=BLOCKING)
    assert (result.status, result.out) == (1, f"-:4:5: AR101 {MESSAGE}\n")
    result = run_module("--stdin-filename", "src/app.py", "-", cwd=tmp_path, stdin=BLOCKING)
    assert result.out == f"src/app.py:4:5: AR101 {MESSAGE}\n"
    assert run_module("-", cwd=tmp_path, stdin=CLEAN).out == "All checks passed: 1 file.\n"


def test_standard_input_name_selects_per_file_ignores(tmp_path: Path) -> None:
    write(
        tmp_path, "pyproject.toml", '[tool.asyncrepl]\nper-file-ignores = {"tests/*" = ["AR1"]}\n'
    )
    named = ("--stdin-filename", "tests/test_app.py", "-")
    assert run_module(*named, cwd=tmp_path, stdin=BLOCKING).status == 0
    assert run_module("-", cwd=tmp_path, stdin=BLOCKING).status == 1


def test_standard_input_may_be_a_notebook(tmp_path: Path) -> None:
    notebook = {"cells": [{"cell_type": "code", "source": BLOCKING}], "metadata": {}}
    result = run_module(
        "--stdin-filename", "nb.ipynb", "-", cwd=tmp_path, stdin=json.dumps(notebook)
    )
    assert result.out == f"nb.ipynb:cell 1:4:5: AR101 {MESSAGE}\n"
