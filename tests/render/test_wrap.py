"""asyncrepl's own messages fit an 80-column terminal: broken between words, never inside one,
continuation lines under a hanging indent."""

from __future__ import annotations

import re

import pytest
from prompt_toolkit.formatted_text import fragment_list_to_text

from asyncrepl.explain import Explanation, explain_code
from asyncrepl.records import Finding
from asyncrepl.render.explanation import render_explanation
from asyncrepl.render.findings import render_findings
from asyncrepl.render.hints import render_leftover_tasks, render_unawaited
from asyncrepl.render.task_errors import render_task_failure
from asyncrepl.render.wrap import text_width, wrap_fragments

LONG = (
    "While one task waits at an `await`, the event loop runs another: that is how tasks take "
    "turns in one thread, and `asyncio.create_task(fetch_everything_from_the_server())` starts one."
)


def words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def check_fits(text: str, width: int = 80) -> None:
    for line in text.splitlines():
        assert len(line) <= width or " " not in line.strip(), line


def test_lines_break_between_words_under_a_hanging_indent() -> None:
    out = fragment_list_to_text(wrap_fragments([("", "  Why: "), ("class:x", LONG)], 40))
    lines = out.splitlines()
    assert len(lines) > 3 and words(out) == words("  Why: " + LONG)
    assert all(line.startswith("    ") for line in lines[1:])
    check_fits(out, 40)


def test_styles_are_kept() -> None:
    out = wrap_fragments([("class:a", "one two "), ("class:b", "three four")], 9)
    assert ("class:b", "three") in out and ("class:a", "one") in out


def test_a_word_longer_than_the_line_is_not_cut() -> None:
    word = "x" * 100
    out = fragment_list_to_text(wrap_fragments([("", f"Fix: {word} done")], 30))
    assert word in out.splitlines()[1]


def test_the_unawaited_hint_fits_80_columns() -> None:
    fragments = render_unawaited(
        "main()", "main", where="<cell 12>:2", fix="print(type(await main()))", width=80
    )
    out = fragment_list_to_text(fragments)
    check_fits(out)
    assert out.splitlines()[1].startswith("  runs only when")  # under the hanging indent
    assert out.endswith("(%explain for more)")


def test_task_failure_and_notes_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    names = [f"'worker-{i}' (print_values)" for i in range(6)]
    check_fits(fragment_list_to_text(render_leftover_tasks(names, "asyncio.run(main())")))
    exc = ValueError("a message long enough to need two lines " * 3)
    check_fits(fragment_list_to_text(render_task_failure("t1", "boom", exc)))
    finding = Finding(
        "AR113",
        "coroutine-not-awaited",
        "`asyncio.sleep(1)` makes a coroutine, but nothing awaits it, so it never runs. " * 2,
        "<cell 5>",
        2,
        4,
        20,
        "    asyncio.sleep(1)",
        "await asyncio.sleep(1)",
    )
    check_fits(fragment_list_to_text(render_findings([finding])))


def test_explanations_fit_80_columns_details_too() -> None:
    found = Explanation(key="cell", title="What cell [3] did", what=LONG, details=(LONG,))
    out = fragment_list_to_text(render_explanation(found, width=76))
    check_fits(out)
    assert words(out) == words("» What cell [3] did " + LONG + " • " + LONG)
    topic = fragment_list_to_text(render_explanation(explain_code("AR113"), width=76))
    check_fits(topic)


@pytest.mark.parametrize(
    "text",
    [
        "⚠ The event loop was blocked for 0.2 s ▓▓▓ ─ ▸ ✓ ✗ … ⏳",  # asyncrepl's own symbols
        "print('東京の天気')  # wide characters take two columns",
        "café, naïve, e\u0301 (a combining accent takes none)",
    ],
)
def test_text_width_counts_columns_as_prompt_toolkit_does(text: str) -> None:
    from prompt_toolkit.utils import get_cwidth

    assert text_width(text) == get_cwidth(text)


def test_a_line_of_wide_characters_breaks_by_columns() -> None:
    line = " ".join(["東京"] * 30)  # 30 words of 4 columns: 149 columns in 89 characters
    wrapped = fragment_list_to_text(wrap_fragments([("", line)], width=80))
    assert [text_width(row) for row in wrapped.splitlines()] == [79, 71]  # 16 words, 14 + indent
