"""Turning the samples of one blocked step into one :class:`~asyncrepl.records.BlockReport`:
which line the time went to, the call there, the code (``AR201``/``AR202``) and the fix."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TypeVar

from asyncrepl.records import BlockReport, Location
from asyncrepl.watchdog.frames import FrameFacts

__all__ = ["CODES", "CPU_BOUND", "LOOP_BLOCKED", "summarise"]

log = logging.getLogger("asyncrepl")

T = TypeVar("T")

#: A call held the loop: a blocking builtin (``time.sleep``), or library code reached
#: from the user's line. Also used when no user code was on the stack.
LOOP_BLOCKED = ("AR201", "loop-blocked")
#: The user's own Python code computed without reaching an ``await`` (a CPU-bound loop).
CPU_BOUND = ("AR202", "cpu-bound")
#: Every run-time code, ``code -> slug``. Stable: never reuse a code.
CODES: dict[str, str] = dict([LOOP_BLOCKED, CPU_BOUND])


def summarise(
    counts: Mapping[FrameFacts, float],
    last: FrameFacts | None,
    *,
    started: float,
    duration: float,
    task_name: str | None,
    still_blocked: bool = False,
) -> BlockReport:
    """One report from the samples of a block.

    A call that half the sampled time or more was spent in is the blocking call (``AR201``);
    otherwise the user's line with the most sampled time is busy computing (``AR202``).

    :param counts: for each :class:`FrameFacts` seen, the seconds its samples stand for.
    :param last: the newest sample, preferred when counts tie.
    :param started: when the step began (the source's clock).
    :param duration: seconds the loop was (so far) blocked.
    :param task_name: the task whose step it is, None for a plain callback.
    :param still_blocked: this is the interim note of a block that goes on.
    """
    report = BlockReport(
        *LOOP_BLOCKED,
        started=started,
        duration=duration,
        task_name=task_name,
        still_blocked=still_blocked,
    )
    total = sum(counts.values())
    calls = {facts: n for facts, n in counts.items() if facts.call}
    if calls:
        facts = _most_common(calls, last)
        if calls[facts] * 2 >= total:
            return _blame_call(report, facts)
    if not counts:
        return report
    by_line: dict[Location, float] = {}
    for facts, n in counts.items():
        by_line[facts.location] = by_line.get(facts.location, 0.0) + n
    line = _most_common(by_line, last.location if last is not None else None)
    facts = next(f for f in counts if f.location == line)
    fix = "" if facts.is_async else fix_call("", facts.caller_call)
    return report._replace(
        code=CPU_BOUND[0],
        slug=CPU_BOUND[1],
        location=line,
        fix=fix,
        in_coroutine=facts.in_coroutine,
    )


def _most_common(counts: Mapping[T, float], prefer: T | None) -> T:
    best = max(counts.values())
    if prefer is not None and counts.get(prefer) == best:
        return prefer
    return next(item for item, n in counts.items() if n == best)


def _blame_call(report: BlockReport, facts: FrameFacts) -> BlockReport:
    """``report`` blaming the call in ``facts``, with its fix unless the call is asyncio's own."""
    blamed = report._replace(
        location=facts.location,
        call=facts.call,
        callee=facts.callee,
        in_coroutine=facts.in_coroutine,
    )
    return blamed if blamed.in_asyncio else blamed._replace(fix=_call_fix(facts))


def _call_fix(facts: FrameFacts) -> str:
    """The fix for a blocking call: the catalogue's, made where an ``await`` can go; none
    when no coroutine of the user's is on the way (a plain callback, a ``__repr__`` that
    IPython called), since an ``await`` there would not run."""
    if facts.is_async:
        return fix_call(facts.callee, facts.call)
    # The call is in a plain function: awaiting is possible only in the coroutine calling it.
    return fix_call("", facts.caller_call)


def fix_call(qualname: str, call: str) -> str:
    """The corrected code for ``call``: the static catalogue's fix when it knows the call
    (``time.sleep(1)`` -> ``await asyncio.sleep(1)``), else the call run in a thread.

    :param qualname: the called function's ``module.qualname``, ``""`` when unknown.
    :param call: the call as written.
    """
    if not call:
        return ""
    # The catalogue is imported with the first report, not when the watchdog starts.
    from asyncrepl.analysis.catalogue import fix_for

    try:
        return fix_for(qualname, call)
    except Exception:
        log.exception("asyncrepl: the catalogue could not fix %r", call)
        return ""
