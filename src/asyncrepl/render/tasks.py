"""What ``%tasks`` shows: the table of live tasks, one task in depth, and the tree of who
awaits whom, as formatted text for a terminal or as HTML for Jupyter."""

from __future__ import annotations

import collections
from collections.abc import Sequence

from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_to_text

from asyncrepl.durations import format_duration
from asyncrepl.instrument.snapshot import is_library_location
from asyncrepl.records import Location, Suspension, TaskInfo, TaskState
from asyncrepl.render.html import HtmlView, block_view, html_table
from asyncrepl.render.rows import printable, task_outcome

__all__ = [
    "order_tasks",
    "render_task_detail",
    "render_task_tree",
    "render_tasks",
    "tasks_table_view",
    "where_suspended",
]

_UNKNOWN = "Finished tasks are not known: asyncrepl is not recording this loop."
EMPTY = "No tasks are running. Start one with `asyncio.create_task(...)`."
HEADER = ("id", "name", "state", "coroutine", "where", "awaits", "age", "run", "steps")
_RIGHT = {"id", "age", "run", "steps"}
#: At most this many lines of "waited" in a task's detail: the newest.
_WAIT_RUNS = 5
#: How the table gives up width: narrow the flexible columns to these widths, or drop a column.
_FIT_PLAN: tuple[dict[str, int] | str, ...] = (
    {"awaits": 28, "where": 32, "coroutine": 14, "name": 14},
    "steps",
    "run",
    "age",
    "coroutine",
    {"awaits": 24, "where": 16, "name": 10},
    "state",
    {"awaits": 10, "where": 10, "name": 6},
)
_STATE_STYLE = {
    TaskState.RUNNING: "class:ar.run",
    TaskState.SUSPENDED: "class:ar.wait",
    TaskState.SCHEDULED: "class:ar.dim",
    TaskState.DONE: "class:ar.ok",
    TaskState.FAILED: "class:ar.error",
    TaskState.CANCELLED: "class:ar.warn",
}


def where_suspended(info: TaskInfo) -> Location | None:
    """The innermost frame of the user's own code in the await chain (not asyncio's); for a
    task running only library code (``create_task(asyncio.sleep(30))``), the user's line that
    created it.

    :param info: a task snapshot.
    """
    user = [loc for loc in info.frames if not is_library_location(loc)]
    if user:
        return user[-1]
    return info.created_at or (info.frames[-1] if info.frames else None)


def order_tasks(infos: Sequence[TaskInfo]) -> list[TaskInfo]:
    """The cell's task first, then by creation.

    :param infos: task snapshots.
    """
    return sorted(infos, key=lambda info: (not info.is_cell, info.created, info.id))


def _title(info: TaskInfo) -> str:
    return f"Task {info.name!r} (id {info.id})"


def _this_cell(info: TaskInfo) -> StyleAndTextTuples:
    """`` (this cell)`` for the task of the cell that runs now (the one asking)."""
    running = info.is_cell and info.state is TaskState.RUNNING
    return [("class:ar.cell", " (this cell)")] if running else []


def _name(info: TaskInfo) -> StyleAndTextTuples:
    return [("class:ar.name", printable(info.name)), *_this_cell(info)]


def _location(loc: Location | None, *, with_source: bool = True) -> StyleAndTextTuples:
    if loc is None:
        return [("class:ar.dim", "-")]
    style = "class:ar.cell" if loc.label.startswith("<cell") else "class:ar.location"
    source = [("", "  "), ("class:ar.code", loc.source)] if with_source and loc.source else []
    return [(style, loc.label), *source]


def _status(info: TaskInfo, *, cell_mark: bool = False) -> StyleAndTextTuples:
    if cell_mark and info.is_cell and info.state is TaskState.RUNNING:
        return [("class:ar.cell", "(this cell)")]
    if info.state.finished:
        return [(_STATE_STYLE[info.state], task_outcome(info) or info.state.value)]
    text = {TaskState.RUNNING: "running now", TaskState.SCHEDULED: "not started yet"}
    return [("", text.get(info.state, info.awaiting or "-"))]


def _row(info: TaskInfo, now: float | None, recorded: bool) -> list[StyleAndTextTuples]:
    def number(text: str) -> StyleAndTextTuples:
        return [("", text if recorded else "-")]

    end = info.ended if info.ended is not None else now
    age = format_duration(end - info.created) if end is not None and recorded else "-"
    where = where_suspended(info) if info.frames else info.created_at
    return [
        [("class:ar.dim", str(info.id))],
        [("class:ar.name", printable(info.name))],
        [(_STATE_STYLE[info.state], info.state.value)],
        [("class:ar.code", info.coro)],
        _location(where) if not info.state.finished else [("class:ar.dim", "-")],
        _status(info, cell_mark=True),
        [("", age)],
        number(format_duration(info.run_time)),
        number(str(info.steps)),
    ]


def _clip(fragments: StyleAndTextTuples, width: int) -> StyleAndTextTuples:
    """Cut formatted text to ``width`` characters, ending in ``...`` when cut."""
    if len(fragment_list_to_text(fragments)) <= width:
        return list(fragments)
    keep, out = max(0, width - 3), []
    for style, text, *_ in fragments:
        if keep <= 0:
            break
        out.append((style, text[:keep]))
        keep -= len(text[:keep])
    return [*out, ("class:ar.dim", "..."[: max(0, width)])]


def _fit(rows: list[list[StyleAndTextTuples]], width: int) -> dict[str, int]:
    """Each kept column's width: narrow the flexible columns, drop the numbers, narrow more,
    then drop more, until the table fits."""
    widths = {name: len(name) for name in HEADER}
    for row in rows:
        for name, cell in zip(HEADER, row, strict=True):
            widths[name] = max(widths[name], len(fragment_list_to_text(cell)))
    for step in _FIT_PLAN:
        over = sum(widths.values()) + 2 * (len(widths) - 1) - width
        if over <= 0:
            break
        if isinstance(step, str):
            widths.pop(step)
            continue
        while over > 0:  # narrow the widest flexible column, one character at a time
            slack = [n for n in step if widths[n] > step[n]]
            if not slack:
                break
            widths[max(slack, key=lambda n: widths[n] - step[n])] -= 1
            over -= 1
    return widths


def _lay_out(rows: list[list[StyleAndTextTuples]], width: int) -> StyleAndTextTuples:
    widths = _fit(rows, width)
    header: list[StyleAndTextTuples] = [[("class:ar.title", name)] for name in HEADER]
    out: StyleAndTextTuples = []
    for row in [header, *rows]:
        cells = [(n, c) for n, c in zip(HEADER, row, strict=True) if n in widths]
        for i, (name, cell) in enumerate(cells):
            clipped = _clip(cell, widths[name])
            pad = " " * (widths[name] - len(fragment_list_to_text(clipped)))
            last = i == len(cells) - 1
            out += (
                [("", pad), *clipped] if name in _RIGHT else [*clipped, ("", "" if last else pad)]
            )
            out.append(("", "\n" if last else "  "))
    return out


_Table = tuple[StyleAndTextTuples, list[list[StyleAndTextTuples]], StyleAndTextTuples]


def _table(
    live: Sequence[TaskInfo],
    finished: Sequence[TaskInfo] | None,
    now: float | None,
    recorded: bool,
    limit: int,
) -> _Table:
    ordered = order_tasks(live)
    shown = ordered[:limit]
    states = collections.Counter(info.state.value for info in live)
    parts = ", ".join(f"{n:,} {state}" for state, n in states.most_common())
    count = f"{len(live):,} task{'' if len(live) == 1 else 's'}"
    if not live:
        count = "No task is running"
    caption: StyleAndTextTuples = [("class:ar.title", count)]
    if parts:
        caption.append(("", f": {parts}"))
    done, notes = list(finished or ())[-limit:], []
    if finished is not None and not recorded:
        notes.append(_UNKNOWN)
    elif finished is not None:
        caption.append(("", f"; {len(done)} finished recently (at the end)"))
    if len(live) > limit:
        top = collections.Counter(info.coro for info in live).most_common(5)
        counts = ", ".join(f"{n:,} `{coro}`" for coro, n in top)
        caption.append(("", f"\nMost of them run: {counts}. The first {limit} are below."))
        notes.insert(0, f"... and {len(live) - limit:,} more. `%tasks NAME` shows one in depth.")
    rows = [_row(info, now, recorded) for info in [*shown, *done]]
    return caption, rows, [("class:ar.hint", "\n".join(notes))] if notes else []


def _nothing(live: Sequence[TaskInfo], finished: Sequence[TaskInfo] | None) -> bool:
    """Nothing to show but, at most, the cell that asks."""
    return not finished and all(i.is_cell and i.state is TaskState.RUNNING for i in live)


def render_tasks(
    live: Sequence[TaskInfo],
    *,
    finished: Sequence[TaskInfo] | None = None,
    now: float | None = None,
    recorded: bool = True,
    width: int = 100,
    limit: int = 40,
) -> StyleAndTextTuples:
    """The table of live tasks, the cell's task first, fitted to ``width`` columns.

    :param live: snapshots of the live tasks.
    :param finished: recently finished tasks (``%tasks -a``), oldest first; None to leave out.
    :param now: the recorder's clock, for ages; None shows ``-``.
    :param recorded: False when no recorder watched the loop: run time and steps show ``-``.
    :param width: the terminal's width.
    :param limit: rows shown before the rest is only counted.
    """
    if _nothing(live, finished):
        unknown = finished is not None and not recorded
        return [("class:ar.hint", EMPTY + ("\n" + _UNKNOWN if unknown else ""))]
    caption, rows, footer = _table(live, finished, now, recorded, limit)
    out: StyleAndTextTuples = [*caption, ("", "\n"), *_lay_out(rows, width)]
    return out + footer if footer else out[:-1]  # no newline at the end


def tasks_table_view(
    live: Sequence[TaskInfo],
    *,
    finished: Sequence[TaskInfo] | None = None,
    now: float | None = None,
    recorded: bool = True,
    width: int = 100,
    limit: int = 40,
) -> HtmlView:
    """:func:`render_tasks` as text and as an HTML ``<table>`` (same parameters)."""
    text = render_tasks(
        live, finished=finished, now=now, recorded=recorded, width=width, limit=limit
    )
    if _nothing(live, finished):
        return block_view(text)
    caption, rows, footer = _table(live, finished, now, recorded, limit)
    return HtmlView(text, html_table(HEADER, rows, caption=caption, footer=footer))


def _line(label: str, value: StyleAndTextTuples) -> StyleAndTextTuples:
    return [("class:ar.dim", f"  {label:<12} "), *value, ("", "\n")]


def _refs(ids: Sequence[int], known: dict[int, TaskInfo]) -> StyleAndTextTuples:
    names = [_title(known[i]) if i in known else f"task id {i}" for i in ids]
    return [("class:ar.name", ", ".join(names) or "-")]


def render_task_detail(
    info: TaskInfo,
    others: Sequence[TaskInfo] = (),
    *,
    now: float | None = None,
    recorded: bool = True,
    waits: Sequence[Suspension] = (),
    width: int = 100,
) -> StyleAndTextTuples:
    """One task in depth: its await chain with source lines, what it awaits, who awaits it,
    where it was created and by which task, and what it waited for before.

    :param info: the task.
    :param others: the other tasks, to name the ones it awaits, is awaited by, and its parent.
    :param now: the recorder's clock, for its age.
    :param recorded: False without a recorder: creation place, parent and run time unknown.
    :param waits: what it waited for so far, oldest first (from the recorder).
    :param width: lines are cut to this width.
    """
    known = {other.id: other for other in others}
    out: StyleAndTextTuples = [
        ("class:ar.title", _title(info)),
        ("", ": "),
        (_STATE_STYLE[info.state], info.state.value),
        *_this_cell(info),
        ("", "\n"),
    ]
    out += _line("coroutine", [("class:ar.code", info.coro)])
    out += _line("outcome" if info.state.finished else "awaits", _status(info))
    unknown: StyleAndTextTuples = [("class:ar.dim", "- (asyncrepl is not recording this loop)")]
    out += _line("created at", _location(info.created_at) if recorded else unknown)
    parent = [info.parent_id] if info.parent_id is not None else []
    out += _line("parent", _refs(parent, known) if recorded else unknown)
    if recorded:
        end = info.ended if info.ended is not None else now
        lived = format_duration(end - info.created) if end is not None else ""
        # A finished task's age stopped when it ended: "14 µs old" read as now.
        age = "" if not lived else f"lived {lived}, " if info.state.finished else f"{lived} old, "
        steps = f"{info.steps} step{'' if info.steps == 1 else 's'}"
        ran = f"{age}ran {format_duration(info.run_time)} on the loop in {steps}"
        out += _line("time", [("", ran)])
    out += _line("awaits tasks", _refs(info.awaiting_ids, known))
    awaited_by = [other.id for other in others if info.id in other.awaiting_ids]
    out += _line("awaited by", _refs(awaited_by, known))
    out += _waited(waits)
    if info.frames:
        out += [("class:ar.title", "Await chain, outermost first:"), ("", "\n")]
        for loc in info.frames:
            out += [("", "  "), *_location(loc, with_source=False), ("", "  ")]
            out += [("class:ar.dim", loc.function or "<module>"), ("", "  ")]
            out += [("class:ar.code", loc.source), ("", "\n")]
        out += [("", "  → "), *_status(info), ("", "\n")]
    return _clip_lines(out[:-1], width)


def _waited(waits: Sequence[Suspension]) -> StyleAndTextTuples:
    """What the task waited for before, one line for each run of waits at one place for one
    thing (``3 times at <cell 3>:4  await asyncio.sleep(delay)  for a Future``), newest last."""
    runs: list[tuple[Suspension, int]] = []
    for wait in waits:
        if runs and (runs[-1][0].location, runs[-1][0].awaited) == (wait.location, wait.awaited):
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((wait, 1))
    out: StyleAndTextTuples = []
    if len(runs) > _WAIT_RUNS:
        earlier = sum(count for _, count in runs[:-_WAIT_RUNS])
        out += _line("waited", [("class:ar.dim", f"{earlier} earlier waits, then:")])
        runs = runs[-_WAIT_RUNS:]
    for number, (wait, count) in enumerate(runs):
        times = "once" if count == 1 else f"{count} times"
        line: StyleAndTextTuples = [("", f"{times} for {wait.awaited}")]
        if wait.location is not None:
            line += [("", " at "), *_location(wait.location)]
        out += _line("waited" if number == 0 and not out else "", line)
    return out


def _clip_lines(fragments: StyleAndTextTuples, width: int) -> StyleAndTextTuples:
    lines: list[StyleAndTextTuples] = [[]]
    for style, text, *_ in fragments:
        for i, part in enumerate(text.split("\n")):
            if i:
                lines.append([])
            if part:
                lines[-1].append((style, part))
    out: StyleAndTextTuples = []
    for i, line in enumerate(lines):
        out += [*(_clip(line, width)), *([("", "\n")] if i < len(lines) - 1 else [])]
    return out


def render_task_tree(
    infos: Sequence[TaskInfo], *, width: int = 100, limit: int = 200
) -> StyleAndTextTuples:
    """Tasks nested under the task that awaits them (gather and TaskGroup children under
    their parent), else under the task that created them.

    :param infos: snapshots of the live tasks.
    :param width: lines are cut to this width.
    :param limit: lines shown before the rest is only counted.
    """
    if not infos:
        return [("class:ar.hint", EMPTY)]
    ordered = order_tasks(infos)
    known = {info.id: info for info in ordered}
    children: dict[int | None, list[TaskInfo]] = collections.defaultdict(list)
    placed: set[int] = set()
    for info in ordered:  # awaited first: that is what a task is waiting on right now
        for child in info.awaiting_ids:
            if child in known and child not in placed and child != info.id:
                children[info.id].append(known[child])
                placed.add(child)
    for info in ordered:
        if info.id not in placed:
            parent = info.parent_id if info.parent_id in known else None
            children[parent].append(info)
    lines: list[StyleAndTextTuples] = []
    seen: set[int] = set()

    def walk(parent: int | None, prefix: str) -> None:
        kids = [kid for kid in children.get(parent, []) if kid.id not in seen]
        for i, kid in enumerate(kids):
            seen.add(kid.id)
            last = i == len(kids) - 1
            branch = "" if parent is None else ("└─ " if last else "├─ ")
            lines.append([("class:ar.dim", prefix + branch), *_tree_node(kid)])
            walk(kid.id, prefix + ("" if parent is None else ("   " if last else "│  ")))

    walk(None, "")
    for info in ordered:  # tasks that await each other in a circle have no root: start one
        if info.id not in seen:
            seen.add(info.id)
            lines.append(_tree_node(info))
            walk(info.id, "")
    if len(lines) > limit:
        lines[limit:] = [[("class:ar.hint", f"... and {len(lines) - limit:,} more tasks.")]]
    out: StyleAndTextTuples = []
    for i, line in enumerate(lines):
        out += [*([("", "\n")] if i else []), *_clip(line, width)]
    return out


def _tree_node(info: TaskInfo) -> StyleAndTextTuples:
    return [
        *_name(info),
        ("", " "),
        ("class:ar.code", info.coro),
        ("", "  "),
        (_STATE_STYLE[info.state], info.state.value),
        ("class:ar.dim", ": "),
        *_status(info),
    ]
