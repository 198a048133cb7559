"""``# noqa`` in checked source, and line numbers whatever line separators the source holds."""

from __future__ import annotations

import pytest

from asyncrepl.analysis import check_source
from asyncrepl.analysis.noqa import noqa_lines

HEAD = "import time\nimport socket\nasync def f(host):\n"


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "# noqa: AR101",
        "#noqa:AR101",
        "# NOQA: AR103, AR101",
        "# noqa: AR103 AR101",
        "# type: ignore # noqa: AR101",
    ],
)
def test_noqa_forms_silence_the_line(comment: str) -> None:
    assert check_source(f"{HEAD}    time.sleep(1)  {comment}\n") == []


@pytest.mark.parametrize("comment", ["# noqa: AR103", "# noqa:", "# noqa: nothing", "# noqa-x"])
def test_noqa_naming_other_codes_or_none_silences_nothing(comment: str) -> None:
    [finding] = check_source(f"{HEAD}    time.sleep(1)  {comment}\n")
    assert finding.code == "AR101"


def test_noqa_is_per_line_and_per_code() -> None:
    source = (
        f"{HEAD}    time.sleep(1); socket.gethostbyname(host)  # noqa: AR103\n    time.sleep(2)\n"
    )
    assert [(f.line, f.code) for f in check_source(source)] == [(4, "AR101"), (5, "AR101")]


def test_noqa_inside_a_string_does_not_count() -> None:
    source = f"{HEAD}    time.sleep(1); x = '# noqa'\n    y = '''\n# noqa\n'''; time.sleep(2)\n"
    assert [f.line for f in check_source(source)] == [4, 7]


def test_noqa_lines_follow_ast_numbering_with_bare_carriage_returns() -> None:
    assert noqa_lines("a = 1\rb = 2  # noqa: AR105\r\nc = 3  # noqa\n") == {
        2: frozenset({"AR105"}),
        3: None,
    }


@pytest.mark.parametrize("separator", ["\f", "\u2028", "\x0b", "\x1c", "\x85"])
def test_characters_that_splitlines_breaks_at_keep_lines_and_snippets(separator: str) -> None:
    source = f"import time\n# {separator} x\nasync def f():\n    a = '{separator}'; time.sleep(2)\n"
    [finding] = check_source(source)
    assert (finding.line, finding.col) == (4, 13)
    assert finding.message.startswith("`time.sleep(2)` sleeps for 2 seconds")
    assert finding.fix == "await asyncio.sleep(2)"


def test_bare_carriage_returns_end_lines() -> None:
    [finding] = check_source("import time\rasync def f():\r    time.sleep(3)\r")
    assert (finding.line, finding.col, finding.fix) == (3, 4, "await asyncio.sleep(3)")
