"""The recorder on real loops: steps, creation, outcomes, cancellation, bounds, detaching."""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import os
import sys
import threading
import time
import weakref
from asyncio import base_events
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from asyncrepl.instrument.loopclass import ORIGINAL
from asyncrepl.instrument.recorder import Recorder
from asyncrepl.records import FORGOTTEN, TaskState
from asyncrepl.render.timeline_summary import summarize

HERE = os.path.relpath(__file__)  # labels name a file by its path below the current folder


def run(recorder: Recorder, main: Coroutine[Any, Any, Any]) -> Any:
    """Run ``main`` on a fresh loop under ``recorder``; detach and close afterwards."""
    loop = asyncio.new_event_loop()
    try:
        assert recorder.attach(loop) is None
        return loop.run_until_complete(loop.create_task(main, name="main"))
    finally:
        recorder.detach()
        loop.close()


def line_of(text: str) -> int:
    """The line of this file that contains ``text`` (so tests do not hard-code numbers)."""
    with open(__file__, encoding="utf-8") as source:
        return next(n for n, line in enumerate(source, 1) if text in line)


def task_steps(recorder: Recorder, *ids: int) -> list[int]:
    return [s.task_id for s in recorder.steps() if s.task_id in ids]


async def ticker(n: int) -> int:
    for _ in range(n):
        await asyncio.sleep(0)
    return n


def test_steps_of_two_tasks_interleave() -> None:
    rec = Recorder(capacity=1000)
    ids: list[int] = []

    async def main() -> None:
        a = asyncio.create_task(ticker(3), name="a")
        b = asyncio.create_task(ticker(3), name="b")
        ids.extend([rec.task_id(a), rec.task_id(b)])
        await asyncio.gather(a, b)

    run(rec, main())
    a, b = ids
    assert task_steps(rec, a, b) == [a, b] * 4  # first step, three wake-ups each
    steps = rec.steps()
    assert all(s.start <= s.end for s in steps)
    assert all(x.end <= y.start for x, y in itertools.pairwise(steps))


def test_creation_parent_and_location() -> None:
    rec = Recorder()
    seen: dict[str, Any] = {}

    async def main() -> None:
        child = asyncio.create_task(ticker(1), name="child")  # creates child
        seen["main"] = rec.stats(asyncio.current_task())  # type: ignore[arg-type]
        seen["child"] = rec.stats(child)
        await asyncio.gather(ticker(1))  # gathers
        await child

    run(rec, main())
    child, parent = seen["child"], seen["main"]
    assert child.parent_id == parent.id
    assert child.coro == "ticker" and child.name == "child"
    assert child.created_at.label == f"{HERE}:{line_of('# creates child')}"
    assert child.created_at.function == "test_creation_parent_and_location.<locals>.main"
    assert "asyncio.create_task(ticker(1)" in child.created_at.source
    gathered = [t for t in rec.finished() if t.name not in ("child",) and t.coro == "ticker"]
    assert gathered[0].created_at is not None
    assert gathered[0].created_at.label == f"{HERE}:{line_of('# gathers')}"


def test_outcomes_result_exception_and_who_cancelled() -> None:
    rec = Recorder()

    async def fails() -> None:
        await asyncio.sleep(0)
        raise TypeError("can't add int and str")

    async def main() -> None:
        ok = asyncio.create_task(ticker(2), name="ok")
        bad = asyncio.create_task(fails(), name="bad")
        sleeper = asyncio.create_task(asyncio.sleep(10), name="sleeper")
        await asyncio.sleep(0)
        sleeper.cancel("enough waiting")  # cancels sleeper
        await asyncio.gather(ok, bad, sleeper, return_exceptions=True)

    run(rec, main())
    done = {t.name: t for t in rec.finished()}
    assert done["ok"].state is TaskState.DONE and done["ok"].outcome == "returned 2"
    assert done["bad"].state is TaskState.FAILED
    assert done["bad"].outcome == "TypeError: can't add int and str"
    where = f"{HERE}:{line_of('# cancels sleeper')}"
    assert done["sleeper"].state is TaskState.CANCELLED
    assert done["sleeper"].outcome == f"cancelled by Task 'main' at {where}: enough waiting"
    assert done["ok"].ended is not None and done["ok"].steps == 3 and done["ok"].run_time > 0


def test_cancelled_from_a_plain_callback_names_no_task() -> None:
    rec = Recorder()

    async def main() -> None:
        sleeper = asyncio.create_task(asyncio.sleep(10), name="sleeper")
        asyncio.get_running_loop().call_soon(sleeper.cancel)
        await asyncio.gather(sleeper, return_exceptions=True)

    run(rec, main())
    assert {t.name: t.outcome for t in rec.finished()}["sleeper"] == "cancelled"


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_eager_tasks_first_step_inside_create_task() -> None:
    rec = Recorder()
    ids: dict[str, int] = {}

    async def quick() -> int:
        return 7

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(asyncio.eager_task_factory)  # after attach, as a user would
        assert loop.get_task_factory() is asyncio.eager_task_factory
        me = asyncio.current_task()
        assert me is not None
        ids["main"] = rec.task_id(me)
        done = asyncio.create_task(quick(), name="quick")  # finishes inside create_task
        slow = asyncio.create_task(ticker(2), name="slow")
        ids["quick"], ids["slow"] = rec.task_id(done), rec.task_id(slow)
        assert done.done() and not slow.done()
        await slow

    run(rec, main())
    finished = {t.name: t for t in rec.finished()}
    assert finished["quick"].outcome == "returned 7" and finished["quick"].steps == 1
    assert finished["quick"].parent_id == ids["main"]
    assert finished["slow"].steps == 3
    order = task_steps(rec, ids["main"], ids["quick"], ids["slow"])
    m, q, s = ids["main"], ids["quick"], ids["slow"]
    # Each eager first step runs inside main's step, which is one step around them.
    assert order[:3] == [m, q, s]
    steps = rec.steps()
    first = next(x for x in steps if x.task_id == m)
    inside = [x for x in steps if first.start < x.start < first.end]
    assert [x.task_id for x in inside] == [q, s] and all(x.end < first.end for x in inside)
    assert steps.nested is not None
    outer = [x for x, flag in zip(steps, steps.nested, strict=True) if not flag]
    assert all(x.end <= y.start for x, y in itertools.pairwise(outer))


def test_task_created_before_attach_gets_an_id_when_first_seen() -> None:
    rec = Recorder()
    loop = asyncio.new_event_loop()
    try:
        early = loop.create_task(ticker(2), name="early")
        assert rec.attach(loop) is None
        early_id = rec.task_id(early)
        loop.run_until_complete(early)
    finally:
        rec.detach()
        loop.close()
    assert task_steps(rec, early_id) == [early_id] * 3
    info = rec.finished()[-1]
    assert (info.name, info.created_at, info.parent_id) == ("early", None, None)


def test_plain_callbacks_are_steps_of_task_zero() -> None:
    rec = Recorder()
    ran_at: list[float] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.call_soon(lambda: ran_at.append(rec.now()))
        loop.call_later(0.01, lambda: ran_at.append(rec.now()))
        await asyncio.sleep(0.03)

    run(rec, main())
    plain = [s for s in rec.steps() if s.task_id == 0]
    assert len(ran_at) == 2
    for t in ran_at:
        assert any(s.start <= t <= s.end for s in plain)


def test_ring_wraps_and_keeps_the_newest_steps() -> None:
    rec = Recorder(capacity=6)
    run(rec, ticker(20))
    kept = rec.steps()
    assert 2 <= len(kept) <= 5  # six entries: steps, and the loop waiting between rounds
    whole = Recorder()
    run(whole, ticker(20))

    def names(recorder: Recorder) -> list[str]:
        named = {t.id: t.name for t in recorder.timeline().tasks}
        return [named.get(s.task_id, "callback") for s in recorder.steps()]

    assert names(rec) == names(whole)[-len(kept) :]
    assert kept[-1].end == max(s.end for s in kept)  # the newest are kept
    assert rec.steps(start=kept[1].start) == kept[1:]
    # the steps the ring no longer holds still count in the task's totals
    main = next(t for t in rec.finished() if t.name == "main")
    assert main.steps == 21 and main.run_time > 0


def test_finished_history_is_bounded() -> None:
    rec = Recorder(finished_limit=3)

    async def main() -> None:
        for n in range(10):
            await asyncio.create_task(ticker(0), name=f"t{n}")

    run(rec, main())
    assert [t.name for t in rec.finished()] == ["t8", "t9", "main"]


_CREATES_T = '            await asyncio.create_task(ticker(2), name=f"t{n}")  # creates t0, t1, t2'


def test_a_forgotten_task_lives_from_its_first_step_to_its_last_on_the_timeline() -> None:
    rec = Recorder(finished_limit=1)

    async def main() -> None:
        for n in range(3):
            await asyncio.create_task(ticker(2), name=f"t{n}")  # creates t0, t1, t2

    run(rec, main())
    timeline = rec.timeline()
    forgotten = [t for t in timeline.tasks if t.name.startswith("Task #")]
    assert len(forgotten) == 3  # t0, t1, t2: only main is remembered
    assert timeline.notes == ()  # the chart says it: see render.timeline
    assert all(t.outcome == FORGOTTEN and t.coro == "ticker" and t.by_user for t in forgotten)
    sites = {t.created_at.label for t in forgotten if t.created_at}
    line = Path(__file__).read_text().splitlines().index(_CREATES_T) + 1
    assert sites == {f"{os.path.relpath(__file__)}:{line}"}  # main's line
    for info in forgotten:
        own = [s for s in timeline.steps if s.task_id == info.id]
        assert len(own) == 3
        assert (info.created, info.ended) == (own[0].start, own[-1].end)


def test_no_task_is_kept_alive() -> None:
    rec = Recorder()
    refs: list[weakref.ref[asyncio.Task[Any]]] = []

    async def main() -> None:
        task = asyncio.create_task(ticker(2), name="short-lived")
        refs.append(weakref.ref(task))
        await task

    run(rec, main())
    gc.collect()
    assert refs[0]() is None
    assert "short-lived" in [t.name for t in rec.finished()]


@pytest.mark.parametrize(
    "make",
    [asyncio.Task, getattr(asyncio.tasks, "_PyTask", asyncio.Task)],
    ids=["asyncio.Task(coro)", "a pure-Python Task"],
)
def test_a_task_made_outside_create_task_keeps_its_outcome_once_freed(make: Any) -> None:
    # Seen first at its first step; freed (nothing holds it) before anyone asks.
    rec = Recorder()

    async def main() -> int:
        return await make(ticker(3), loop=asyncio.get_running_loop(), name="direct")

    assert run(rec, main()) == 3
    gc.collect()
    direct = next(t for t in rec.finished() if t.name == "direct")
    assert (direct.outcome, direct.state, direct.steps) == ("returned 3", TaskState.DONE, 4)


def test_our_own_failure_never_breaks_the_loop(caplog: Any) -> None:
    ticks = iter(range(1000))

    def clock() -> float:
        n = next(ticks)
        if n == 7:
            raise ValueError("clock bug")
        return float(n)

    rec = Recorder(clock=clock)
    with caplog.at_level(logging.ERROR, logger="asyncrepl"):
        assert run(rec, ticker(10)) == 10
    assert len([r for r in caplog.records if "recorder failed" in r.getMessage()]) == 1
    assert rec.loop is None  # switched off: the loop runs its own rounds again


def asyncio_methods() -> list[Any]:
    """BaseEventLoop's methods the recorder replaces while it watches a loop."""
    names = ("_run_once", "create_task", "set_task_factory", "get_task_factory")
    return [vars(base_events.BaseEventLoop)[name] for name in names]


def test_detach_restores_the_loop() -> None:
    asyncio_own = asyncio_methods()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kw: Any) -> asyncio.Task[Any]:
        return asyncio.Task(coro, loop=loop, **kw)

    loop = asyncio.new_event_loop()
    try:
        loop.set_task_factory(factory)
        own_attributes = set(vars(loop))
        rec = Recorder()
        assert rec.attach(loop) is None
        # patched while watched (and maybe before: an IPython test's shell may still watch its loop)
        assert not set(asyncio_methods()) & set(ORIGINAL.values())
        assert set(vars(loop)) == own_attributes  # no attribute added: see loopclass.py
        assert loop.get_task_factory() is factory
        loop.set_task_factory(None)
        assert loop.get_task_factory() is None
        loop.set_task_factory(factory)
        loop.run_until_complete(ticker(1))
        rec.detach()
        assert asyncio_methods() == asyncio_own
        assert loop.get_task_factory() is factory
        assert rec.loop is None
    finally:
        loop.close()


def test_two_recorders_on_one_loop() -> None:
    asyncio_own = asyncio_methods()
    first, second = Recorder(), Recorder()
    loop = asyncio.new_event_loop()
    try:
        assert first.attach(loop) is None and second.attach(loop) is None
        loop.run_until_complete(ticker(3))
        assert len(first.steps()) == len(second.steps()) >= 4
        first.detach()
        loop.run_until_complete(ticker(3))
        assert len(second.steps()) >= len(first.steps()) + 4
        second.detach()
        assert asyncio_methods() == asyncio_own
        gc.collect()  # each recorder hears when a task it knows is freed, and how it ended
        assert [t.outcome for t in first.finished() if t.coro == "ticker"] == ["returned 3"]
        assert [t.outcome for t in second.finished() if t.coro == "ticker"] == ["returned 3"] * 2
    finally:
        loop.close()


class _OwnHandle:
    """A callback holder that is not an asyncio Handle, as in uvloop."""

    def __init__(self, callback: Any, args: Any, context: Any) -> None:
        self._callback, self._args, self._context = callback, args, context
        self._cancelled = False
        self._source_traceback = None

    def cancel(self) -> None:
        self._cancelled = True

    def cancelled(self) -> bool:
        return self._cancelled

    def _run(self) -> None:
        self._context.run(self._callback, *self._args)


class _OwnHandleLoop(asyncio.SelectorEventLoop):
    def _call_soon(self, callback: Any, args: Any, context: Any) -> Any:
        import contextvars

        handle = _OwnHandle(callback, args, context or contextvars.copy_context())
        self._ready.append(handle)  # type: ignore[attr-defined]
        return handle


def test_a_loop_with_handles_of_its_own_is_recorded_through_its_tasks() -> None:
    # It used to be refused with a reason; now its tasks time their own steps, and one line
    # says what that leaves out.
    asyncio_own = asyncio_methods()
    loop = _OwnHandleLoop()
    try:
        rec = Recorder()
        assert rec.attach(loop) is None and rec.loop is loop
        assert loop.run_until_complete(loop.create_task(ticker(2))) == 2
        rec.detach()
        timeline = rec.timeline()
        (note,) = timeline.notes
        assert "\n" not in note and "_OwnHandleLoop" in note
        assert "times each task's steps from the task itself" in note
        (task,) = [t for t in timeline.tasks if t.coro == "ticker"]
        assert [s.task_id for s in timeline.steps].count(task.id) == 3
        assert asyncio_methods() == asyncio_own
    finally:
        loop.close()


def test_current_step_from_another_thread_while_the_loop_is_stuck() -> None:
    rec = Recorder()
    seen: list[Any] = []
    blocking = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + 5
        blocking.wait(5)
        while time.monotonic() < deadline:
            step = rec.current_step()
            if step is not None and step[1] is not None and step[1].get_name() == "stuck":
                seen.append(step)
                return

    async def stuck() -> None:
        blocking.set()
        watcher.join(5)  # blocks the loop until the watcher saw this step

    async def main() -> None:
        await asyncio.create_task(stuck(), name="stuck")

    watcher = threading.Thread(target=watch)
    watcher.start()
    run(rec, main())
    assert seen and seen[0][0] <= rec.now()
    assert rec.current_step() is None


def test_timeline_states_and_window() -> None:
    rec = Recorder()
    found: dict[str, Any] = {}

    async def main() -> None:
        sleeper = asyncio.create_task(asyncio.sleep(1), name="sleeper")
        await asyncio.create_task(ticker(1), name="quick")
        await asyncio.sleep(0)
        later = asyncio.create_task(ticker(1), name="later")
        me = asyncio.current_task()
        assert me is not None
        rec.mark_cell_task(me, 3)
        found["timeline"] = rec.timeline()
        found["stats"] = rec.stats(me)
        sleeper.cancel()
        await later

    run(rec, main())
    timeline = found["timeline"]
    states = {t.name: t.state for t in timeline.tasks}
    assert states == {
        "main": TaskState.RUNNING,
        "sleeper": TaskState.SUSPENDED,
        "quick": TaskState.DONE,
        "later": TaskState.SCHEDULED,
    }
    assert [t.id for t in timeline.tasks] == sorted(t.id for t in timeline.tasks)
    assert found["stats"].is_cell and found["stats"].cell == 3
    assert timeline.steps and timeline.start <= timeline.steps[0].start
    quick = next(t for t in timeline.tasks if t.name == "quick")
    only = rec.timeline(task_ids={quick.id})
    assert [t.name for t in only.tasks] == ["quick"]
    assert {s.task_id for s in only.steps} == {quick.id}
    assert rec.timeline(start=rec.now() + 10).steps == ()


async def print_values(values: list[int], delay: float) -> None:
    """The tutorial's example: print each value after a delay."""
    for value in values:
        await asyncio.sleep(delay)
        print(value)


def test_tutorial_print_values_gathered(capsys: Any) -> None:
    rec = Recorder()
    ids: list[int] = []

    async def main() -> None:
        first = asyncio.ensure_future(print_values([1, 3, 5], 0.2))
        second = asyncio.ensure_future(print_values([2, 4], 0.3))
        ids.extend([rec.task_id(first), rec.task_id(second)])
        await asyncio.gather(first, second)

    run(rec, main())
    # 4 and 5 are both due at 0.6 s: which comes first depends on how late the earlier sleeps
    # ended (a loaded machine gives "1 2 3 5 4", in plain asyncio too). Each task's own order
    # is certain.
    printed = capsys.readouterr().out.split()
    assert sorted(printed) == ["1", "2", "3", "4", "5"] and printed[:3] == ["1", "2", "3"]
    assert printed.index("2") < printed.index("4")
    steps = rec.steps()
    origin = steps[0].start
    first = [s.start - origin for s in steps if s.task_id == ids[0]]
    second = [s.start - origin for s in steps if s.task_id == ids[1]]
    # A sleep never ends early; on a busy machine it may end late, so only the start of each
    # step after the first is bounded below by the delays before it (clock resolution aside).
    assert len(first) == 4 and len(second) == 3
    assert first[0] == pytest.approx(0, abs=0.05) and second[0] == pytest.approx(0, abs=0.05)
    assert all(b - a >= 0.2 - 0.01 for a, b in itertools.pairwise(first))
    assert all(b - a >= 0.3 - 0.01 for a, b in itertools.pairwise(second))


@pytest.mark.parametrize("factory", [None, asyncio.Task], ids=["asyncio's", "a task factory"])
def test_what_recording_a_steps_new_tasks_took(factory: Any) -> None:
    # The watchdog keeps this part of a block apart from the user's (see recording_in).
    ticks = itertools.count()
    rec = Recorder(capacity=1000, clock=lambda: float(next(ticks)))
    seen: dict[str, tuple[float, int]] = {}

    async def main() -> None:
        if factory is not None:
            asyncio.get_running_loop().set_task_factory(
                lambda loop, coro, **kwargs: factory(coro, loop=loop, **kwargs)
            )
        step = rec.current_step()
        assert step is not None
        tasks = [asyncio.create_task(asyncio.sleep(0)) for _ in range(300)]
        seen["this step"] = rec.recording_in(step[0])
        seen["another step"] = rec.recording_in(step[0] + 0.5)
        await asyncio.gather(*tasks)
        later = rec.current_step()
        assert later is not None
        seen["a step that made none"] = rec.recording_in(later[0])
        # The watchdog asks once the block has ended: the next steps may have made tasks
        # by then (the REPL's prompt is a task), and the answer is still there.
        await asyncio.gather(*(asyncio.create_task(asyncio.sleep(0)) for _ in range(2)))
        seen["asked after a later step made tasks"] = rec.recording_in(step[0])

    gc.disable()  # the collector's pauses are noted on the same clock: none here
    try:
        run(rec, main())
    finally:
        gc.enable()
    # Each task took two reads of the counting clock: one tick each between them.
    assert seen == {
        "this step": (300.0, 300),
        "another step": (0.0, 0),
        "a step that made none": (0.0, 0),
        "asked after a later step made tasks": (300.0, 300),
    }


def test_the_step_that_holds_the_loop_is_the_same_inside_a_task_factory() -> None:
    # Through a task factory (the REPL has one), create_task stages an entry for a possible
    # eager first step and takes it back: read from another thread, it looked like a new step,
    # and a block of 1.6 s that started 100,000 tasks was reported as 0.14 s.
    rec = Recorder(capacity=1000)
    seen: list[Any] = []

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        seen.append(rec.current_step())
        return asyncio.Task(coro, loop=loop, **kwargs)

    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(factory)
        seen.append(rec.current_step())
        await asyncio.gather(*(asyncio.sleep(0) for _ in range(3)))
        seen.append(rec.current_step())

    run(rec, main())
    before, *inside, after = seen
    assert len(inside) == 3 and before is not None and after is not None
    assert all(step == before for step in inside)  # main's step goes on
    assert before[1].get_name() == "main" and after[1] is before[1] and after[0] > before[0]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_an_eager_first_step_is_part_of_the_step_that_holds_the_loop() -> None:
    rec = Recorder(capacity=1000)
    seen: dict[str, Any] = {}

    async def eager() -> None:
        seen["eager"] = rec.current_step()
        await asyncio.sleep(0)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        seen["main"] = rec.current_step()
        task = asyncio.create_task(eager())  # its first step runs here, inside main's
        seen["after"] = rec.current_step()
        await task

    run(rec, main())
    assert seen["eager"] == seen["main"] == seen["after"]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_a_step_that_starts_many_eager_tasks_holds_the_loop_from_its_start() -> None:
    # A cell that started 100,000 tasks through the eager factory held the loop for 2.6 s:
    # each eager first step, and the entry that resumes the cell's step after it, looked like
    # a new step (past the few entries that were searched back), and the block was reported
    # as 0.12 s. Recording the tasks is asyncrepl's work within that same step.
    rec = Recorder(capacity=100_000)
    seen: dict[str, Any] = {}

    async def quick() -> int:
        return 1

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        seen["before"] = rec.current_step()
        tasks = [asyncio.create_task(quick()) for _ in range(200)]
        seen["after"] = rec.current_step()
        seen["own"] = rec.recording_in(seen["before"][0])
        await asyncio.gather(*tasks)

    run(rec, main())
    assert seen["before"] is not None and seen["before"][1].get_name() == "main"
    assert seen["after"] == seen["before"]
    seconds, tasks = seen["own"]
    assert tasks == 200 and seconds > 0


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_the_step_that_holds_the_loop_is_the_same_at_every_moment_of_create_task() -> None:
    # The watchdog reads from another thread at any moment. The eager step's entry was named
    # with the task's id before the entry resuming the step after it was added: for that
    # moment the newest entry looked like a new step, and a long block was reported in parts.
    # The recorder's clock is read at each of those moments: the step asked for there too.
    inside = False
    seen: list[Any] = []

    def clock() -> float:
        if inside:
            seen.append(rec.current_step())
        return time.perf_counter()

    rec = Recorder(capacity=10_000, clock=clock)

    async def quick() -> int:
        return 1

    async def main() -> None:
        nonlocal inside
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        step = rec.current_step()
        inside = True
        tasks = [asyncio.create_task(quick()) for _ in range(50)]
        inside = False
        seen.append(step)
        await asyncio.gather(*tasks)

    run(rec, main())
    *during, step = seen
    assert len(during) >= 100 and step is not None and step[1].get_name() == "main"
    assert all(moment == step for moment in during)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_a_step_that_ran_eager_first_steps_is_one_step_in_the_timeline() -> None:
    # A cell that started 100,000 eager tasks held the loop for 2.5 s: %timeline drew its
    # row with "waited" gaps where the eager steps ran, and its summary said "longest step
    # 93 ms (work (Task #...))" and no step over the threshold.
    rec = Recorder(capacity=10_000)

    async def quick() -> int:
        time.sleep(0.002)  # each eager step takes a little; the whole takes more
        return 1

    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        tasks = [asyncio.create_task(quick()) for _ in range(50)]
        await asyncio.gather(*tasks)

    run(rec, main())
    timeline = rec.timeline()
    summary = summarize(timeline)
    assert summary.longest_task == "main" and summary.longest is not None
    assert summary.longest.duration >= 50 * 0.002
    assert summary.blocking_steps == 1 and summary.busy <= summary.wall
    (main_id,) = [t.id for t in timeline.tasks if t.name == "main"]
    first, *_ = [s for s in timeline.steps if s.task_id == main_id]
    eager = [s for s in timeline.steps if s.task_id not in (main_id, 0)]
    assert len(eager) == 50  # each eager step once, inside main's first step
    assert all(first.start < s.start and s.end < first.end for s in eager)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_eager_tasks_end_in_order_and_keep_the_names_create_task_gives() -> None:
    # An eager task ends inside create_task, which names it afterwards. Its end is noted
    # then, in the order tasks end: noted later instead (when shown), 1,000 eager tasks still
    # held by the cell pushed the cell's own task out of the finished history, and its
    # chart row lost its name. The name comes when the task is shown or freed.
    rec = Recorder(finished_limit=5)
    kept: list[asyncio.Task[Any]] = []

    async def work() -> int:
        return 1

    async def main() -> None:
        asyncio.get_running_loop().set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        kept.extend(asyncio.create_task(work(), name=f"w{i}") for i in range(20))

    run(rec, main())
    names = [info.name for info in rec.finished()]
    assert names[-1] == "main" and names[:-1] == ["w16", "w17", "w18", "w19"]
    kept.clear()  # freed now: the names stay
    assert [info.name for info in rec.finished()] == names


def test_a_cells_long_step_kept_someone_waiting_only_while_another_task_was_alive() -> None:
    # A cell that computes with nothing else on the loop held up nobody: the REPL says
    # nothing about it. Any other task's long step held up the prompt besides.
    rec = Recorder()
    spans: dict[str, tuple[float, float]] = {}
    kept: dict[str, bool] = {}

    def hold(label: str) -> None:
        step = rec.current_step()
        assert step is not None
        time.sleep(0.01)
        spans[label] = step[0], rec.now()

    async def background() -> None:
        hold("a task that runs no cell")

    async def main() -> None:
        me = asyncio.current_task()
        assert me is not None
        rec.mark_cell_task(me, 1)
        await asyncio.create_task(background())
        hold("alone")
        await asyncio.sleep(0)
        other = asyncio.create_task(asyncio.sleep(10))
        hold("beside a task")
        await asyncio.sleep(0)
        other.cancel()
        await asyncio.gather(other, return_exceptions=True)
        hold("after it ended")  # still held by `other`: done all the same
        await asyncio.sleep(0)
        kept.update((label, rec.kept_waiting(*span)) for label, span in spans.items())

    run(rec, main())
    assert kept == {
        "a task that runs no cell": True,
        "alone": False,
        "beside a task": True,
        "after it ended": False,
    }
