"""Summing up the samples of a block: a call into asyncio's own code (``gather`` starting very
many tasks) is blamed, but gets no fix that would run it in a thread."""

from __future__ import annotations

import pytest

from asyncrepl.records import Location
from asyncrepl.watchdog.frames import FrameFacts
from asyncrepl.watchdog.reports import BlockReport, summarise

GATHER_LINE = Location(
    "big.py", 6, "big.py:6", "await asyncio.gather(*(worker(50) for _ in range(20000)))", "main"
)
GATHER_CALL = "asyncio.gather(*(worker(50) for _ in range(20000)))"


def facts(
    callee: str, call: str = GATHER_CALL, *, is_async: bool = True, caller_call: str = ""
) -> FrameFacts:
    """One sample at the user's line, inside ``call``, which runs ``callee``."""
    return FrameFacts(GATHER_LINE, call, callee, False, is_async, caller_call)


def report_of(sample: FrameFacts, *, still_blocked: bool = False) -> BlockReport:
    report = summarise(
        {sample: 0.2},
        sample,
        started=1.0,
        duration=0.21,
        task_name="Task-1",
        still_blocked=still_blocked,
    )
    return report


def test_gather_is_blamed_without_a_thread_fix() -> None:
    report = report_of(facts("asyncio.tasks.gather"))
    assert (report.code, report.slug) == ("AR201", "loop-blocked")
    assert report.call == GATHER_CALL and report.location == GATHER_LINE
    assert report.callee == "asyncio.tasks.gather" and report.in_asyncio
    assert "to_thread" not in report.fix
    assert report.fix == ""


@pytest.mark.parametrize(
    "callee",
    [
        "asyncio.tasks.create_task",
        "asyncio.tasks.wait",
        "asyncio.taskgroups.TaskGroup.create_task",
        "asyncio.base_events.BaseEventLoop.call_soon",
        "_asyncio.Task",  # asyncio's C accelerator
    ],
)
def test_every_call_into_asyncio_is_asyncios_own(callee: str) -> None:
    report = report_of(facts(callee, "tg.create_task(worker())"))
    assert report.in_asyncio and report.fix == ""


def test_asyncio_in_a_helper_does_not_send_the_helper_to_a_thread() -> None:
    """``spawn()`` makes tasks: in a thread, with no event loop there, it would fail."""
    sample = facts(
        "asyncio.tasks.create_task",
        "asyncio.create_task(worker())",
        is_async=False,
        caller_call="spawn(30000)",
    )
    assert report_of(sample).fix == ""


@pytest.mark.parametrize(
    ("callee", "call", "fix"),
    [
        ("time.sleep", "time.sleep(1)", "await asyncio.sleep(1)"),
        ("json.dumps", "json.dumps(big)", "await asyncio.to_thread(json.dumps, big)"),
        ("asynciolib.fetch", "fetch(url)", "await asyncio.to_thread(fetch, url)"),
        ("", "mystery(1)", "await asyncio.to_thread(mystery, 1)"),
    ],
)
def test_other_calls_keep_their_fix(callee: str, call: str, fix: str) -> None:
    report = report_of(facts(callee, call))
    assert not report.in_asyncio
    assert report.fix == fix


def test_the_interim_note_is_asyncios_own_too() -> None:
    report = report_of(facts("asyncio.tasks.gather"), still_blocked=True)
    assert report.still_blocked and report.in_asyncio and report.fix == ""


def test_a_call_in_a_plain_function_no_coroutine_called_gets_no_await_fix() -> None:
    """A plain callback (``loop.call_soon(work)``): an ``await`` there would not run."""
    sample = facts("time.sleep", "time.sleep(1)", is_async=False, caller_call="")
    report = report_of(sample)
    assert report.call == "time.sleep(1)"
    assert report.fix == ""
