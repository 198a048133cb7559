"""The explanation as text (fragments) and as HTML."""

from __future__ import annotations

from prompt_toolkit.formatted_text import fragment_list_to_text

from asyncrepl.explain import Explanation, explain_topic, find_topic
from asyncrepl.records import Location
from asyncrepl.render.explanation import (
    ExplanationView,
    highlight,
    render_explanation,
    render_explanation_html,
)

FOR = Explanation(
    key="for-over-async-iterable",
    title="`for` over an async generator",
    what="You used a plain `for` loop over an async generator.",
    why="Only `async for` can step through it.",
    fix="Use `async for` instead of `for`.",
    code="async for i in gen(10):\n    print(i)",
    where=Location("f", 2, "<cell 4>:2", "for i in gen(10):"),
    details=("One more thing.",),
)


def test_text_layout() -> None:
    text = fragment_list_to_text(render_explanation(FOR))
    assert text == (
        "⚠ `for` over an async generator\n"
        "  What happened: You used a plain `for` loop over an async generator.\n"
        "  Why: Only `async for` can step through it.\n"
        "  Where: <cell 4>:2\n"
        "      for i in gen(10):\n"
        "  Fix: Use `async for` instead of `for`.\n"
        "  Your code, fixed:\n"
        "      async for i in gen(10):\n"
        "          print(i)\n"
        "  • One more thing."
    )


def test_code_is_highlighted_with_pygments_classes() -> None:
    fragments = highlight("async for i in gen(10):")
    styles = {style for style, _ in fragments}
    assert any("pygments.keyword" in style for style in styles)
    assert fragment_list_to_text(fragments) == "    async for i in gen(10):"


def test_prose_wraps_at_the_width() -> None:
    long = Explanation(key="timeout", title="t", what="word " * 40)
    lines = fragment_list_to_text(render_explanation(long, width=40)).splitlines()
    assert len(lines) > 4 and all(len(line) <= 40 for line in lines)


def test_topic_has_no_labels_and_shows_the_example() -> None:
    topic = find_topic("await")
    assert topic is not None
    text = fragment_list_to_text(render_explanation(explain_topic(topic)))
    assert text.startswith("» await\n") and "What happened" not in text
    assert "  Try it:\n      import asyncio" in text


def test_html_escapes_and_marks_code() -> None:
    page = render_explanation_html(FOR)
    assert "<code>async for</code>" in page
    assert "&lt;cell 4&gt;:2" in page and "<cell 4>" not in page
    assert ".ar-title" in page  # the shared CSS comes along


def test_view_repr_is_the_plain_text() -> None:
    view = ExplanationView(FOR)
    assert repr(view) == fragment_list_to_text(render_explanation(FOR))
    assert view._repr_html_() == render_explanation_html(FOR)
