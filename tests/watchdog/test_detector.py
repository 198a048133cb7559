"""The watchdog end to end, on real loops and real blocking calls: one report per block naming
the user's line, call and fix, the still-blocked note, and a clean stop. Bounds are generous
and only from below (a loaded machine makes steps longer, never shorter); what each look
decides, with exact times, is in test_looks.py on a fake clock."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from asyncrepl.watchdog import Watchdog
from tests.watchdog.conftest import SOURCES, watch


def line_of(function: Callable[..., Any], text: str) -> int:
    """The line number of the first line of ``function`` that contains ``text``."""
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


async def sleeps() -> None:
    await asyncio.sleep(0)
    time.sleep(0.2)


def test_time_sleep_is_reported_once_at_its_line(source: Any) -> None:
    watched = watch(source, sleeps)
    [report] = watched.reports
    assert (report.code, report.slug) == ("AR201", "loop-blocked")
    assert report.task_name == "blocker"
    assert report.location is not None
    assert report.location.lineno == line_of(sleeps, "time.sleep")
    assert report.location.function == "sleeps"
    assert report.location.label.endswith(f"test_detector.py:{report.location.lineno}")
    assert report.call == "time.sleep(0.2)"
    assert report.fix == "await asyncio.sleep(0.2)"
    assert report.duration >= 0.19
    assert not report.still_blocked


def crunch(seconds: float) -> int:
    total, deadline = 0, time.perf_counter() + seconds
    while total >= 0:
        total += 1
        # The clock is read now and then: a builtin call every turn makes the watchdog tell
        # a loop from one long call by timing the interpreter lock, which a loaded machine
        # blurs (test_looks.py has the loop on a fake clock).
        if total % 10_000 == 0 and time.perf_counter() > deadline:
            break
    return total


async def computes() -> None:
    crunch(0.25)


def test_a_cpu_loop_is_reported_at_the_users_line(source: Any) -> None:
    [report] = watch(source, computes).reports
    assert (report.code, report.slug) == ("AR202", "cpu-bound")
    assert report.location is not None
    loop_lines = {line_of(crunch, "while total"), line_of(crunch, "total += 1")}
    loop_lines.add(line_of(crunch, "if total"))
    assert report.location.lineno in loop_lines
    assert report.location.function == "crunch"
    assert report.call == ""
    # The loop is in a plain function: the fix runs it in a thread from the coroutine.
    assert report.fix == "await asyncio.to_thread(crunch, 0.25)"


def slow_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
    crunch(0.25)
    return asyncio.Task(coro, loop=loop, **kwargs)


async def gathers_through_a_slow_factory() -> None:
    asyncio.get_running_loop().set_task_factory(slow_factory)
    try:
        await asyncio.gather(asyncio.sleep(0))
    finally:
        asyncio.get_running_loop().set_task_factory(None)


def test_a_function_that_asyncio_called_gets_no_fix_that_moves_asyncio_to_a_thread(
    source: Any,
) -> None:
    # The plain function ran inside gather (a task factory; a done callback, a collector's
    # callback would too): running gather in a thread would break it, so the fix is not
    # "await asyncio.to_thread(asyncio.gather, ...)".
    [report] = watch(source, gathers_through_a_slow_factory).reports
    assert report.location is not None and report.location.function == "crunch"
    assert "gather" not in report.fix


async def computes_inline() -> None:
    total, deadline = 0, time.perf_counter() + 0.25
    while total >= 0:
        total += 1
        if total % 10_000 == 0 and time.perf_counter() > deadline:
            break


def test_a_cpu_loop_in_a_coroutine_has_no_code_fix(source: Any) -> None:
    [report] = watch(source, computes_inline).reports
    assert report.code == "AR202"
    assert report.location is not None
    assert report.location.function == "computes_inline"
    assert report.fix == ""


def derive_key(password: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password, b"salt", 600_000)


async def logs_in() -> None:
    derive_key(b"secret")


def test_a_heavy_library_call_in_a_helper_names_the_call(source: Any) -> None:
    [report] = watch(source, logs_in).reports
    assert report.code == "AR201"
    assert report.location is not None
    assert report.location.lineno == line_of(derive_key, "pbkdf2_hmac")
    assert report.call == 'hashlib.pbkdf2_hmac("sha256", password, b"salt", 600_000)'
    assert report.fix == 'await asyncio.to_thread(derive_key, b"secret")'


async def waits_in_library_code() -> None:
    event = threading.Event()
    event.wait(0.2)  # threading.py's Python code runs below this line


def test_blocking_inside_library_code_names_the_users_call(source: Any) -> None:
    [report] = watch(source, waits_in_library_code).reports
    assert report.code == "AR201"
    assert report.location is not None
    assert report.location.lineno == line_of(waits_in_library_code, "event.wait")
    assert report.call == "event.wait(0.2)"
    assert report.fix == "await asyncio.to_thread(event.wait, 0.2)"


async def sleeps_dynamically() -> None:
    getattr(time, "sle" + "ep")(0.2)


def test_a_call_no_static_check_can_see_is_named(source: Any) -> None:
    [report] = watch(source, sleeps_dynamically).reports
    assert report.call == 'getattr(time, "sle" + "ep")(0.2)'
    assert report.fix == "await asyncio.sleep(0.2)"


async def starts_many_tasks() -> None:
    coroutines = [asyncio.sleep(0) for _ in range(20_000)]
    await asyncio.sleep(0)  # the next step only starts the tasks
    await asyncio.gather(*coroutines)


def test_asyncio_starting_many_tasks_is_named_but_not_sent_to_a_thread(source: Any) -> None:
    # 20,000 tasks hold the loop 0.1-0.3 s here (5,000 took under 20 ms on 3.13 now and then):
    # well over a 20 ms threshold. A loaded machine may stall another step of the test's own
    # code as long: only the gather line counts.
    gather = line_of(starts_many_tasks, "gather")
    watched = watch(
        source,
        starts_many_tasks,
        threshold=0.02,
        blocks_at=lambda r: r.location is not None and r.location.lineno == gather,
    )
    [report] = [r for r in watched.final if r.location and r.location.lineno == gather]
    assert report.location is not None
    assert report.location.lineno == line_of(starts_many_tasks, "gather")
    assert report.call == "asyncio.gather(*coroutines)"
    assert report.callee == "asyncio.tasks.gather" and report.in_asyncio
    assert report.fix == ""


def sum_size(seconds: float) -> int:
    """How many numbers ``sum(range(n))`` adds in at least about ``seconds`` on this machine:
    the fastest of five timings, since a loaded machine only makes a run slower."""
    fastest = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        sum(range(1_000_000))
        fastest = min(fastest, time.perf_counter() - began)
    return int(1_000_000 * seconds / fastest)


SUM_SIZE = 0


async def sums_holding_the_interpreter() -> None:
    total = sum(range(SUM_SIZE))  # a builtin that never lets go of the interpreter lock
    for i in range(20_000):
        total += i


def test_a_builtin_holding_the_interpreter_lock_is_still_named(source: Any) -> None:
    """The watchdog cannot run during such a call: it sees the call just as it returns."""
    global SUM_SIZE
    SUM_SIZE = sum_size(0.3)
    [report] = watch(source, sums_holding_the_interpreter).reports
    assert report.location is not None
    assert report.location.lineno == line_of(sums_holding_the_interpreter, "sum(range")
    assert report.call == "sum(range(SUM_SIZE))"
    assert report.duration >= 0.1


async def sleeps_long() -> None:
    time.sleep(0.45)


def test_a_long_block_gives_one_note_then_one_report(source: Any) -> None:
    watched = watch(source, sleeps_long, still_blocked_after=0.15)
    note, final = watched.reports
    assert note.still_blocked and not final.still_blocked
    assert note.duration >= 0.15
    assert note.started == final.started
    assert note.call == final.call == "time.sleep(0.45)"
    assert final.duration >= 0.44


def test_any_block_source_will_do() -> None:
    """Only ``current_step()`` and ``now()`` are needed: a stand-in source works too."""
    [report] = watch(SOURCES["stepsource"], sleeps).reports
    assert report.call == "time.sleep(0.2)"
    assert report.location is not None
    assert report.location.lineno == line_of(sleeps, "time.sleep")


async def blocks_in_a_loop() -> None:
    for _ in range(3):
        time.sleep(0.1)
        await asyncio.sleep(0)


def test_a_task_blocking_again_and_again_is_reported_once(source: Any) -> None:
    watched = watch(source, blocks_in_a_loop)
    dog = watched.watchdog
    assert dog is not None
    assert len(watched.reports) == 1  # said once
    # All three on the timeline (stop() reports the last); a loaded machine may add a stall
    # of the harness's own polling, at another line.
    kept = [r for r in dog.reports() if r.call == "time.sleep(0.1)"]
    assert len(kept) == 3


class _Stuck:
    """A source whose loop is stuck in one step from the start."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter()

    def current_step(self) -> tuple[float, None]:
        return self.start, None


def test_stop_joins_the_thread() -> None:
    dog = Watchdog(_Stuck(), threshold=0.01)
    before = set(threading.enumerate())  # the REPL shell of other tests may run its own
    dog.start(threading.get_ident())
    assert dog.running
    with pytest.raises(RuntimeError, match="already running"):
        dog.start(threading.get_ident())
    dog.stop()
    assert not dog.running
    assert not [
        t for t in threading.enumerate() if t.name == "asyncrepl-watchdog" and t not in before
    ]


def test_a_bad_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold must be a positive number"):
        Watchdog(_Stuck(), threshold=0)


def test_stop_reports_a_block_that_has_just_ended(source: Any) -> None:
    reports: list[object] = []
    loop = asyncio.new_event_loop()
    recorder, undo = source(loop)
    # A long sample interval: the watchdog sees the block start, never its end. Started
    # before the loop runs, so that no step of the test's own is long before the block.
    dog = Watchdog(recorder, threshold=0.05, sample_interval=5.0, on_report=reports.append)
    dog.start(threading.get_ident())
    try:
        loop.run_until_complete(sleeps())
    finally:
        dog.stop()
        undo()
        loop.close()
    [report] = reports
    assert getattr(report, "call", None) == "time.sleep(0.2)"


async def collects_then_sleeps() -> None:
    # Over the threshold, all of it the collector, inside a line that is not a call of
    # gc.collect() (as when a collection falls due during any line).
    sum(map(gc.collect, [2]))
    await asyncio.sleep(0)
    time.sleep(0.05)  # the block that is reported


async def calls_the_collector() -> None:
    gc.collect()  # a call of the user's: reported as any other


def test_a_block_that_was_the_garbage_collector_is_not_put_on_a_line(source: Any) -> None:
    # The collector runs inside whatever step is running; the stack sampled after it is the
    # next line, which did not block: a 100,000-task run had a one-line worker reported.
    junk = [[] for _ in range(1_000_000)]  # live objects for a full collection to walk
    began = time.perf_counter()
    gc.collect()
    took = time.perf_counter() - began  # about 30 ms
    watched = watch(source, collects_then_sleeps, threshold=min(0.8 * took, 0.04))
    assert [report.call for report in watched.final] == ["time.sleep(0.05)"], watched.final
    called = watch(source, calls_the_collector, threshold=min(0.8 * took, 0.04))
    assert [report.call for report in called.final] == ["gc.collect()"], called.final
    assert len(junk) == 1_000_000
