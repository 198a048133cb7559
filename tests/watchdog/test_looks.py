"""The watchdog one look at a time, on a fake clock, with the loop thread parked at a known
line: what is reported, when, and what is not (the REPL's own work, library code alone)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import logging
import pdb
import pydoc
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from asyncrepl.records import BlockReport
from asyncrepl.watchdog import Watchdog
from tests.watchdog.parking import FakeClock, a_task, drive, parked


def watchdog(clock: FakeClock, thread: int, **options: Any) -> tuple[Watchdog, list[BlockReport]]:
    reports: list[BlockReport] = []
    options.setdefault("threshold", 0.1)
    options.setdefault("still_blocked_after", None)
    dog = Watchdog(clock, on_report=reports.append, **options)
    dog.loop_thread_id = thread
    return dog, reports


def one_block(
    body: Any,
    seconds: float,
    *,
    at: Any = None,
    spinning: bool = False,
    task: Any = None,
    **options: Any,
) -> tuple[Watchdog, list[BlockReport]]:
    """The watchdog and its reports after one step of ``seconds`` with the loop thread
    parked (or spinning) in ``body``."""
    clock = FakeClock()
    with parked(body, at=at, spinning=spinning) as park:
        dog, reports = watchdog(clock, park.ident, **options)
        drive(dog, clock, seconds, task=task)
    return dog, reports


async def waits(gate: threading.Event) -> None:
    gate.wait()  # the user's line: threading's code runs below it


WAIT_LINE = waits.__code__.co_firstlineno + 1


def test_a_block_is_reported_once_with_its_line_call_fix_and_duration() -> None:
    dog, reports = one_block(waits, 0.5, task=a_task("blocker"))
    [report] = reports
    assert (report.code, report.task_name, report.call) == ("AR201", "blocker", "gate.wait()")
    assert report.location is not None and report.location.lineno == WAIT_LINE
    assert report.location.function == "waits"
    assert report.fix == "await asyncio.to_thread(gate.wait)"
    assert report.started == 100.0
    assert report.duration == pytest.approx(0.5, abs=0.01)  # ended between two looks
    assert dog.reports() == [report]


def test_a_step_shorter_than_the_threshold_is_not_reported() -> None:
    clock = FakeClock()
    with parked(waits) as park:
        dog, reports = watchdog(clock, park.ident, threshold=0.1)
        drive(dog, clock, 0.099)
        drive(dog, clock, 0.101)
    [report] = reports
    assert report.started == pytest.approx(100.1, abs=0.002)


def test_a_healthy_loop_of_many_short_steps_is_not_reported() -> None:
    clock = FakeClock()
    with parked(waits) as park:
        dog, reports = watchdog(clock, park.ident)
        for _ in range(2000):
            drive(dog, clock, 0.03)
        assert reports == [] and dog.reports() == []
        drive(dog, clock, 0.25)  # then one real block
    [report] = reports
    assert report.location is not None and report.location.lineno == WAIT_LINE


def test_a_long_block_gives_one_note_then_one_report() -> None:
    clock = FakeClock()
    with parked(waits) as park:
        dog, reports = watchdog(clock, park.ident, still_blocked_after=1.0)
        drive(dog, clock, 3.0)
    note, final = reports
    assert note.still_blocked and not final.still_blocked
    assert 1.0 <= note.duration <= 1.05
    assert note.started == final.started
    assert note.call == final.call == "gate.wait()"
    assert final.duration == pytest.approx(3.0, abs=0.03)


def test_blocking_again_and_again_is_said_once_and_kept_each_time() -> None:
    clock = FakeClock()
    task = a_task()
    with parked(waits) as park:
        dog, reports = watchdog(clock, park.ident)
        for _ in range(3):
            drive(dog, clock, 0.2, task=task)
            clock.time += 0.01
    assert len(reports) == 1
    assert len(dog.reports()) == 3
    clock.time += 10  # past quiet_repeats: said again
    with parked(waits) as park:
        dog.loop_thread_id = park.ident
        drive(dog, clock, 0.2, task=task)
    assert len(reports) == 2


def test_reports_gives_the_blocks_of_a_window() -> None:
    clock = FakeClock()
    with parked(waits) as park:
        dog, _ = watchdog(clock, park.ident)
        drive(dog, clock, 0.2)
        clock.time += 1.0
        drive(dog, clock, 0.2)
    first, second = dog.reports()
    assert (first.started, second.started) == (100.0, pytest.approx(101.201))
    assert dog.reports(99, 102) == [first, second]
    assert dog.reports(second.started, None) == [second]
    assert dog.reports(None, first.started + first.duration / 2) == [first]
    assert dog.reports(103, None) == []


async def calls_back_library_code(gate: threading.Event) -> None:
    asyncio.get_running_loop().call_soon(gate.wait)  # threading's code alone holds the loop
    await asyncio.sleep(0)


def test_a_callback_into_library_code_alone_is_not_reported() -> None:
    dog, reports = one_block(calls_back_library_code, 2.0, at=threading.Event.wait)
    assert reports == [] and dog.reports() == []


def waits_in_a_plain_function(gate: threading.Event) -> None:
    gate.wait()


async def calls_back_the_users_function(gate: threading.Event) -> None:
    asyncio.get_running_loop().call_soon(waits_in_a_plain_function, gate)
    await asyncio.sleep(0)


def test_a_callback_of_the_users_function_is_reported_without_a_task() -> None:
    _dog, reports = one_block(calls_back_the_users_function, 0.3, at=waits_in_a_plain_function)
    [report] = reports
    assert report.task_name is None
    assert report.location is not None and report.location.function == "waits_in_a_plain_function"


def run_magic(gate: threading.Event) -> None:
    """Stands for IPython's ``run_line_magic``: the user's code runs under it."""
    waits_in_a_plain_function(gate)


async def times_the_users_code(gate: threading.Event) -> None:
    run_magic(gate)


def test_the_users_code_under_a_repl_entry_is_not_reported() -> None:
    clock = FakeClock()
    with parked(times_the_users_code, at=waits_in_a_plain_function) as park:
        dog, reports = watchdog(clock, park.ident, repl_entries=[run_magic.__code__])
        drive(dog, clock, 2.0)
        assert reports == [] and dog.reports() == []
        dog.repl_entries = frozenset()  # the same stack without the entry is the user's
        drive(dog, clock, 2.0)
    assert len(reports) == 1


async def imports(gate: threading.Event) -> None:
    global IMPORT_GATE
    IMPORT_GATE = gate
    importlib.import_module("slow_start")


def test_an_import_is_not_reported_even_of_the_users_own_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "slow_start.py"
    module.write_text("import tests.watchdog.test_looks as t\nt.IMPORT_GATE.wait()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_start", raising=False)
    dog, reports = one_block(imports, 2.0)
    assert reports == [] and dog.reports() == []


#: The gate the module imported by :func:`imports` waits on.
IMPORT_GATE = threading.Event()


def test_a_block_is_the_users_only_when_their_code_ran_most_of_the_time() -> None:
    clock = FakeClock()
    with parked(waits) as users, parked(calls_back_library_code, at=threading.Event.wait) as other:

        def block(user_share: float) -> None:
            """One block: the first looks see the user's code, the rest library code."""
            clock.step = (clock.time, None)
            dog.loop_thread_id = users.ident
            while clock.time - clock.step[0] < 1.0:
                if clock.time - clock.step[0] >= 0.1 + user_share * 0.9:
                    dog.loop_thread_id = other.ident
                clock.time += dog.look()
            clock.step = None
            dog.look()

        dog, reports = watchdog(clock, users.ident)
        block(0.3)
        assert reports == []
        block(0.7)
        assert len(reports) == 1


def test_on_stuck_hears_when_the_users_block_starts_and_ends() -> None:
    heard: list[tuple[str | None, bool]] = []
    clock = FakeClock()
    task = a_task("spin")
    with parked(waits) as park:
        dog, _ = watchdog(
            clock,
            park.ident,
            on_stuck=lambda task, stuck: heard.append((task and task.get_name(), stuck)),
        )
        drive(dog, clock, 0.5, task=task, end=False)
        assert heard == [("spin", True)]
        clock.step = None
        dog.look()
    assert heard == [("spin", True), (None, False)]


def test_a_failing_handler_is_switched_off_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[BlockReport] = []

    def broken(report: BlockReport) -> None:
        calls.append(report)
        raise RuntimeError("handler bug")

    clock = FakeClock()
    with parked(waits) as park, caplog.at_level(logging.ERROR, logger="asyncrepl"):
        dog = Watchdog(clock, threshold=0.1, on_report=broken)
        dog.loop_thread_id = park.ident
        drive(dog, clock, 0.2)
        clock.time += 20
        drive(dog, clock, 0.2)
    assert len(calls) == 1
    assert len(dog.reports()) == 2
    assert [r.message for r in caplog.records].count(
        "asyncrepl: the block report handler failed; it is switched off"
    ) == 1


def crunch_until(gate: threading.Event) -> int:
    total = 0
    while total >= 0:
        total += 1
        if total % 100_000 == 0 and gate.is_set():  # now and then: it is not the work
            break
    return total


async def computes(gate: threading.Event) -> None:
    crunch_until(gate)


def test_a_cpu_loop_is_reported_at_the_users_line() -> None:
    _dog, reports = one_block(computes, 0.5, at=crunch_until, spinning=True)
    [report] = reports
    assert (report.code, report.slug) == ("AR202", "cpu-bound")
    assert report.location is not None
    first = crunch_until.__code__.co_firstlineno
    assert report.location.lineno in {first + 2, first + 3, first + 4}  # the loop's lines
    assert report.location.function == "crunch_until"
    assert report.call == ""
    # The loop is in a plain function: the fix runs it in a thread from the coroutine.
    assert report.fix == "await asyncio.to_thread(crunch_until, gate)"


async def computes_inline(gate: threading.Event) -> None:
    total = 0
    while total >= 0:
        total += 1
        if total % 100_000 == 0 and gate.is_set():
            break


def test_a_cpu_loop_in_a_coroutine_has_no_code_fix() -> None:
    _dog, reports = one_block(computes_inline, 0.5, spinning=True)
    [report] = reports
    assert report.code == "AR202"
    assert report.location is not None
    assert report.location.function == "computes_inline"
    assert report.fix == ""


#: Code compiled from a string, as namedtuple and dataclasses make it.
GENERATED: dict[str, Any] = {}
exec(compile("def generated(gate):\n    yield gate.wait()\n", "<string>", "exec"), GENERATED)


async def enters_a_generated_context(gate: threading.Event) -> None:
    with contextlib.contextmanager(GENERATED["generated"])(gate):  # contextlib runs it
        pass


def test_code_compiled_from_a_string_that_library_code_runs_is_not_the_users() -> None:
    _, reports = one_block(enters_a_generated_context, 0.5, at=GENERATED["generated"])
    [report] = reports
    assert report.location is not None
    assert report.location.function == "enters_a_generated_context"
    assert report.location.lineno == enters_a_generated_context.__code__.co_firstlineno + 1


class RecordingClock(FakeClock):
    """A source that also says what recording the tasks its step made took (the Recorder's
    ``recording_in``)."""

    def __init__(self, recording: float, tasks: int) -> None:
        super().__init__()
        self.recording = (recording, tasks)
        self.asked: list[float] = []

    def recording_in(self, start: float) -> tuple[float, int]:
        self.asked.append(start)
        return self.recording


@pytest.mark.parametrize(("recording", "reported"), [(0.25, False), (0.05, True)])
def test_asyncrepls_own_recording_is_not_held_against_the_user(
    recording: float, reported: bool
) -> None:
    # A step of 0.3 s that made 5,000 tasks; a threshold of 0.1 s. Recording them took 0.25 s
    # (the user's part, 0.05 s, is under the threshold: no report) or 0.05 s (reported).
    clock = RecordingClock(recording, 5000)
    with parked(waits) as park:
        dog, reports = watchdog(clock, park.ident, threshold=0.1)
        drive(dog, clock, 0.3)
    assert clock.asked == [100.0]
    if not reported:
        assert reports == []
        return
    [report] = reports
    assert (report.recording, report.tasks_made) == (0.05, 5000)
    assert report.duration == pytest.approx(0.3, abs=0.01)


class _PersonAtPdb(pdb.Pdb):
    """pdb as ``breakpoint()`` starts it, with the person at its prompt until the gate opens."""

    gate: threading.Event

    def _cmdloop(self) -> None:
        self.gate.wait()


async def debugs(gate: threading.Event) -> None:
    debugger = _PersonAtPdb(stdout=io.StringIO())
    debugger.gate = gate
    debugger.reset()
    debugger.interaction(sys._getframe(), None)


async def reads_help(gate: threading.Event) -> None:
    global PAGER_GATE
    PAGER_GATE = gate
    help(len)  # pydoc shows it in a pager, which waits on the gate (see the test)


#: The gate the pager of :func:`reads_help` waits on.
PAGER_GATE = threading.Event()


def test_the_person_at_a_debugger_prompt_or_reading_help_is_not_a_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The loop waits for them on purpose: "blocked for 3.0 s by breakpoint()" with the fix
    # `await asyncio.to_thread(breakpoint)` was a false alarm with a fix that cannot work.
    dog, reports = one_block(debugs, 2.0, at=_PersonAtPdb._cmdloop)
    assert reports == [] and dog.reports() == []
    monkeypatch.setattr(pydoc, "pager", lambda text, title="": PAGER_GATE.wait())
    dog, reports = one_block(reads_help, 2.0, at=threading.Event.wait)
    assert reports == [] and dog.reports() == []


#: ``input()`` as the watchdog sees it (the builtin reads the terminal, which a test cannot
#: park): library code, not the user's, named ``builtins.input``.
_INPUT: dict[str, Any] = {"__name__": "builtins", "TYPING_GATE": threading.Event()}
exec(
    compile(
        "def input(prompt):\n    TYPING_GATE.wait()\n    return 'Ada'\n", "<frozen input>", "exec"
    ),
    _INPUT,
)
_typed_line = _INPUT["input"]


async def asks_a_name(gate: threading.Event) -> None:
    _INPUT["TYPING_GATE"] = gate  # the person types until the gate opens
    name = input("name? ")  # noqa: F841


def test_input_gets_its_report_but_no_note_in_the_middle_of_the_typed_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "name? ⏳ Event loop blocked for 1.0 s so far ... Ctrl-C stops it." broke into the line
    # the person was typing; the block is still reported once they are done.
    monkeypatch.setitem(asks_a_name.__globals__, "input", _typed_line)
    _, reports = one_block(asks_a_name, 3.0, at=_typed_line, still_blocked_after=1.0)
    [report] = reports
    assert not report.still_blocked and report.call == 'input("name? ")'
    assert report.callee == "builtins.input"


def test_a_step_reported_in_parts_gives_each_part_its_own_recording() -> None:
    # A kernel reports a cell's part of the kernel's step when the cell ends (settle): the
    # recording of the tasks the cell started belongs to that part, the rest to the next.
    clock = RecordingClock(0.25, 5000)
    with parked(waits) as park:
        dog, reports = watchdog(clock, park.ident, threshold=0.1, quiet_repeats=0.0)
        drive(dog, clock, 0.5, end=False)  # the cell: 0.5 s, of which 0.25 s recording
        dog.settle(so_far=True)
        clock.recording = (0.3, 5001)  # the rest of the step started one more task
        until = clock.time + 0.5
        while clock.time < until:
            clock.time += min(dog.look(), until - clock.time) or 1e-6
        clock.step = None
        clock.time += 0.001
        dog.look()
    cell, rest = reports
    assert (cell.recording, cell.tasks_made) == (0.25, 5000)
    assert (rest.recording, rest.tasks_made) == (pytest.approx(0.05), 1)
    assert cell.duration == pytest.approx(0.5, abs=0.01)
