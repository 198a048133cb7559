"""``# noqa`` comments in files checked by ``asyncrepl check``, in every spelling."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_check.conftest import Run, run_module, write

TWO = "import time, socket\n\nasync def main(host):\n    time.sleep(1); socket.gethostbyname(host)"


@pytest.mark.parametrize(
    ("comment", "left"),
    [
        ("", ["AR101", "AR103"]),
        ("  # noqa", []),
        ("  # noqa: AR101", ["AR103"]),
        ("  # noqa: AR101, AR103", []),
        ("  # noqa:AR103", ["AR101"]),
        ("  # NOQA: AR101 AR103", []),
        ("  # noqa: AR105", ["AR101", "AR103"]),
        ("  # noqa:", ["AR101", "AR103"]),
    ],
)
def test_each_noqa_form(
    tmp_path: Path, check: Callable[..., Run], comment: str, left: list[str]
) -> None:
    write(tmp_path, "app.py", f"{TWO}{comment}\n")
    result = check("app.py")
    assert [line.split()[1] for line in result.out.splitlines() if ": AR" in line] == left
    assert result.status == (1 if left else 0)
    if not left:
        assert result.out == "All checks passed: 1 file.\n"


def test_noqa_in_a_string_does_not_count(tmp_path: Path, check: Callable[..., Run]) -> None:
    write(tmp_path, "app.py", "import time\nasync def main():\n    time.sleep(1); s = '# noqa'\n")
    assert "app.py:3:5: AR101" in check("app.py").out


def test_noqa_on_another_line_does_not_count(tmp_path: Path, check: Callable[..., Run]) -> None:
    write(tmp_path, "app.py", "import time\nasync def main():  # noqa\n    time.sleep(1)\n")
    assert "app.py:3:5: AR101" in check("app.py").out


def test_noqa_on_standard_input(tmp_path: Path) -> None:
    source = "import time\nasync def main():\n    time.sleep(1)  # noqa: AR101\n"
    result = run_module("-", cwd=tmp_path, stdin=source)
    assert (result.status, result.out) == (0, "All checks passed: 1 file.\n")
