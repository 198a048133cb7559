"""What the journal holds, explained: errors, task failures, warnings, findings, block
reports and the notes asyncrepl prints."""

from __future__ import annotations

import asyncio

import pytest

from asyncrepl.analysis import check_source
from asyncrepl.explain import explain_block, explain_finding, explain_incident
from asyncrepl.records import BlockReport, Finding, Incident, IncidentKind, Location


def failure(exc: BaseException) -> BaseException:
    try:
        raise exc
    except BaseException as caught:
        return caught


def test_a_real_finding_of_the_static_check() -> None:
    source = "import time\nasync def main():\n    time.sleep(1)\n"
    (finding,) = check_source(source, "<cell>")
    found = explain_incident(Incident(IncidentKind.FINDING, finding, cell=2, source=source))
    assert found is not None and found.key == "time-sleep"
    assert found.title.startswith(f"{finding.code} {finding.slug}: ")
    assert found.code == "    await asyncio.sleep(1)"
    assert found.where is not None and found.where.source == "time.sleep(1)"


def test_a_task_not_kept_is_explained_as_one_the_loop_may_collect() -> None:
    from asyncrepl.analysis import check_source

    source = "import asyncio\nasync def main():\n    asyncio.create_task(work())\n"
    (finding,) = check_source(source, "<cell>")
    found = explain_incident(Incident(IncidentKind.FINDING, finding, cell=2, source=source))
    assert found is not None and found.key == "task-garbage-collected"
    assert found.title.startswith("AR114 task-not-kept: ")
    assert found.code == "    task = asyncio.create_task(work())"


def test_every_static_code_is_explained_under_its_own_title() -> None:
    from asyncrepl.analysis import RULES

    for code, rule in RULES.items():
        finding = Finding(code, rule.slug, "message", "<cell>", 1, 0, 4, "x()", "")
        found = explain_finding(finding)
        assert found.title == f"{code} {rule.slug}: {rule.title}"
        assert found.why == rule.why and found.fix


def test_finding_without_the_analysis_catalogue_still_explains() -> None:
    finding = Finding(
        "AR199",
        "blocking-thing",
        "`x.wait()` blocks.",
        "<cell>",
        1,
        0,
        8,
        "x.wait()",
        "await asyncio.to_thread(x.wait)",
    )
    found = explain_finding(finding)
    assert found.key == "blocking-call" and found.what == "`x.wait()` blocks."
    assert found.code == "await asyncio.to_thread(x.wait)"


def test_block_report_with_time_sleep() -> None:
    where = Location("f", 3, "<cell 4>:3", "time.sleep(2)")
    report = BlockReport(
        "AR201",
        "loop-blocked",
        0.0,
        2.0,
        "Task-7",
        where,
        "time.sleep(2)",
        "await asyncio.sleep(2)",
    )
    found = explain_block(report)
    assert found.key == "time-sleep"
    assert (
        found.what == "The event loop was blocked for 2.0 s by task 'Task-7', in `time.sleep(2)`."
    )
    assert found.code == "await asyncio.sleep(2)" and found.where == where


def test_block_report_in_asyncios_own_gather() -> None:
    where = Location("big.py", 6, "big.py:6", "await asyncio.gather(*coros)", "main")
    call = "asyncio.gather(*coros)"
    report = BlockReport(
        "AR201", "loop-blocked", 0.0, 0.21, "Task-1", where, call, callee="asyncio.tasks.gather"
    )
    found = explain_incident(Incident(IncidentKind.BLOCK, report, cell=3))
    assert found is not None and found.key == "many-tasks-at-once"
    assert found.title == "AR201 loop-blocked: asyncio busy starting very many tasks"
    assert found.what == (
        "The event loop was blocked for 0.21 s by task 'Task-1', in `asyncio.gather(*coros)`."
    )
    assert found.where == where and found.code_is_example
    said = " ".join((found.why, found.fix, found.code))
    assert "to_thread" not in said and "batches" in found.fix


def test_unknown_error_still_shows_where() -> None:
    exc = failure(ZeroDivisionError("division by zero"))
    found = explain_incident(Incident(IncidentKind.EXCEPTION, exc, cell=1))
    assert found is not None and found.key == "unknown"
    assert found.title == "ZeroDivisionError: division by zero"
    assert found.where is not None and found.where.label.startswith("test_incidents.py:")


def test_background_task_failure_nobody_awaited() -> None:
    exc = failure(KeyError("user"))
    found = explain_incident(Incident(IncidentKind.TASK_EXCEPTION, exc, cell=1))
    assert found is not None and found.key == "task-exception-never-retrieved"
    assert found.details == ("The task raised `KeyError: 'user'`.",)


def test_loop_error_journaled_with_its_code() -> None:
    """The shell may journal a loop error with the key ``explain_loop_error`` gave it."""
    exc = failure(KeyError("user"))
    incident = Incident(IncidentKind.WARNING, exc, code="task-exception-never-retrieved")
    found = explain_incident(incident)
    assert found is not None and found.key == "task-exception-never-retrieved"
    assert found.where is not None and found.where.label.startswith("test_incidents.py:")


def test_task_failure_the_catalogue_knows_is_explained_as_itself() -> None:
    async def main() -> None:
        await asyncio.current_task()  # type: ignore[misc]

    try:
        asyncio.run(main())
    except RuntimeError as exc:
        found = explain_incident(Incident(IncidentKind.TASK_EXCEPTION, exc))
    assert found is not None and found.key == "task-awaits-itself"


def test_warning_message_with_the_cell_line() -> None:
    incident = Incident(
        IncidentKind.WARNING, "coroutine 'main' was never awaited", cell=6, source="x = 1\nmain()\n"
    )
    found = explain_incident(incident)
    assert found is not None and found.key == "unawaited-coroutine"
    assert found.where is not None and found.where.label == "<cell 6>:2"
    assert found.code == "await main()"


@pytest.mark.parametrize(
    ("code", "payload", "fixed"),
    [
        ("unawaited-coroutine", "main()", "await main()"),
        ("asyncio-run-awaited", "asyncio.run(main())", "await main()"),
    ],
)
def test_notes_asyncrepl_printed(code: str, payload: str, fixed: str) -> None:
    found = explain_incident(Incident(IncidentKind.HINT, payload, cell=3, code=code))
    assert found is not None and found.key == code
    assert found.code == fixed and found.where is not None and found.where.label == "<cell 3>"
