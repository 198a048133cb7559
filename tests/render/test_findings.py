"""Findings as formatted text: the line, the caret under the call, what, why, and the fix."""

from __future__ import annotations

from prompt_toolkit.formatted_text import fragment_list_to_text

from asyncrepl.analysis import RULES, check_source
from asyncrepl.records import Finding
from asyncrepl.render.findings import refusal_text, render_finding, render_findings

SOURCE = "import time\nasync def main():\n    if True:\n        time.sleep(2)\n"


def test_one_finding_reads_as_line_caret_what_why_fix() -> None:
    [finding] = check_source(SOURCE, "<cell 3>")
    text = fragment_list_to_text(render_finding(finding))
    assert text.splitlines() == [
        "⚠ <cell 3>, line 4: AR101 blocking-sleep",
        "    time.sleep(2)",
        "    ^^^^^^^^^^^^^",
        "  `time.sleep(2)` sleeps for 2 seconds, and it runs on the event loop.",
        f"  {RULES['AR101'].why}",
        "  Fix: await asyncio.sleep(2)",
    ]


def test_caret_follows_the_call_inside_the_line() -> None:
    source = "import time\nasync def main():\n    x = [1, time.sleep(0.5)]\n"
    [finding] = check_source(source, "f.py")
    lines = fragment_list_to_text(render_finding(finding)).splitlines()
    assert lines[1] == "    x = [1, time.sleep(0.5)]"
    assert lines[2] == "            ^^^^^^^^^^^^^^^"


def test_styles_mark_the_parts() -> None:
    [finding] = check_source(SOURCE, "<cell 3>")
    styles = dict((text, style) for style, text in render_finding(finding))
    assert styles["AR101 blocking-sleep"] == "class:ar.code"
    assert styles["await asyncio.sleep(2)"] == "class:ar.fix"
    assert any(style == "class:ar.caret" for style, _ in render_finding(finding))


def test_no_fix_and_no_line_are_left_out() -> None:
    finding = Finding("AR107", "blocking-thread-sync", "`with lock:` waits.", "f.py", 3, 4, 8)
    text = fragment_list_to_text(render_finding(finding))
    assert "Fix:" not in text and "^" not in text
    assert text.endswith(RULES["AR107"].why)


def test_several_findings_end_with_the_explain_hint() -> None:
    source = "import time\nasync def main():\n    time.sleep(1)\n    input()\n"
    findings = check_source(source, "<cell 1>")
    text = fragment_list_to_text(render_findings(findings))
    assert text.count("⚠ ") == 2
    assert "\n\n⚠ <cell 1>, line 4: AR106" in text
    assert text.endswith("\n(%explain for more)")
    plain = fragment_list_to_text(render_findings(findings, explain_hint=False))
    assert "%explain" not in plain and plain.endswith("await asyncio.to_thread(input)")
    assert render_findings([]) == []


def test_refusal_is_one_line() -> None:
    text = refusal_text(2)
    assert "\n" not in text
    assert "2 blocking calls" in text and "`%blocking warn`" in text
