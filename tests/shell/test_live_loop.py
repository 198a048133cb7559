"""The live loop in IPython's in-process shell: every cell on one running loop,
asyncio.run at the top level, coroutines nobody awaited, background task failures."""

from __future__ import annotations

import asyncio
import gc
import sys
import warnings
from typing import Any

import pytest

from asyncrepl.ipython.state import session_of
from asyncrepl.records import IncidentKind


def run(ip: Any, cell: str) -> Any:
    result = ip.run_cell(cell, store_history=True)
    return result


def test_create_task_works_in_a_cell_without_await(arip: Any) -> None:
    result = run(
        arip,
        "seen = []\n"
        "async def note():\n"
        "    seen.append(asyncio.get_running_loop())\n"
        "t = asyncio.create_task(note())",
    )
    assert result.error_in_exec is None
    run(arip, "await t")
    assert arip.user_ns["seen"] == [arip._asyncrepl_state.loop]


def test_every_cell_runs_on_the_same_running_loop(arip: Any) -> None:
    run(arip, "first = asyncio.get_running_loop()")
    run(arip, "await asyncio.sleep(0)\nsecond = asyncio.get_running_loop()")
    run(arip, "third = asyncio.get_running_loop()")
    first, second, third = (arip.user_ns[n] for n in ("first", "second", "third"))
    assert first is second is third
    assert not first.is_closed()


def test_a_task_goes_on_between_cells(arip: Any) -> None:
    run(
        arip,
        "ticks = []\n"
        "async def ticker():\n"
        "    while True:\n"
        "        ticks.append(1)\n"
        "        await asyncio.sleep(0.01)\n"
        "ticking = asyncio.create_task(ticker())",
    )
    run(arip, "await asyncio.sleep(0.1)")
    assert len(arip.user_ns["ticks"]) >= 3
    run(arip, "ticking.cancel()")


def test_asyncio_run_at_top_level_awaits_main_and_returns_its_value(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(arip, "async def main():\n    print('main')\n    return 42")
    result = run(arip, "value = asyncio.run(main())")
    assert result.error_in_exec is None
    assert arip.user_ns["value"] == 42
    out = capsys.readouterr().out
    assert "already running" in out and "main" in out
    assert [i.code for i in session_of(arip).journal] == ["asyncio-run-awaited"]


def test_asyncio_run_cancels_the_tasks_main_left_running(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        arip,
        "async def forever():\n    await asyncio.sleep(100)\n"
        "async def main():\n    global left\n    left = asyncio.create_task(forever())\n",
    )
    run(arip, "asyncio.run(main())")
    assert arip.user_ns["left"].cancelled()
    assert "cancelled 1 task it left running" in capsys.readouterr().out


def test_asyncio_run_from_a_running_coroutine_still_fails(arip: Any) -> None:
    run(arip, "async def inner():\n    return 1\nasync def outer():\n    asyncio.run(inner())")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(arip, "await outer()")
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert isinstance(result.error_in_exec, RuntimeError)
    assert "running event loop" in str(result.error_in_exec)


def test_a_coroutine_nobody_awaits_gets_a_hint_and_no_warning_later(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(arip, "async def main():\n    return 1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(arip, "main()")
        gc.collect()
    assert result.result is None
    out = capsys.readouterr().out
    assert "`main()` made a coroutine object, but nothing ran" in out
    assert "Fix: await main()" in out
    assert not [w for w in caught if "never awaited" in str(w.message)]
    assert session_of(arip).journal.last().code == "unawaited-coroutine"


def test_other_values_still_display(arip: Any) -> None:
    result = run(arip, "len('abc')")
    assert result.result == 3


def test_a_background_failure_is_reported_when_the_task_ends(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(arip, "async def boom():\n    await asyncio.sleep(0)\n    1 / 0")
    run(arip, "bomb = asyncio.create_task(boom(), name='bomb')")
    run(arip, "await asyncio.sleep(0.05)")
    out = capsys.readouterr().out
    assert "Task 'bomb' (boom) failed: ZeroDivisionError: division by zero" in out
    assert "1 / 0" in out and "<cell " in out
    incident = session_of(arip).journal.last()
    assert incident.kind is IncidentKind.TASK_EXCEPTION
    assert isinstance(incident.payload, ZeroDivisionError)


def test_a_retrieved_failure_is_not_reported_twice(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(arip, "async def boom():\n    await asyncio.sleep(0)\n    1 / 0")
    result = run(arip, "await asyncio.create_task(boom(), name='awaited')")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    run(arip, "await asyncio.sleep(0.05)")
    assert "Task 'awaited'" not in capsys.readouterr().out


def test_gather_retrieves_its_childrens_failures(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(arip, "async def boom():\n    1 / 0")
    result = run(arip, "await asyncio.gather(boom(), return_exceptions=True)")
    assert isinstance(result.result[0], ZeroDivisionError)
    run(arip, "await asyncio.sleep(0.02)")
    assert "failed" not in capsys.readouterr().out


BOOMS = "async def boom(delay, text):\n    await asyncio.sleep(delay)\n    raise ValueError(text)\n"
#: t1 fails at once, t2 a little later.
TWO_FAILING = (
    "t1 = asyncio.create_task(boom(0, 'one'), name='t1')\n"
    "t2 = asyncio.create_task(boom(0.05, 'two'), name='t2')\n"
)


def test_gather_with_return_exceptions_retrieves_both_tasks(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """t1 fails long before t2 ends; the gather retrieves both, so neither is reported."""
    run(arip, BOOMS)
    result = run(
        arip,
        TWO_FAILING + "results = await asyncio.gather(t1, t2, return_exceptions=True)",
    )
    assert result.error_in_exec is None
    run(arip, "await asyncio.sleep(0.02)")
    out = capsys.readouterr().out
    assert "failed" not in out
    assert [str(e) for e in arip.user_ns["results"]] == ["one", "two"]


def test_wait_then_exception_in_the_same_cell_is_not_reported(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(arip, BOOMS)
    run(
        arip,
        TWO_FAILING + "done, pending = await asyncio.wait([t1, t2])\n"
        "errors = sorted(str(t.exception()) for t in done)",
    )
    run(arip, "await asyncio.sleep(0.02)")
    assert "failed" not in capsys.readouterr().out
    assert arip.user_ns["errors"] == ["one", "two"]


def test_a_failure_nobody_retrieved_is_reported_when_its_cell_ends(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reported once, after the cell's own output, not while the cell could still look."""
    run(arip, BOOMS)
    run(
        arip,
        "t1 = asyncio.create_task(boom(0, 'one'), name='t1')\n"
        "await asyncio.sleep(0.05)\n"
        "print('cell done')",
    )
    out = capsys.readouterr().out
    assert out.count("Task 't1' (boom) failed: ValueError: one") == 1
    assert out.index("cell done") < out.index("Task 't1'")
    run(arip, "await asyncio.sleep(0.02)")
    assert "failed" not in capsys.readouterr().out


def test_unload_restores_the_shell(ip: Any) -> None:
    ip.run_line_magic("load_ext", "asyncrepl")
    assert "should_run_async" in ip.__dict__
    ip.run_line_magic("unload_ext", "asyncrepl")
    try:
        assert "should_run_async" not in ip.__dict__
        assert "tasks" not in ip.magics_manager.magics["line"]
        assert "__asyncrepl__" not in ip.user_ns
        assert not any(type(t).__name__ == "CellTransformer" for t in ip.ast_transformers)
        result = ip.run_cell("asyncio.get_running_loop()")
        assert isinstance(result.error_in_exec, RuntimeError)  # plain IPython again
    finally:
        ip.run_line_magic("load_ext", "asyncrepl")
    assert ip.run_cell("asyncio.get_running_loop()").error_in_exec is None


def test_the_loop_is_asyncios_current_loop(arip: Any) -> None:
    run(arip, "loop = asyncio.get_running_loop()")
    loop = arip.user_ns["loop"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert asyncio.get_event_loop() is loop


def test_loop_stop_in_a_cell_does_not_end_the_repl(arip: Any) -> None:
    assert run(arip, "asyncio.get_running_loop().stop()").error_in_exec is None
    result = run(arip, "await asyncio.sleep(0.01)\n5")
    assert result.error_in_exec is None and result.result == 5


def test_tasks_of_a_cell_take_the_recorders_short_path_and_failures_are_still_reported(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The failure reporter watches every task through a task factory that makes asyncrepl's
    Task and adds a done callback, no more: the recorder knows that factory and makes those
    tasks on its short path itself (any other factory costs each task a record and the
    careful path: 1.2 s of a 2.2 s cell that started 100,000 tasks in a kernel)."""
    from asyncrepl.instrument import loopclass
    from asyncrepl.ipython.state import session_of

    run(arip, BOOMS + "loop = asyncio.get_running_loop()")
    hooks = loopclass.watched[arip.user_ns["loop"]]
    assert hooks.made is not None and hooks.listener is not None
    recorder = session_of(arip).recorder
    run(arip, "made = [asyncio.create_task(asyncio.sleep(0.05)) for _ in range(300)]")
    assert len(recorder.book.unseen) >= 300  # no record each
    run(arip, "t1 = asyncio.create_task(boom(0, 'one'), name='t1')\nawait asyncio.sleep(0.1)")
    assert capsys.readouterr().out.count("Task 't1' (boom) failed: ValueError: one") == 1
    # A factory of the user's in place of the reporter's: the careful path, and the reporter
    # still sees every failure (a user who sets asyncio.eager_task_factory lost them all).
    run(arip, "reporters = loop.get_task_factory()")
    try:
        run(arip, "mine = lambda lp, coro, **kw: asyncio.Task(coro, loop=lp, **kw)")
        run(arip, "loop.set_task_factory(mine)")
        assert hooks.made is None
        assert arip.user_ns["loop"].get_task_factory() is arip.user_ns["mine"]  # theirs
        run(arip, "t2 = asyncio.create_task(boom(0, 'two'), name='t2')\nawait asyncio.sleep(0.1)")
        assert capsys.readouterr().out.count("Task 't2' (boom) failed: ValueError: two") == 1
        run(arip, "loop.set_task_factory(None)")
        assert hooks.made is not None and hooks.listener is not None
        run(arip, "t4 = asyncio.create_task(boom(0, 'four'), name='t4')\nawait asyncio.sleep(0.1)")
        assert capsys.readouterr().out.count("Task 't4' (boom) failed: ValueError: four") == 1
    finally:
        run(arip, "loop.set_task_factory(reporters)")  # as the later tests expect it


def test_when_the_recorders_note_fails_the_reporter_still_watches_the_task(
    arip: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from asyncrepl.instrument import loopclass

    run(arip, BOOMS + "loop = asyncio.get_running_loop()")
    hooks = loopclass.watched[arip.user_ns["loop"]]

    def broken(*args: Any) -> None:
        raise RuntimeError("a bug of ours")

    assert hooks.listener is not None  # the reporter's
    hooks.made = broken
    try:
        run(arip, "t3 = asyncio.create_task(boom(0, 'three'), name='t3')\nawait asyncio.sleep(0.1)")
        assert capsys.readouterr().out.count("Task 't3' (boom) failed: ValueError: three") == 1
        assert "the loop recorder failed" in caplog.text
    finally:
        arip.run_line_magic("reload_ext", "asyncrepl")  # the recorder again, for later tests


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are new in Python 3.12")
def test_a_failure_is_reported_under_asyncios_eager_task_factory(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(arip, BOOMS + "loop = asyncio.get_running_loop()\nreporters = loop.get_task_factory()")
    try:
        run(arip, "loop.set_task_factory(asyncio.eager_task_factory)")
        run(arip, "t5 = asyncio.create_task(boom(0, 'five'), name='t5')\nawait asyncio.sleep(0.1)")
        assert capsys.readouterr().out.count("Task 't5' (boom) failed: ValueError: five") == 1
    finally:
        run(arip, "loop.set_task_factory(reporters)")
