"""What an exported timeline holds (issue 14): times inside the window, readable arguments,
the user's own waits, and any task name written validly in JSON, SVG and XML."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET

from asyncrepl.records import BlockReport, Location, Suspension
from asyncrepl.render.svg import render_svg, row_labels
from asyncrepl.render.timeline_html import render_timeline_page
from asyncrepl.render.trace import trace_json
from tests.render.test_svg import SVG, parse, texts
from tests.render.test_timeline import T0, task, timeline
from tests.render.test_trace import trace_events

SHELL_FILE = ET.__file__  # any file of Python's own library stands for the shell's


def test_every_time_is_inside_the_window() -> None:
    early = task(1, "early", created=-1.0, ended=0.5)
    late = task(2, "late", created=0.2, ended=None)
    tl = timeline({early: [(-0.5, 0.6), (0.3, 0.1)], late: [(0.9, 0.5)]}, start=0.0, end=1.0)
    span = (tl.end - tl.start) * 1e6
    for event in trace_events(tl)["traceEvents"]:
        if event["ph"] == "X":
            assert event["ts"] >= 0 and event["ts"] + event["dur"] <= span + 0.001, event


def test_a_cells_outcome_is_not_the_shells_record_of_it() -> None:
    cell = task(1, "cell [3]", "InteractiveShell.run_cell_async", ended=0.5, is_cell=True)
    cell = cell._replace(outcome="returned <ExecutionResult object at 7...>")
    worker = task(2, "worker", ended=0.5)._replace(outcome="returned 42")
    tl = timeline({cell: [(0.0, 0.1)], worker: [(0.1, 0.1)]}, end=1.0)
    lives = [e["args"] for e in trace_events(tl)["traceEvents"] if e.get("cat") == "task"]
    assert "ExecutionResult" not in json.dumps(lives)
    assert {"coroutine": "work", "state": "done", "outcome": "returned 42"} in lives
    assert "ExecutionResult" not in render_svg(tl)


def test_a_wait_in_the_shells_machinery_is_not_named() -> None:
    cell = task(1, "cell [3]", "InteractiveShell.run_cell_async", ended=0.5, is_cell=True)
    worker = task(2, "worker", ended=0.5)
    shell = Location(SHELL_FILE, 3, "interactiveshell.py:3", "await self.run_ast_nodes()")
    mine = Location("<cell 3>", 2, "<cell 3>:2", "await asyncio.sleep(0.3)")
    tl = timeline({cell: [(0.0, 0.1), (0.4, 0.1)], worker: [(0.0, 0.1), (0.4, 0.1)]}, end=1.0)
    tl = dataclasses.replace(
        tl,
        waits=(
            Suspension(1, T0 + 0.4, shell, "InteractiveShell.run_ast_nodes()"),
            Suspension(2, T0 + 0.4, mine, "asyncio.sleep"),
        ),
    )
    woken = [
        e["args"]["woken after waiting for"]
        for e in trace_events(tl)["traceEvents"]
        if "woken after waiting for" in e.get("args", {})
    ]
    assert woken == [
        "an await in the cell",
        "asyncio.sleep at <cell 3>:2: await asyncio.sleep(0.3)",
    ]


def test_any_task_name_is_valid_json_svg_and_xml() -> None:
    odd = task(1, "tab\tbell\x07nul\x00<&>\ud800", ended=0.1)
    tl = timeline({odd: [(0.0, 0.01)]}, end=0.1)
    assert json.loads(trace_json(tl.only([1])))["traceEvents"]
    root = parse(render_svg(tl))
    # written as the terminal writes it: every control character as its escape
    assert any(t.startswith("tab\\tbell\\x07nul\\x00<&>\\ud8") for t in texts(root))
    page = render_timeline_page(tl)
    ET.fromstring(page[page.index("<svg") : page.index("</svg>") + 6])


def test_tasks_of_one_coroutine_are_told_apart() -> None:
    coro = "DataPipeline.fetch_and_transform_records"
    a = task(11, "Task-11", coro, ended=0.5)
    b = task(12, "Task-12", coro, ended=0.5)
    c = task(13, "fetcher", ended=0.5)
    d = task(14, "fetcher", ended=0.5)
    labels = row_labels([a, b, c, d])
    assert len(set(labels.values())) == 4, labels
    assert labels[11].endswith("(Task-11)") and len(labels[11]) <= 28
    assert labels[13] == "fetcher #13"
    root = parse(render_svg(timeline({t: [(0.0, 0.1)] for t in (a, b, c, d)}, end=0.5)))
    assert {labels[11], labels[12], "fetcher #13", "fetcher #14"} <= set(texts(root))


def test_the_blocked_band_names_the_call_and_the_line() -> None:
    slow = task(1, "slow", ended=0.5)
    tl = timeline({slow: [(0.1, 0.3)]}, end=0.5)
    where = Location("<cell 4>", 2, "<cell 4>:2", "time.sleep(0.3)")
    block = BlockReport("AR201", "loop-blocked", T0 + 0.1, 0.3, "slow", where, "time.sleep(0.3)")
    root = parse(render_svg(dataclasses.replace(tl, blocks=(block,))))
    [band] = [el for el in root.iter(f"{SVG}rect") if el.get("fill-opacity")]
    tooltip = band.find(f"{SVG}title")
    assert tooltip is not None and tooltip.text == (
        "loop blocked 0.3 s by task 'slow', in time.sleep(0.3), at <cell 4>:2: time.sleep(0.3)"
    )
