"""A recorded timeline in the Chrome Trace Event Format, which Perfetto (ui.perfetto.dev) and
chrome://tracing open: one track per task, each step a slice, blocking steps flagged, and a
step that a wait's end woke says what the task waited for and where.

A long recording holds millions of steps, so the steps are written as text in chunks, straight
from the timeline's columns: one format per step, no dict and no JSON encoder per step. Only
the few steps that say more (blocking, woken from a wait, cut at the window's edge) are built as
objects and encoded."""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterator
from itertools import compress, count, repeat
from operator import mul, sub
from typing import Any

from asyncrepl.durations import format_duration
from asyncrepl.instrument.sites import is_user_file
from asyncrepl.records import StepColumns, Suspension, Timeline
from asyncrepl.render.rows import lifetime, task_label, task_outcome

__all__ = ["PID", "trace_json", "wait_text", "write_trace"]

#: One process: the event loop. Tracks (``tid``) are task ids; 0 holds plain callbacks.
PID = 1
#: A colour name from the trace viewer's palette: blocking steps stand out in red (the
#: others take the viewer's colour for their name).
_BLOCKING_COLOUR = "terrible"
#: Steps formatted and written at a time: a chunk's text is a few megabytes.
_CHUNK = 65_536


def write_trace(timeline: Timeline, write: Callable[[str], object]) -> None:
    """Write the trace as JSON text, piece by piece: ``{"traceEvents": [...],
    "displayTimeUnit": "ms"}``.

    Times are microseconds from the window's start, every one inside the window. Each task is
    a track named after it, with one slice for its life in the window and, nested in it, one
    ``"X"`` slice per step. A step has ``args`` only when it has something to say: that it
    blocked the loop (and how long), or what the task waited for before it.

    :param timeline: the recorded window.
    :param write: called with each piece of text, in order (``stream.write``).
    """
    steps = StepColumns.of(timeline.steps)
    write('{"displayTimeUnit":"ms","traceEvents":[')
    write(",".join(map(_encode, _track_events(timeline, steps))))
    if steps:
        for piece in _StepText(timeline).pieces(steps):
            write(",")
            write(piece)
    for event in _block_events(timeline):
        write(",")
        write(_encode(event))
    write("]}")


def trace_json(timeline: Timeline) -> str:
    """:func:`write_trace` as one string.

    :param timeline: the recorded window.
    """
    pieces: list[str] = []
    write_trace(timeline, pieces.append)
    return "".join(pieces)


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


def _encode(event: dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def _track_events(timeline: Timeline, steps: StepColumns) -> Iterator[dict[str, Any]]:
    """The process, a named track per task (and for plain callbacks), and each task's life."""
    yield _meta("process_name", 0, {"name": "asyncio event loop"})
    ids, starts, ends = steps.task_ids, steps.starts, steps.ends
    # A task's steps are in time order: its first start and its last end, without a loop here.
    first = dict(zip(reversed(ids), reversed(starts), strict=True))
    last = dict(zip(ids, ends, strict=True))
    for order, task in enumerate(sorted(timeline.tasks, key=lambda t: (t.created, t.id))):
        label = task_label(task)
        yield _meta("thread_name", task.id, {"name": f"{label} #{task.id}"})
        yield _meta("thread_sort_index", task.id, {"sort_index": order})
        start, end = lifetime(task, timeline)
        # The life slice must enclose its steps, or viewers draw them side by side.
        start = min(start, first.get(task.id, start))
        end = max(end, last.get(task.id, end))
        life = {"coroutine": task.coro, "state": task.state.value}
        if task_outcome(task):
            life["outcome"] = task_outcome(task)
        yield _slice(timeline, f"{label} (alive)", "task", task.id, start, end, life)
    if 0 in first:
        yield _meta("thread_name", 0, {"name": "callbacks"})
        yield _meta("thread_sort_index", 0, {"sort_index": len(timeline.tasks)})


class _Prefixes(dict[int, str]):
    """Task id -> the text of its plain step event up to the start time: every field but
    ``ts`` and ``dur``, made the first time the task is asked for."""

    def __init__(self, labels: dict[int, str]) -> None:
        super().__init__()
        self.labels = labels

    def __missing__(self, task_id: int) -> str:
        name = json.dumps(self.labels.get(task_id, "callback"), ensure_ascii=False)
        self[task_id] = prefix = (
            f'{{"name":{name},"cat":"step","ph":"X","pid":{PID},"tid":{task_id},"ts":'
        )
        return prefix


#: The rest of a plain step event: its start and duration in microseconds.
_TIMES = '{}{:.3f},"dur":{:.3f}}}'.format


class _StepText:
    """Step events as text. A plain step's event is its task's prefix and two numbers, made
    by C-level maps over the columns; the few others are encoded whole."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.prefixes = _Prefixes({task.id: task_label(task) for task in timeline.tasks})
        self.woken = {(wait.task_id, wait.step_start): wait for wait in timeline.waits}
        self.wait_words: dict[tuple[str, int], str] = {}  # (awaited, id(where)) -> JSON

    def pieces(self, steps: StepColumns) -> Iterator[str]:
        """The events of ``steps``, a chunk of steps at a time, joined by commas."""
        ids, starts, ends = steps.task_ids, steps.starts, steps.ends
        durations = steps.durations()
        special = self.special(steps)
        origin = self.timeline.start
        for low in range(0, len(ids), _CHUNK):
            high = min(low + _CHUNK, len(ids))
            events = list(
                map(
                    _TIMES,
                    map(self.prefixes.__getitem__, ids[low:high]),
                    map(mul, map(sub, starts[low:high], repeat(origin)), repeat(1e6)),
                    map(mul, durations[low:high], repeat(1e6)),
                )
            )
            chunk = special[bisect.bisect_left(special, low) : bisect.bisect_left(special, high)]
            for index in chunk:
                events[index - low] = self.text(ids[index], starts[index], ends[index])
            yield ",".join(events)

    def special(self, steps: StepColumns) -> list[int]:
        """Indices of the steps a plain event would misstate, in order: blocking ones, ones
        cut at the window's edges, and ones that a wait's end woke."""
        timeline = self.timeline
        special = set(compress(count(), map(timeline.threshold.__lt__, steps.durations())))
        special.update(compress(count(), map(timeline.start.__gt__, steps.starts)))
        special.update(compress(count(), map(timeline.end.__lt__, steps.ends)))
        starts, ids = steps.starts, steps.task_ids
        for task_id, step_start in self.woken:
            index = bisect.bisect_left(starts, step_start)
            while index < len(starts) and starts[index] == step_start:
                if ids[index] == task_id:
                    special.add(index)
                    break
                index += 1
        return sorted(special)

    def text(self, task_id: int, start: float, end: float) -> str:
        """One step's event as text, for a step :meth:`special` chose. A step that only says
        what woke it (most of them: a long run has a wait for each step) is its plain event
        with the words of that wait, made once for each place and thing waited for."""
        timeline = self.timeline
        plain = end - start <= timeline.threshold and timeline.start <= start <= end <= timeline.end
        wait = self.woken.get((task_id, start))
        if not plain or wait is None:
            return _encode(self.event(task_id, start, end))
        key = (wait.awaited, id(wait.location))  # the timeline keeps each location alive
        words = self.wait_words.get(key)
        if words is None:
            self.wait_words[key] = words = json.dumps(wait_text(wait), ensure_ascii=False)
        times = _TIMES(self.prefixes[task_id], (start - timeline.start) * 1e6, (end - start) * 1e6)
        return f'{times[:-1]},"args":{{"woken after waiting for":{words}}}}}'

    def event(self, task_id: int, start: float, end: float) -> dict[str, Any]:
        """One step's event as an object, with everything it has to say."""
        args: dict[str, Any] = {}
        blocking = end - start > self.timeline.threshold
        if blocking:
            args.update(blocking=True, duration=format_duration(end - start))
        wait = self.woken.get((task_id, start))
        if wait is not None:
            args["woken after waiting for"] = wait_text(wait)
        name = self.prefixes.labels.get(task_id, "callback")
        event = _slice(self.timeline, name, "step", task_id, start, end, args)
        if blocking:
            event["cname"] = _BLOCKING_COLOUR
        return event


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
