"""The blocking report as a person reads it: the line, the caret under the call, why, the fix,
and the short still-blocked note."""

from __future__ import annotations

import pytest
from prompt_toolkit.formatted_text import fragment_list_to_text

from asyncrepl.records import BlockReport, Location
from asyncrepl.render.blocks import render_block, render_flagged_block, render_still_blocked

CELL = Location("<ipython-input-3-ab>", 4, "<cell 3>:4", "time.sleep(1)", "print_something")
SLEEP = BlockReport(
    "AR201",
    "loop-blocked",
    started=10.0,
    duration=1.0,
    task_name="Task-3",
    location=CELL,
    call="time.sleep(1)",
    fix="await asyncio.sleep(1)",
)
CRUNCH = Location("app.py", 9, "app.py:9", "total += math.sqrt(i)", "crunch")
CPU = BlockReport("AR202", "cpu-bound", 1.0, 0.4, "worker", CRUNCH)
STARTS = Location("big.py", 6, "big.py:6", "await asyncio.gather(*coros)", "main")
GATHER = BlockReport(
    "AR201",
    "loop-blocked",
    started=2.0,
    duration=0.21,
    task_name="Task-1",
    location=STARTS,
    call="asyncio.gather(*coros)",
    callee="asyncio.tasks.gather",
)


def text(report: BlockReport, *, explain_hint: bool = False, width: int = 80) -> str:
    return fragment_list_to_text(render_block(report, explain_hint=explain_hint, width=width))


def test_a_blocking_call_report_reads_as_in_the_brief() -> None:
    assert text(SLEEP) == (
        "⚠ The event loop was blocked for 1.0 s by task 'Task-3' (AR201 loop-blocked)\n"
        "  <cell 3>:4 in print_something\n"
        "      time.sleep(1)\n"
        "      ^^^^^^^^^^^^^\n"
        "  `time.sleep()` blocks the entire event loop: no other task ran for 1.0 s.\n"
        "  Fix: await asyncio.sleep(1)"
    )


def test_the_caret_is_under_the_call_and_styled() -> None:
    line = Location("app.py", 3, "app.py:3", "data = json.dumps(big)", "save")
    report = SLEEP._replace(location=line, call="json.dumps(big)", fix="")
    fragments = render_block(report)
    assert ("class:ar.caret", " " * 7 + "^" * 15) in fragments
    assert ("class:ar.code", "data = json.dumps(big)") in fragments
    assert "`json.dumps()` blocks the entire event loop" in text(report)
    assert "Fix:" not in text(report)


def test_a_call_through_getattr_is_shown_as_written() -> None:
    call = 'getattr(time, "sle" + "ep")(0.5)'
    line = CELL._replace(source=call)
    report = SLEEP._replace(location=line, call=call, fix="await asyncio.sleep(0.5)")
    assert "\n  This call blocks the entire event loop: no other task" in text(report)
    assert "^" * len(call) in text(report)


def test_cpu_bound_work_without_a_fix_gets_the_fix_in_words() -> None:
    assert text(CPU) == (
        "⚠ The event loop was blocked for 0.4 s by task 'worker' (AR202 cpu-bound)\n"
        "  app.py:9 in crunch\n"
        "      total += math.sqrt(i)\n"
        "  Your code computed here without an `await`: no other task ran for 0.4 s.\n"
        "  Fix: run it in a thread with `await asyncio.to_thread(function, ...)`,\n"
        "       or let other tasks take turns: `await asyncio.sleep(0)` inside the loop."
    )


def test_cpu_bound_work_in_a_helper_gets_the_callers_fix() -> None:
    report = CPU._replace(fix="await asyncio.to_thread(crunch, 10)")
    assert text(report).endswith("\n  Fix: await asyncio.to_thread(crunch, 10)")
    assert "^" not in text(report)


def test_asyncio_starting_many_tasks_is_not_called_blocking() -> None:
    assert text(GATHER) == (
        "⚠ The event loop was blocked for 0.21 s by task 'Task-1' (AR201 loop-blocked)\n"
        "  big.py:6 in main\n"
        "      await asyncio.gather(*coros)\n"
        "            ^^^^^^^^^^^^^^^^^^^^^^\n"
        "  `asyncio.gather()` spent 0.21 s in asyncio itself: no other task ran\n"
        "    meanwhile.\n"
        "  Starting very many tasks or callbacks at once keeps the event loop busy.\n"
        "  Fix: start them in batches of a few thousand (`await asyncio.gather(*batch)`),\n"
        "       or accept it as a one-off start-up cost."
    )


def test_a_step_that_started_many_tasks_says_how_many_and_what_was_asyncrepls() -> None:
    # Recording each new task is asyncrepl's work: the report does not call it asyncio's.
    many = GATHER._replace(duration=1.1, tasks_made=100_000, recording=0.15)
    assert text(many) == (
        "⚠ The event loop was blocked for 1.1 s by task 'Task-1' (AR201 loop-blocked)\n"
        "  big.py:6 in main\n"
        "      await asyncio.gather(*coros)\n"
        "            ^^^^^^^^^^^^^^^^^^^^^^\n"
        "  `asyncio.gather()` started 100,000 tasks: no other task ran for 1.1 s.\n"
        "  Starting very many tasks or callbacks at once keeps the event loop busy.\n"
        "  asyncrepl's own work, recording each new task, took at least 0.15 s.\n"
        "  Fix: start them in batches of a few thousand (`await asyncio.gather(*batch)`),\n"
        "       or accept it as a one-off start-up cost."
    )
    # Under a tenth of the block, asyncrepl's part goes unsaid.
    assert "asyncrepl's own work" not in text(many._replace(recording=0.1))
    one = many._replace(tasks_made=1, recording=0.0)
    assert "`asyncio.gather()` started 1 task: no other task ran for 1.1 s." in text(one)


def test_a_report_fits_a_narrow_terminal_code_and_places_whole() -> None:
    # A projector's terminal with a large font: the terminal broke lines mid-word, and a
    # place such as "<cell 3>:4" could be cut at its space.
    narrow = text(SLEEP, width=40)
    assert all(len(line) <= 40 for line in narrow.splitlines() if "time.sleep(1)" not in line)
    assert "\n      time.sleep(1)\n" in narrow and "<cell 3>:4" in narrow
    assert [line for line in narrow.splitlines() if line.startswith("⚠")] == [
        "⚠ The event loop was blocked for 1.0 s"
    ]


def test_asyncios_own_call_never_gets_a_thread_fix() -> None:
    # Even a fix made for it elsewhere: asyncio's calls must stay on the loop's thread.
    with_fix = GATHER._replace(fix="await asyncio.to_thread(asyncio.gather, *coros)")
    for report in (GATHER, with_fix, GATHER._replace(still_blocked=True)):
        assert "to_thread" not in text(report, explain_hint=True)
        assert "blocks the entire event loop" not in text(report)


def test_asyncios_own_call_is_named_as_written() -> None:
    written = GATHER._replace(call="tg.create_task(fetch(url))")
    assert "\n  `tg.create_task()` spent 0.21 s in asyncio itself" in text(written)
    unnamed = GATHER._replace(call='getattr(asyncio, "gather")(*coros)')
    assert "\n  This call spent 0.21 s in asyncio itself" in text(unnamed)


def test_a_call_into_another_library_still_blocks() -> None:
    report = GATHER._replace(call="requests.get(url)", callee="requests.api.get", fix="")
    assert "`requests.get()` blocks the entire event loop" in text(report)
    assert "asyncio itself" not in text(report)


def test_a_callback_with_no_user_line() -> None:
    report = BlockReport("AR201", "loop-blocked", 1.0, 0.25)
    assert text(report) == (
        "⚠ The event loop was blocked for 0.25 s by a callback (AR201 loop-blocked)\n"
        "  No line of your code was running then.\n"
        "  A callback or library code held the loop: no other task ran for 0.25 s."
    )


def test_the_explain_hint_is_optional() -> None:
    assert text(SLEEP, explain_hint=True).endswith("\n  (%explain for more)")
    assert "%explain" not in text(SLEEP)


def test_the_still_blocked_note_is_one_line_and_how_to_stop_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    note = SLEEP._replace(duration=1.02, still_blocked=True)
    expected = "⏳ Event loop blocked for 1.0 s so far: task 'Task-3', <cell 3>:4 `time.sleep(1)`"
    expected += "\n  Ctrl-C stops it."
    assert fragment_list_to_text(render_still_blocked(note)) == expected
    assert fragment_list_to_text(render_block(note)) == expected
    gather_note = GATHER._replace(duration=1.5, still_blocked=True)
    assert fragment_list_to_text(render_block(gather_note)) == (
        "⏳ Event loop blocked for 1.5 s so far: task 'Task-1', big.py:6 `asyncio.gather(*coros)`"
        "\n  Ctrl-C stops it."
    )
    # In a terminal narrower than the note, it breaks between words, the call kept whole.
    assert fragment_list_to_text(render_still_blocked(gather_note, width=80)) == (
        "⏳ Event loop blocked for 1.5 s so far: task 'Task-1', big.py:6\n"
        "  `asyncio.gather(*coros)`\n"
        "  Ctrl-C stops it."
    )
    cpu_note = CPU._replace(still_blocked=True, task_name=None)
    assert fragment_list_to_text(render_still_blocked(cpu_note)) == (
        "⏳ Event loop blocked for 0.4 s so far: a callback, app.py:9 `total += math.sqrt(i)`"
        "\n  Ctrl-C stops it."
    )


def test_a_block_the_static_check_flagged_is_one_short_line() -> None:
    assert fragment_list_to_text(render_flagged_block(SLEEP)) == (
        "⚠ As flagged above: the event loop was blocked for 1.0 s at <cell 3>:4"
    )
