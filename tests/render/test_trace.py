"""The Chrome Trace Event export: valid for Perfetto and chrome://tracing, one track per task."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from asyncrepl.durations import format_duration
from asyncrepl.instrument.recorder import Recorder
from asyncrepl.records import BlockReport, Location, Suspension
from asyncrepl.render import trace
from asyncrepl.render.rows import lifetime, task_label, task_outcome
from asyncrepl.render.timeline_html import export_timeline
from asyncrepl.render.trace import PID, trace_json, wait_text
from asyncrepl.windows import StepColumns, Timeline
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


def many_steps(count: int) -> Timeline:
    """One task taking ``count`` steps of 1 ms, 2 ms apart."""
    starts = [T0 + n * 0.002 for n in range(count)]
    ends = [start + 0.001 for start in starts]
    busy = task(1, "busy", ended=count * 0.002)
    return Timeline(T0, T0 + count * 0.002, (busy,), StepColumns([1] * count, starts, ends))


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


# -- the export against a plain statement of what it holds ------------------------------------


def reference_events(tl: Timeline) -> list[dict[str, Any]]:
    """Every event the trace of ``tl`` holds, in order, built the plain way: one dict per event,
    as the export built them before it wrote steps as text (commit 6158a78 and before). Times
    are rounded as ``"%.3f"`` writes them; a step cut at an edge, or blocking, has ``args``
    even when they are empty."""
    steps = list(StepColumns.of(tl.steps))
    labels = {t.id: task_label(t) for t in tl.tasks}
    woken = {(w.task_id, w.step_start): w for w in tl.waits}

    def cut(name: str, cat: str, tid: int, start: float, end: float) -> dict[str, Any]:
        start, end = max(start, tl.start), min(end, tl.end)
        ts, dur = round((start - tl.start) * 1e6, 3), round(max(end - start, 0.0) * 1e6, 3)
        return {"name": name, "cat": cat, "ph": "X", "ts": ts, "dur": dur, "pid": PID, "tid": tid}

    def meta(name: str, tid: int, args: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "ph": "M", "pid": PID, "tid": tid, "args": args}

    events = [meta("process_name", 0, {"name": "asyncio event loop"})]
    for order, t in enumerate(sorted(tl.tasks, key=lambda t: (t.created, t.id))):
        events += [
            meta("thread_name", t.id, {"name": f"{labels[t.id]} #{t.id}"}),
            meta("thread_sort_index", t.id, {"sort_index": order}),
        ]
        start, end = lifetime(t, tl)
        mine = [s for s in steps if s.task_id == t.id]
        if mine:  # the life encloses the task's steps
            start, end = min(start, mine[0].start), max(end, mine[-1].end)
        life = cut(f"{labels[t.id]} (alive)", "task", t.id, start, end)
        life["args"] = {"coroutine": t.coro, "state": t.state.value}
        if task_outcome(t):
            life["args"]["outcome"] = task_outcome(t)
        events.append(life)
    if any(s.task_id == 0 for s in steps):
        events += [
            meta("thread_name", 0, {"name": "callbacks"}),
            meta("thread_sort_index", 0, {"sort_index": len(tl.tasks)}),
        ]
    for s in steps:
        event = cut(labels.get(s.task_id, "callback"), "step", s.task_id, s.start, s.end)
        args: dict[str, Any] = {}
        blocking = s.end - s.start > tl.threshold
        if blocking:
            args.update(blocking=True, duration=format_duration(s.end - s.start))
            event["cname"] = "terrible"
        if (s.task_id, s.start) in woken:
            args["woken after waiting for"] = wait_text(woken[s.task_id, s.start])
        if args or blocking or s.start < tl.start or s.end > tl.end:
            event["args"] = args
        events.append(event)
    if tl.blocks:
        tid = max((t.id for t in tl.tasks), default=0) + 1
        events += [meta("thread_name", tid, {"name": "loop blocked"})]
        events += [meta("thread_sort_index", tid, {"sort_index": -1})]
    for b in tl.blocks:
        block = cut(f"{b.code} {b.slug}", "block", tid, b.started, b.started + b.duration)
        where = b.location.label if b.location else ""
        block["args"] = {"task": b.task_name or "", "where": where, "call": b.call, "fix": b.fix}
        block["cname"] = "terrible"
        events.append(block)
    return events


def differences(events: list[dict[str, Any]], expected: list[dict[str, Any]]) -> list[str]:
    """Where ``events`` differ from ``expected``, event by event, at most ten."""
    found = [
        f"event {n}: {got} != {want}"
        for n, (got, want) in enumerate(zip(events, expected, strict=False))
        if got != want
    ]
    if len(events) != len(expected):
        found.append(f"{len(events)} events, {len(expected)} expected")
    return found[:10]


class StepClock:
    """The recorder's clock: each reading 10 µs after the one before, and a step can move it
    on (``clock.now += 0.2``) to take that long without the test sleeping."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        self.now += 1e-5
        return self.now


async def gathered(clock: StepClock) -> None:
    """Tasks that wait for each other, one step that blocks the loop, a plain callback."""
    loop = asyncio.get_running_loop()
    gate: asyncio.Future[None] = loop.create_future()

    async def waiter() -> None:
        await gate  # its next step was woken by the gate
        for _ in range(3):
            await asyncio.sleep(0)

    async def blocker() -> None:
        await asyncio.sleep(0)
        clock.now += 0.2  # this step took 0.2 s: over the threshold
        gate.set_result(None)
        await asyncio.sleep(0)

    async def ticker(count: int) -> int:
        for _ in range(count):
            await asyncio.sleep(0)
        return count

    loop.call_soon(lambda: None)
    jobs = [waiter(), blocker(), ticker(5), ticker(2)]
    names = ["waiter", "blocker", "ticker", "short ticker"]
    await asyncio.gather(
        *(asyncio.create_task(job, name=n) for job, n in zip(jobs, names, strict=True))
    )


def recorded_windows() -> list[Timeline]:
    """A real recording of :func:`gathered`: whole, and cut inside a step at each end, with
    the waits and a block report."""
    clock = StepClock()
    rec = Recorder(clock=clock)
    loop = asyncio.new_event_loop()
    try:
        assert rec.attach(loop) is None
        loop.run_until_complete(gathered(clock))
    finally:
        rec.detach()
        loop.close()
    whole = rec.timeline()
    steps = list(StepColumns.of(whole.steps))
    first, last = steps[2], steps[-3]
    cut = rec.timeline((first.start + first.end) / 2, (last.start + last.end) / 2)
    slow = max(steps, key=lambda s: s.end - s.start)
    block = BlockReport("AR201", "loop-blocked", slow.start, slow.end - slow.start, "blocker")
    return [dataclasses.replace(rec.with_waits(tl), blocks=(block,)) for tl in (whole, cut)]


@pytest.mark.parametrize("window", ["whole", "cut at both ends"])
def test_an_export_of_a_real_recording_holds_every_event_and_field(
    tmp_path: Path, window: str
) -> None:
    tl = recorded_windows()[window != "whole"]
    events = json.loads(export_timeline(tl, tmp_path / "trace.json").read_bytes())["traceEvents"]
    expected = reference_events(tl)
    assert differences(events, expected) == []
    # what the recording holds: each kind of step that says more
    steps = [e for e in expected if e.get("cat") == "step"]
    assert len(steps) >= 12 and any(e["tid"] == 0 for e in steps)
    assert [e["args"]["duration"] for e in steps if "cname" in e] == ["0.2 s"]
    assert sum("woken after waiting for" in e.get("args", {}) for e in steps) >= 1
    if window != "whole":
        assert steps[0]["ts"] == 0 and "args" in steps[0] and "args" in steps[-1]
    assert validate({"traceEvents": events, "displayTimeUnit": "ms"}) == []


def test_the_comparison_sees_a_lost_step_or_field() -> None:
    expected = reference_events(recorded_windows()[0])
    step = next(n for n, e in enumerate(expected) if e.get("cat") == "step")
    assert differences(expected[:step] + expected[step + 1 :], expected)
    for field in ("dur", "name", "cat"):
        lost = [dict(e) for e in expected]
        del lost[step][field]
        assert differences(lost, expected) == [f"event {step}: {lost[step]} != {expected[step]}"]


def test_a_life_encloses_its_steps_wherever_they_lie_in_a_long_recording() -> None:
    # Each task's first and last steps are looked for a chunk at a time, from each end.
    count = 3 * trace._CHUNK
    spacing = 1.0 / count
    busy = task(1, "busy", created=0.0)
    late = task(2, "late", created=0.6)  # known after its first step, deep in the recording
    gone = task(3, "gone", created=0.0, ended=0.2)  # its last step ended long after
    owner = {trace._CHUNK + 7: 2, count - 9: 2, 11: 3, trace._CHUNK + 100: 3}
    ids = [owner.get(n, 1) for n in range(count)]
    starts = [T0 + n * spacing for n in range(count)]
    ends = [start + spacing / 2 for start in starts]
    tl = Timeline(T0, T0 + 1.0, (busy, late, gone), StepColumns(ids, starts, ends))
    events = trace_events(tl)["traceEvents"]
    assert differences(events, reference_events(tl)) == []
    lives = {e["tid"]: (e["ts"], e["dur"]) for e in events if e.get("cat") == "task"}
    assert lives[2][0] == pytest.approx((trace._CHUNK + 7) * spacing * 1e6, abs=0.001)
    assert sum(lives[3]) == pytest.approx((trace._CHUNK + 100.5) * spacing * 1e6, abs=0.001)


def test_text_that_utf8_cannot_hold_is_escaped_in_the_file(tmp_path: Path) -> None:
    # A lone surrogate (text decoded with errors="surrogateescape") in the source of a wait.
    worker = task(1, "café", ended=0.3)
    tl = timeline({worker: [(0.0, 0.01), (0.1, 0.01)]}, end=0.3)
    where = Location("<cell 3>", 2, "<cell 3>:2", "await read('\udcff')")
    tl = dataclasses.replace(tl, waits=(Suspension(1, T0 + 0.1, where, "a Future"),))
    written = export_timeline(tl, tmp_path / "trace.json").read_bytes()
    assert "café".encode() in written  # UTF-8 everywhere else
    [woken] = [e for e in json.loads(written)["traceEvents"] if e.get("cat") == "step"][1:]
    assert woken["args"] == {"woken after waiting for": "a Future at <cell 3>:2: " + where.source}
