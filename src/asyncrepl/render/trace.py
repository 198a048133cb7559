"""A recorded timeline in the Chrome Trace Event Format, which Perfetto (ui.perfetto.dev) and
chrome://tracing open: one track per task, each step a slice, blocking steps flagged, and a
step that a wait's end woke says what the task waited for and where.

A long recording holds millions of steps (2M: 195 MB of JSON), so the steps are written as
UTF-8 bytes, a small chunk at a time, straight from the timeline's columns: one bytes %-format
for the plain steps of a chunk, no dict, no JSON encoder and no text to encode per step. Only
the few steps that say more (blocking, woken from a wait, cut at the window's edge) are built
as objects and encoded, and they are found by bisecting the start times, not by passes over
every step. Formatting two floats per step is most of what is left: making the trace of the 2M
steps of benchmarks/timeline_scale.py took 1.3 s, now 0.7 s (Python 3.11)."""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterator
from itertools import compress, count, repeat
from operator import mul, sub
from typing import Any

from asyncrepl.durations import format_duration
from asyncrepl.instrument.sites import is_user_file
from asyncrepl.records import Suspension
from asyncrepl.render.rows import lifetime, task_label, task_outcome
from asyncrepl.windows import StepColumns, Timeline

__all__ = ["PID", "trace_json", "wait_text", "write_trace"]

#: One process: the event loop. Tracks (``tid``) are task ids; 0 holds plain callbacks.
PID = 1
#: A colour name from the trace viewer's palette: blocking steps stand out in red (the
#: others take the viewer's colour for their name).
_BLOCKING_COLOUR = "terrible"
#: Steps formatted and written at a time: a chunk's text (400 kB) stays in the processor's
#: cache while it is made (formatting 2M steps: 0.69 s; in chunks of 65,536 steps, 0.78 s).
_CHUNK = 4096


def write_trace(timeline: Timeline, write: Callable[[bytes], object]) -> None:
    """Write the trace as JSON in UTF-8, piece by piece: ``{"traceEvents": [...],
    "displayTimeUnit": "ms"}``.

    Times are microseconds from the window's start, every one inside the window. Each task is
    a track named after it, with one slice for its life in the window and, nested in it, one
    ``"X"`` slice per step. A step has ``args`` only when it has something to say: that it
    blocked the loop (and how long), or what the task waited for before it.

    :param timeline: the recorded window.
    :param write: called with each piece, in order (a binary ``stream.write``).
    """
    steps = StepColumns.of(timeline.steps)
    write(b'{"displayTimeUnit":"ms","traceEvents":[')
    write(b",".join(map(_encode, _track_events(timeline, steps))))
    if steps:
        for piece in _StepText(timeline).pieces(steps):
            write(piece)
    blocks = _block_events(timeline)
    if blocks:
        write(b"," + b",".join(map(_encode, blocks)))
    write(b"]}")


def trace_json(timeline: Timeline) -> str:
    """:func:`write_trace` as one string.

    :param timeline: the recorded window.
    """
    pieces: list[bytes] = []
    write_trace(timeline, pieces.append)
    return b"".join(pieces).decode()


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


def _encode(event: dict[str, Any]) -> bytes:
    return _json(event, separators=(",", ":"))


def _json(value: object, **options: Any) -> bytes:
    """``value`` as JSON in UTF-8, or with ``\\u`` escapes where UTF-8 cannot hold a character
    (a lone surrogate in a task's name)."""
    try:
        return json.dumps(value, ensure_ascii=False, **options).encode()
    except UnicodeEncodeError:
        return json.dumps(value, **options).encode()


def _track_events(timeline: Timeline, steps: StepColumns) -> Iterator[dict[str, Any]]:
    """The process, a named track per task (and for plain callbacks), and each task's life."""
    yield _meta("process_name", 0, {"name": "asyncio event loop"})
    tasks = sorted(timeline.tasks, key=lambda t: (t.created, t.id))
    lives = {task.id: lifetime(task, timeline) for task in tasks}
    # The life slice must enclose its steps, or viewers draw them side by side; the window's
    # edges cut it anyway, so only a life that starts or ends inside the window asks.
    inside = {key for key, (start, _) in lives.items() if start > timeline.start}
    first = _step_edges(steps, inside, last=False)
    inside = {key for key, (_, end) in lives.items() if end < timeline.end}
    last = _step_edges(steps, inside, last=True)
    for order, task in enumerate(tasks):
        label = task_label(task)
        yield _meta("thread_name", task.id, {"name": f"{label} #{task.id}"})
        yield _meta("thread_sort_index", task.id, {"sort_index": order})
        start, end = lives[task.id]
        start = min(start, first.get(task.id, start))
        end = max(end, last.get(task.id, end))
        life = {"coroutine": task.coro, "state": task.state.value}
        if task_outcome(task):
            life["outcome"] = task_outcome(task)
        yield _slice(timeline, f"{label} (alive)", "task", task.id, start, end, life)
    if 0 in steps.task_ids:
        yield _meta("thread_name", 0, {"name": "callbacks"})
        yield _meta("thread_sort_index", 0, {"sort_index": len(timeline.tasks)})


def _step_edges(steps: StepColumns, wanted: set[int], *, last: bool) -> dict[int, float]:
    """The start of the first step of each task in ``wanted`` (with ``last``, the end of its
    last step), for those that have steps.

    A task's steps are in time order, so its first is the first with its id. The steps are
    read a chunk at a time from the start (or the end) until every task is found: most are in
    the first chunk read, where a whole pass over two million steps took 65 ms each way."""
    ids, times = steps.task_ids, steps.ends if last else steps.starts
    lows = range(0, len(ids), _CHUNK)
    remaining, found = set(wanted), dict[int, float]()
    for low in reversed(lows) if last else lows:
        if not remaining:
            break
        part_ids, part_times = ids[low : low + _CHUNK], times[low : low + _CHUNK]
        if not last:  # a dict keeps a task's last value: read backwards, that is its first
            part_ids, part_times = part_ids[::-1], part_times[::-1]
        part = dict(zip(part_ids, part_times, strict=True))
        met = part.keys() & remaining
        remaining -= met
        found.update({task_id: part[task_id] for task_id in met})
    return found


class _Prefixes(dict[int, bytes]):
    """Task id -> its plain step event up to the start time: every field but ``ts`` and
    ``dur``, made the first time the task is asked for."""

    def __init__(self, labels: dict[int, str]) -> None:
        super().__init__()
        self.labels = labels

    def __missing__(self, task_id: int) -> bytes:
        name = _json(self.labels.get(task_id, "callback"))
        prefix = b'{"name":%s,"cat":"step","ph":"X","pid":%d,"tid":%d,"ts":' % (name, PID, task_id)
        self[task_id] = prefix
        return prefix


#: A plain step's event after its comma, given its task's prefix and its start and duration in
#: microseconds.
_EVENT = b',%s%.3f,"dur":%.3f}'


class _StepText:
    """Step events as bytes. A plain step's event is its task's prefix and two numbers; the
    few others are encoded whole.

    The plain steps between two others are formatted by one bytes %-format, ``_EVENT`` repeated
    once per step, of their fields laid side by side in one tuple by C-level maps over the
    columns: no object per step but the fields, no join. Formatting floats costs most of the
    time left, and bytes %-formatting is the quickest at it (str.format took half as long
    again, one %-format per step a tenth more)."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.prefixes = _Prefixes({task.id: task_label(task) for task in timeline.tasks})
        self.woken = {(wait.task_id, wait.step_start): wait for wait in timeline.waits}
        self.wait_words: dict[tuple[str, int], bytes] = {}  # (awaited, id(where)) -> JSON

    def pieces(self, steps: StepColumns) -> Iterator[bytes]:
        """The events of ``steps``, a chunk of steps at a time, each event after a comma."""
        ids, starts, ends = steps.task_ids, steps.starts, steps.ends
        special = self.special(steps)
        for chunk in range(0, len(ids), _CHUNK):
            end = min(chunk + _CHUNK, len(ids))
            here = special[bisect.bisect_left(special, chunk) : bisect.bisect_left(special, end)]
            parts: list[bytes] = []
            done = chunk  # the steps before it are in parts
            for index in here:
                event = self.text(ids[index], starts[index], ends[index])
                parts += (self.plain(steps, done, index), b"," + event)
                done = index + 1
            parts.append(self.plain(steps, done, end))
            yield b"".join(parts)

    def plain(self, steps: StepColumns, low: int, high: int) -> bytes:
        """The plain events of steps ``low`` to ``high`` (not included), each after a comma."""
        if low == high:  # between two steps that say more
            return b""
        fields: list[object] = [None] * (3 * (high - low))
        fields[0::3] = map(self.prefixes.__getitem__, steps.task_ids[low:high])
        starts = map(sub, steps.starts[low:high], repeat(self.timeline.start))
        fields[1::3] = map(mul, starts, repeat(1e6))
        fields[2::3] = map(mul, steps.durations()[low:high], repeat(1e6))
        return _EVENT * (high - low) % tuple(fields)

    def special(self, steps: StepColumns) -> list[int]:
        """Indices of the steps a plain event would misstate, in order: ones cut at the
        window's edges, blocking ones, and ones that a wait's end woke.

        The steps are in start order, so those cut at the start are the first few and those
        cut at the end start within the longest step of the window's end: two bisections. One
        pass finds the longest step; only when it blocked are the blocking ones looked for."""
        timeline = self.timeline
        starts, ends, ids = steps.starts, steps.ends, steps.task_ids
        durations = steps.durations()
        longest = max(durations)
        special = set(range(bisect.bisect_left(starts, timeline.start)))
        # Twice the longest: a duration is rounded, and the margin costs a few steps at most.
        tail = bisect.bisect_left(starts, timeline.end - 2 * longest)
        special.update(compress(count(tail), map(timeline.end.__lt__, ends[tail:])))
        if longest > timeline.threshold:
            special.update(compress(count(), map(timeline.threshold.__lt__, durations)))
        for task_id, step_start in self.woken:
            index = bisect.bisect_left(starts, step_start)
            while index < len(starts) and starts[index] == step_start:
                if ids[index] == task_id:
                    special.add(index)
                    break
                index += 1
        return sorted(special)

    def text(self, task_id: int, start: float, end: float) -> bytes:
        """One step's event, for a step :meth:`special` chose. A step that only says what
        woke it (most of them: a long run has a wait for each step) is its plain event with
        the words of that wait, made once for each place and thing waited for."""
        timeline = self.timeline
        plain = end - start <= timeline.threshold and timeline.start <= start <= end <= timeline.end
        wait = self.woken.get((task_id, start))
        if not plain or wait is None:
            return _encode(self.event(task_id, start, end))
        key = (wait.awaited, id(wait.location))  # the timeline keeps each location alive
        words = self.wait_words.get(key)
        if words is None:
            self.wait_words[key] = words = _json(wait_text(wait))
        fields = (self.prefixes[task_id], (start - timeline.start) * 1e6, (end - start) * 1e6)
        event = _EVENT[1:-1] % fields  # without its comma and closing brace
        return b'%s,"args":{"woken after waiting for":%s}}' % (event, words)

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
