"""The Chrome Trace Event export: valid for Perfetto and chrome://tracing, one track per task."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from asyncrepl.records import StepColumns, Suspension, Timeline
from asyncrepl.render import trace
from asyncrepl.render.trace import PID, trace_json
from tests.render.test_timeline import T0, task, timeline, tutorial_timeline

#: The fields the Trace Event Format requires of each kind of event we write.
REQUIRED = {
    "X": {"name": str, "ph": str, "ts": (int, float), "dur": (int, float), "pid": int, "tid": int},
    "M": {"name": str, "ph": str, "pid": int, "tid": int, "args": dict},
}
#: Colour names the trace viewer knows (a subset of its reserved palette).
CNAMES = {"good", "bad", "terrible", "thread_state_running", "generic_work"}


def trace_events(timeline: Any) -> dict[str, Any]:
    """The trace of ``timeline``, parsed back from the JSON text the export writes."""
    loaded: dict[str, Any] = json.loads(trace_json(timeline))
    return loaded


def validate(trace: dict[str, Any]) -> list[str]:
    """Every problem that would stop a viewer from loading the trace, as a list of lines."""
    problems = []
    if set(trace) - {"traceEvents", "displayTimeUnit", "otherData"}:
        problems.append(f"unknown top-level keys {set(trace)}")
    if trace.get("displayTimeUnit") not in ("ms", "ns"):
        problems.append("displayTimeUnit must be 'ms' or 'ns'")
    events = trace.get("traceEvents")
    if not isinstance(events, list):
        return [*problems, "traceEvents must be a list"]
    for number, event in enumerate(events):
        fields = REQUIRED.get(event.get("ph"))
        if fields is None:
            problems.append(f"event {number}: phase {event.get('ph')!r} is not one we write")
            continue
        for name, kind in fields.items():
            if not isinstance(event.get(name), kind) or isinstance(event.get(name), bool):
                problems.append(f"event {number}: {name} missing or not {kind}")
        if event["ph"] == "X" and event.get("dur", 0) < 0:
            problems.append(f"event {number}: negative duration")
        named = event["ph"] == "M" and event["name"] in ("thread_name", "process_name")
        if named and not isinstance(event["args"].get("name"), str):
            problems.append(f"event {number}: {event['name']} without args.name")
        if "cname" in event and event["cname"] not in CNAMES:
            problems.append(f"event {number}: unknown cname {event['cname']!r}")
    if problems:
        return problems
    return nesting_problems(events)


def nesting_problems(events: list[dict[str, Any]]) -> list[str]:
    """Slices on one track must nest or follow each other, or viewers misdraw them."""
    problems = []
    tracks: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for event in events:
        if event["ph"] == "X":
            tracks[event["tid"]].append((event["ts"], event["ts"] + event["dur"]))
    for tid, spans in tracks.items():
        open_ends: list[float] = []
        for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            if open_ends and end > open_ends[-1] + 1e-6:
                problems.append(f"track {tid}: slice {start}-{end} overlaps its parent")
            open_ends.append(end)
    return problems


def steps_of(trace: dict[str, Any], tid: int) -> list[dict[str, Any]]:
    return [e for e in trace["traceEvents"] if e.get("cat") == "step" and e["tid"] == tid]


def test_the_tutorial_trace_is_valid_and_has_one_named_track_per_task() -> None:
    tl = tutorial_timeline()
    trace = json.loads(trace_json(tl))
    assert validate(trace) == []
    names = {
        e["tid"]: e["args"]["name"] for e in trace["traceEvents"] if e["name"] == "thread_name"
    }
    assert names == {
        1: "<cell 2> (Task-1) #1",
        2: "print_values (Task-2) #2",
        3: "print_values (Task-3) #3",
    }
    assert {e["pid"] for e in trace["traceEvents"]} == {PID}


def test_steps_are_complete_events_in_microseconds_from_the_start() -> None:
    trace = trace_events(tutorial_timeline())
    first = [e["ts"] for e in steps_of(trace, 2)]
    second = [e["ts"] for e in steps_of(trace, 3)]
    assert first == pytest.approx([1100, 200_000, 400_000, 600_000], abs=1)
    assert second == pytest.approx([1300, 300_000, 601_200], abs=1)
    assert [e["dur"] for e in steps_of(trace, 2)] == pytest.approx([100] * 4)
    assert sum(e.get("cat") == "step" for e in trace["traceEvents"]) == 9


def test_blocking_steps_are_flagged_and_coloured() -> None:
    slow = task(1, "slow", created=0.0, ended=0.5)
    trace = trace_events(timeline({slow: [(0.0, 0.01), (0.1, 0.3)]}, end=0.5))
    assert validate(trace) == []
    quick, blocking = steps_of(trace, 1)
    assert "args" not in quick and blocking["args"]["blocking"] is True
    assert blocking["cname"] == "terrible" and "cname" not in quick
    assert blocking["args"]["duration"] == "0.3 s"


def test_callbacks_and_blocks_have_their_own_tracks() -> None:
    one = task(1, "job", created=0.0, ended=1.0)
    tl = timeline({one: [(0.0, 0.01)]}, end=1.0, callbacks=[(0.5, 0.001)], blocks=[(0.2, 0.3)])
    trace = trace_events(tl)
    assert validate(trace) == []
    names = {
        e["args"]["name"]: e["tid"] for e in trace["traceEvents"] if e["name"] == "thread_name"
    }
    assert names["callbacks"] == 0
    blocks = [e for e in trace["traceEvents"] if e.get("cat") == "block"]
    assert [(b["tid"], b["ts"], b["dur"], b["name"]) for b in blocks] == [
        (
            names["loop blocked"],
            pytest.approx(200_000),
            pytest.approx(300_000),
            "AR201 loop-blocked",
        )
    ]
    assert all(tid >= 0 for tid in names.values())


def test_the_validator_can_fail() -> None:
    bad = {
        "traceEvents": [
            {"name": "a", "ph": "X", "ts": 0, "dur": 10, "pid": 1, "tid": 1},
            {"name": "b", "ph": "X", "ts": 5, "dur": 10, "pid": 1, "tid": 1},
            {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {}},
            {"name": "c", "ph": "X", "ts": "0", "pid": 1, "tid": 1},
        ],
        "displayTimeUnit": "s",
    }
    problems = validate(bad)
    assert len(problems) == 4, problems  # the unit, args.name, ts and dur of "c"
    del bad["traceEvents"][2:]
    bad["displayTimeUnit"] = "ms"
    assert validate(bad) == ["track 1: slice 5-15 overlaps its parent"]


def test_a_long_recording_says_the_same_of_every_step_across_its_chunks() -> None:
    # Steps are written a chunk at a time; the ones that say more sit on a chunk's edges.
    count = 2 * trace._CHUNK + 10
    ids = [1 + i % 3 for i in range(count)]
    starts = [T0 - 0.0005 + i * 0.002 for i in range(count)]  # the first began before the window
    ends = [start + 0.001 for start in starts]
    slow = {trace._CHUNK - 1, trace._CHUNK, 2 * trace._CHUNK}
    for index in sorted(slow):
        ends[index] = starts[index] + 0.2
        starts[index + 1 :] = [s + 0.2 for s in starts[index + 1 :]]
        ends[index + 1 :] = [e + 0.2 for e in ends[index + 1 :]]
    woken_at = trace._CHUNK + 1
    tasks = tuple(task(n, f"t{n}", ended=ends[-1] - T0) for n in (1, 2, 3))
    tl = Timeline(
        start=T0,
        end=ends[-1] - 0.0001,  # and the last ends after it
        tasks=tasks,
        steps=StepColumns(ids, starts, ends),
        waits=(Suspension(ids[woken_at], starts[woken_at], None, "a Future"),),
    )
    trace_ = trace_events(tl)
    assert validate(trace_) == []
    steps = [e for e in trace_["traceEvents"] if e.get("cat") == "step"]
    assert len(steps) == count
    assert [e["tid"] for e in steps] == ids
    assert {i for i, e in enumerate(steps) if e.get("args", {}).get("blocking")} == slow
    assert all(steps[i]["cname"] == "terrible" and steps[i]["dur"] > 199_000 for i in slow)
    assert [i for i, e in enumerate(steps) if "woken after waiting for" in e.get("args", {})] == [
        woken_at
    ]
    assert steps[0]["ts"] == 0 and steps[0]["dur"] == pytest.approx(500)  # cut at the start
    assert steps[-1]["ts"] + steps[-1]["dur"] == pytest.approx((tl.end - tl.start) * 1e6)
    assert steps[5]["ts"] == pytest.approx((starts[5] - T0) * 1e6, abs=0.001)
    assert steps[5]["dur"] == pytest.approx(1000, abs=0.001)
