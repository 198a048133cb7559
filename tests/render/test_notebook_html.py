"""The HTML that notebooks show (JupyterLab, classic Notebook, nbconvert's pages): the
%tasks table left-aligned, in monospace, without mid-word wrapping, even under the
notebooks' own table rules; %explain's code in monospace under its label. Checked in a real
browser (headless Chromium) when one is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from asyncrepl.explain import explain_topic
from asyncrepl.explain.topics import find_topic
from asyncrepl.render.explanation import render_explanation_html
from asyncrepl.render.style import CSS
from asyncrepl.render.tasks import tasks_table_view
from tests.render.test_tasks import CELL, WORKER

#: The notebooks' own rules for every table in an output, as JupyterLab 4 (and nbconvert's
#: lab template) and classic Notebook (nbconvert's classic template) ship them.
NOTEBOOK_CSS = """
.jp-RenderedHTMLCommon table { table-layout: fixed; border-collapse: collapse; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon tr {
  vertical-align: middle; padding: 0.5em; white-space: normal; font-family: sans-serif; }
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td,
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon th,
:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon tr { text-align: right; }
.rendered_html table { table-layout: fixed; }
.rendered_html td, .rendered_html th { text-align: right; white-space: normal; }
.jp-RenderedHTMLCommon pre, .rendered_html pre { font-family: sans-serif; }
"""


def table_html() -> str:
    view = tasks_table_view([CELL, WORKER], now=WORKER.created + 2.7, width=60)
    return view._repr_html_()


def explanation_html() -> str:
    topic = find_topic("gather")
    assert topic is not None
    return render_explanation_html(explain_topic(topic))


def test_the_table_rules_outweigh_the_notebooks() -> None:
    table = table_html()
    assert table.startswith('<div class="ar-scroll"><style>') and 'class="ar-table"' in table
    rule = re.search(
        r"\.ar-scroll table\.ar-table th, \.ar-scroll table\.ar-table td \{([^}]*)\}", CSS
    )
    assert rule is not None
    assert "text-align: left" in rule.group(1) and "white-space: nowrap" in rule.group(1)
    assert re.search(r"\.ar-scroll table\.ar-table td, [^{]*\{[^}]*monospace", CSS)


def test_explain_code_has_its_label_and_monospace() -> None:
    page = explanation_html()
    assert '<span class="ar-title">Try it:</span>' in page
    assert "<pre" in page and ".asyncrepl-explain pre" in CSS


BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")

PROBE = """
<script>
const out = {};
const td = document.querySelector('.ar-table td:nth-child(2)');
const cs = getComputedStyle(td);
out.align = cs.textAlign; out.wrap = cs.whiteSpace; out.font = cs.fontFamily;
out.rows = [...document.querySelectorAll('.ar-table tbody tr')].map(
  tr => [...tr.children].map(c => c.getClientRects().length));
const pre = document.querySelector('.asyncrepl-explain pre');
out.pre = getComputedStyle(pre).fontFamily;
document.body.setAttribute('data-probe', JSON.stringify(out));
</script>
"""


@pytest.mark.skipif(BROWSER is None, reason="no Chromium to render the page")
@pytest.mark.parametrize("frame", ["jp-RenderedHTMLCommon", "rendered_html"])
def test_a_browser_draws_the_table_and_the_code_as_meant(frame: str, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{NOTEBOOK_CSS}</style>"
        f"</head><body style='width: 500px'><div class='{frame}'>{table_html()}</div>"
        f"<div class='{frame}'>{explanation_html()}</div>{PROBE}</body></html>"
    )
    assert BROWSER is not None
    dom = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    found = re.search(r"data-probe=\"([^\"]*)\"", dom)
    assert found is not None, dom[:500]
    probe = json.loads(found.group(1).replace("&quot;", '"'))
    assert probe["align"] == "left" and probe["wrap"] == "nowrap"
    assert "monospace" in probe["font"] and "monospace" in probe["pre"]
    # Every cell is one line box: nothing wrapped, not even in a 500 px wide output.
    assert all(lines == 1 for row in probe["rows"] for lines in row), probe["rows"]
