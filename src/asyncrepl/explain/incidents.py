"""Explains what the session's journal holds: an exception, a warning, a static finding
(``AR1xx``), a run-time block report (``AR2xx``) or a note asyncrepl printed."""

from __future__ import annotations

import linecache
import re
from collections.abc import Sequence
from dataclasses import replace

from asyncrepl.analysis.catalogue import RULES
from asyncrepl.durations import format_duration
from asyncrepl.explain import callfixes
from asyncrepl.explain.catalogue import entry
from asyncrepl.explain.entries import Entry, Explanation
from asyncrepl.explain.matching import (
    UserFrame,
    apply_entry,
    explain_exception,
    explain_warning,
    user_frames,
)
from asyncrepl.explain.rewrite import (
    RewriteFn,
    await_calls,
    enclosing_def_async,
    without_comments,
)
from asyncrepl.records import (
    BlockReport,
    Finding,
    Incident,
    IncidentKind,
    Location,
    LocationLabeler,
    default_labeler,
)

__all__ = [
    "entry_for_rule",
    "explain_block",
    "explain_finding",
    "explain_incident",
    "explain_unknown",
]


#: Static codes that are not blocking calls, and the entry that explains each.
_NOT_BLOCKING = {
    "coroutine-not-awaited": "unawaited-coroutine",
    "nested-event-loop": "asyncio-run-in-loop",
    "task-not-kept": "task-garbage-collected",
}


def entry_for_rule(slug: str, call: str = "") -> Entry:
    """The catalogue entry that explains a finding's slug (and call).

    :param slug: ``"blocking-sleep"``.
    :param call: the call as written, ``"sleep(1)"``.
    """
    sleepy = "sleep" in slug or re.match(r"(time\.)?sleep\(", call) is not None
    found = entry(_NOT_BLOCKING.get(slug) or ("time-sleep" if sleepy else "blocking-call"))
    assert found is not None  # both are in the catalogue; a test checks it
    return found


def _asyncio_entry() -> Entry:
    found = entry("many-tasks-at-once")
    assert found is not None  # in the catalogue; a test checks it
    return found


def _with_rule(base: Explanation, code: str, slug: str) -> Explanation:
    rule = RULES.get(code)  # run-time codes (AR2xx) have no static rule
    title = f"{code} {slug}: {(rule.title if rule else '') or base.title}"
    why = (rule.why if rule else "") or base.why
    return replace(base, title=title, why=why)


def explain_finding(finding: Finding, labeler: LocationLabeler = default_labeler) -> Explanation:
    """Explain a line the static check flagged before the cell ran.

    :param finding: the finding (``AR101 blocking-sleep`` ...).
    :param labeler: turns a cell's filename into ``<cell 3>``.
    """
    item = entry_for_rule(finding.slug, finding.source_line.strip())
    label = labeler(finding.filename) or finding.filename
    where = Location(
        finding.filename, finding.line, f"{label}:{finding.line}", finding.source_line.strip()
    )
    base = apply_entry(item, UserFrame(where, {}, (finding.source_line,)))
    if finding.fix:
        base = replace(base, code=_fixed_line(finding.source_line, finding), code_is_example=False)
    return _with_rule(replace(base, what=finding.message or base.what), finding.code, finding.slug)


def _fixed_line(line: str, finding: Finding) -> str:
    """The flagged line with the call (``col`` to ``end_col``) replaced by the fix."""
    if 0 <= finding.col < finding.end_col <= len(line):
        fixed = line[: finding.col] + finding.fix + line[finding.end_col :]
        return without_comments(fixed.replace("await await ", "await ").rstrip())
    return finding.fix


def explain_block(report: BlockReport) -> Explanation:
    """Explain a time the event loop was blocked, seen while the code ran.

    :param report: the watchdog's report (``AR201 loop-blocked`` ...).
    """
    item = _asyncio_entry() if report.in_asyncio else entry_for_rule(report.slug, report.call)
    who = f"task '{report.task_name}'" if report.task_name else "a callback"
    what = f"The event loop was blocked for {format_duration(report.duration)} by {who}"
    what += f", in `{report.call}`." if report.call else "."
    where = report.location
    frame = UserFrame(where, {}, (where.source,)) if where is not None else None
    if frame is not None and where is not None:
        frame = UserFrame(where._replace(lineno=1), {}, (where.source,))
    base = apply_entry(item, frame)
    if where is not None:
        base = replace(base, where=where)
    if report.fix:
        fixed = where.source.replace(report.call, report.fix) if where and report.call else ""
        fixed = without_comments(fixed)
        base = replace(base, code=fixed or report.fix, code_is_example=False)
    return _with_rule(replace(base, what=what), report.code, report.slug)


def explain_unknown(exc: BaseException, labeler: LocationLabeler, source: str) -> Explanation:
    """An error the catalogue does not know: say so, and still show where it happened.

    :param exc: the exception.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param source: the cell's source.
    """
    frames = user_frames(exc.__traceback__, labeler, source)
    text = str(exc)
    return Explanation(
        key="unknown",
        title=f"{type(exc).__name__}: {text}" if text else type(exc).__name__,
        what="This error does not look specific to asyncio, so the catalogue has nothing "
        "more to add than Python's own message.",
        where=frames[-1].location if frames else None,
    )


def explain_incident(
    incident: Incident, labeler: LocationLabeler = default_labeler
) -> Explanation | None:
    """Explain one entry of the session's journal.

    :param incident: what went wrong (or what asyncrepl stepped in for).
    :param labeler: turns a cell's filename into ``<cell 3>``.
    """
    payload = incident.payload
    if isinstance(payload, Finding):
        return explain_finding(payload, labeler)
    if isinstance(payload, BlockReport):
        return explain_block(payload)
    if isinstance(payload, BaseException):
        return _exception(incident, payload, labeler)
    if incident.code and entry(incident.code) is not None:
        return _hint(incident)
    if isinstance(payload, str):
        found = explain_warning(payload, RuntimeWarning, source=incident.source)
        if found is not None and found.where is not None and incident.cell:
            where = found.where
            label = f"<cell {incident.cell}>:{where.lineno}"
            return replace(found, where=where._replace(label=label))
        return found
    return None


def _exception(incident: Incident, exc: BaseException, labeler: LocationLabeler) -> Explanation:
    """An error; a background task's error that nobody awaited is also that: say both."""
    found = explain_exception(exc, labeler=labeler, source=incident.source)
    if found is not None:
        return found
    key = incident.code
    if not key and incident.kind is IncidentKind.TASK_EXCEPTION:
        key = "task-exception-never-retrieved"
    item = entry(key) if key else None
    if item is None:
        return explain_unknown(exc, labeler, incident.source)
    frames = user_frames(exc.__traceback__, labeler, incident.source)
    raised = f"The task raised `{type(exc).__name__}: {exc}`"
    made = incident.where
    if made is not None and item.key == "task-exception-never-retrieved":
        lines = tuple(line.rstrip("\n") for line in linecache.getlines(made.filename))
        if 0 < made.lineno <= len(lines):
            at = f" at {frames[-1].location.label}" if frames else ""
            found = apply_entry(
                item,
                UserFrame(made, {}, lines),
                details=(f"{raised}{at}.",),
                rewrite=callfixes.await_the_task(type(exc).__name__),
            )
            return found
    found = apply_entry(item, frames[-1] if frames else None)
    return replace(found, details=(f"{raised}.",))


def _hint(incident: Incident) -> Explanation:
    """A note asyncrepl printed: the payload is the expression as written (``main()``), or,
    for a coroutine made inside a line, that line's :class:`Location` (``function`` names
    the coroutine function)."""
    item = entry(incident.code)
    assert item is not None  # checked by the caller
    payload = incident.payload
    if isinstance(payload, Location):
        lines = tuple(line.rstrip("\n") for line in linecache.getlines(payload.filename))
        if not 0 < payload.lineno <= len(lines):
            payload, lines = payload._replace(lineno=1), (payload.source,)
        made = UserFrame(payload, {}, lines)
        found = apply_entry(item, made, rewrite=_await_calls_of(payload.function))
        return replace(found, where=made.location)
    written = str(payload or "")
    label = f"<cell {incident.cell}>" if incident.cell else "your cell"
    where = Location("<cell>", 1, label, written) if written else None
    frame = UserFrame(where, {}, (written,)) if where is not None else None
    fixer = _await_it if incident.code == "unawaited-coroutine" else None
    return apply_entry(item, frame, rewrite=fixer)


def _await_calls_of(name: str) -> RewriteFn:
    """The line with ``await`` before the call of ``name``; in a plain ``def``, that ``def``
    made ``async def`` too (``await`` works only there)."""

    def fix(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
        awaited = await_calls(lines, index, names, only=name)
        if awaited is None:
            return None
        edited = [*lines[:index], awaited, *lines[index + 1 :]]
        return enclosing_def_async(edited, index, names) or awaited.strip()

    return fix


def _await_it(lines: Sequence[str], index: int, names: dict[str, object]) -> str | None:
    line = lines[index].strip()
    return None if not line or line.startswith("await ") else f"await {line}"
