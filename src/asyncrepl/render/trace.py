"""A recorded timeline in the Chrome Trace Event Format, which Perfetto (ui.perfetto.dev) and
chrome://tracing open: one track per task, each step a slice, blocking steps flagged, and a
step that a wait's end woke says what the task waited for and where."""

from __future__ import annotations

import json
from typing import Any

from asyncrepl.durations import format_duration
from asyncrepl.instrument.sites import is_user_file
from asyncrepl.records import Suspension, Timeline
from asyncrepl.render.timeline import lifetime, steps_by_task, task_label, task_outcome

__all__ = ["PID", "trace_events", "trace_json", "wait_text"]

#: One process: the event loop. Tracks (``tid``) are task ids; 0 holds plain callbacks.
PID = 1
#: Colour names from the trace viewer's palette: blocking steps stand out in red.
_BLOCKING_COLOUR = "terrible"
_STEP_COLOUR = "good"


def trace_events(timeline: Timeline) -> dict[str, Any]:
    """The trace as a JSON-ready dict: ``{"traceEvents": [...], "displayTimeUnit": "ms"}``.

    Times are microseconds from the window's start. Each task is a track named after it, with
    one slice for its life in the window and, nested in it, one ``"X"`` slice per step.

    :param timeline: the recorded window.
    """
    events: list[dict[str, Any]] = [_meta("process_name", 0, {"name": "asyncio event loop"})]
    grouped = steps_by_task(timeline.steps)
    for order, task in enumerate(sorted(timeline.tasks, key=lambda t: (t.created, t.id))):
        label = task_label(task)
        events.append(_meta("thread_name", task.id, {"name": f"{label} #{task.id}"}))
        events.append(_meta("thread_sort_index", task.id, {"sort_index": order}))
        steps = grouped.get(task.id, [])
        start, end = lifetime(task, timeline)
        # The life slice must enclose its steps, or viewers draw them side by side.
        start = min([start, *(s.start for s in steps)])
        end = max([end, *(s.end for s in steps)])
        life = {"coroutine": task.coro, "state": task.state.value}
        if task_outcome(task):
            life["outcome"] = task_outcome(task)
        events.append(_slice(timeline, f"{label} (alive)", "task", task.id, start, end, life))
    if 0 in grouped:
        events.append(_meta("thread_name", 0, {"name": "callbacks"}))
        events.append(_meta("thread_sort_index", 0, {"sort_index": len(timeline.tasks)}))
    labels = {task.id: task_label(task) for task in timeline.tasks}
    woken = {(wait.task_id, wait.step_start): wait for wait in timeline.waits}
    for step in timeline.steps:
        blocking = step.duration > timeline.threshold
        name = labels.get(step.task_id, "callback")
        args: dict[str, Any] = {"blocking": blocking}
        if blocking:
            args["duration"] = format_duration(step.duration)
        wait = woken.get((step.task_id, step.start))
        if wait is not None:
            args["woken after waiting for"] = wait_text(wait)
        event = _slice(timeline, name, "step", step.task_id, step.start, step.end, args)
        event["cname"] = _BLOCKING_COLOUR if blocking else _STEP_COLOUR
        events.append(event)
    events += _block_events(timeline)
    return {"traceEvents": events, "displayTimeUnit": "ms"}


def wait_text(wait: Suspension) -> str:
    """``"a Future at <cell 3>:4: await asyncio.sleep(delay)"``: what a task waited for, where.

    :param wait: one wait.
    """
    where = wait.location
    if where is None:
        return wait.awaited
    if not is_user_file(where.filename):
        # The task's coroutine is the shell's (a cell runs in run_cell_async): what it
        # awaited there is the shell's machinery, not the user's await.
        return "an await in the cell"
    return f"{wait.awaited} at {where.label}" + (f": {where.source}" if where.source else "")


def trace_json(timeline: Timeline) -> str:
    """:func:`trace_events` as JSON text.

    :param timeline: the recorded window.
    """
    return json.dumps(trace_events(timeline), ensure_ascii=False, separators=(",", ":"))


def _block_events(timeline: Timeline) -> list[dict[str, Any]]:
    if not timeline.blocks:
        return []
    # A track of its own, after every task's: the viewers want non-negative thread ids.
    tid = max((task.id for task in timeline.tasks), default=0) + 1
    events = [
        _meta("thread_name", tid, {"name": "loop blocked"}),
        _meta("thread_sort_index", tid, {"sort_index": -1}),
    ]
    for block in timeline.blocks:
        args = {
            "task": block.task_name or "",
            "where": block.location.label if block.location else "",
            "call": block.call,
            "fix": block.fix,
        }
        end = block.started + block.duration
        name = f"{block.code} {block.slug}"
        event = _slice(timeline, name, "block", tid, block.started, end, args)
        event["cname"] = _BLOCKING_COLOUR
        events.append(event)
    return events


def _meta(name: str, tid: int, args: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "ph": "M", "pid": PID, "tid": tid, "args": args}


def _slice(
    timeline: Timeline,
    name: str,
    category: str,
    tid: int,
    start: float,
    end: float,
    args: dict[str, Any],
) -> dict[str, Any]:
    # A step that began before the window (or ends after it) is cut at its edges, so that
    # every time is inside the window, as the viewers expect.
    start, end = max(start, timeline.start), min(end, timeline.end)
    return {
        "name": name,
        "cat": category,
        "ph": "X",
        "ts": round((start - timeline.start) * 1e6, 3),
        "dur": round(max(end - start, 0.0) * 1e6, 3),
        "pid": PID,
        "tid": tid,
        "args": args,
    }
