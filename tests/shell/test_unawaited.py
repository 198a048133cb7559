"""Coroutines made and never awaited anywhere in a cell: asyncrepl's hint, once, with the cell,
the line and the user's own call awaited; never Python's raw warning."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from asyncrepl.explain import explain_incident
from asyncrepl.ipython.state import session_of

MAIN = "async def main():\n    print('main')\n"


def hooked(ip: Any) -> None:
    """pytest records warnings around each test (its own ``showwarning``): load asyncrepl
    again inside the test, so that its hook is the one Python calls, as in a session."""
    ip.run_line_magic("reload_ext", "asyncrepl")


def run(ip: Any, cell: str) -> int:
    number = int(ip.execution_count)
    ip.run_cell(cell, store_history=True)
    gc.collect()
    return number


def test_inside_an_expression_lesson_one(arip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    hooked(arip)
    run(arip, MAIN)
    cell = run(arip, "print(type(main))\nprint(type(main()))  # <class 'coroutine'>\n")
    out, err = capsys.readouterr()
    assert f"`main()` at <cell {cell}>:2 made a coroutine object, but nothing ran" in out
    assert "Fix: print(type(await main()))  (%explain for more)" in out
    assert "never awaited" not in out + err and "ipython-input" not in out + err
    explained = explain_incident(session_of(arip).journal.last(), session_of(arip).labeler)
    assert explained is not None
    assert explained.code == "print(type(await main()))" and not explained.code_is_example
    assert explained.where is not None and explained.where.label == f"<cell {cell}>:2"


def test_stored_then_dropped_names_the_line_that_made_it(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    hooked(arip)
    run(arip, MAIN)
    made = run(arip, "c = main()")
    run(arip, "x = 1\ndel c")
    out, err = capsys.readouterr()
    assert f"`main()` at <cell {made}>:1 made a coroutine object" in out
    assert "Fix: c = await main()" in out
    assert "never awaited" not in out + err


def test_inside_a_coroutine_once_however_often_it_runs(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    hooked(arip)
    run(arip, MAIN)
    cell = run(arip, "pick = [main]\nasync def twice():\n    pick[0]()  # made, dropped\n")
    run(arip, "await twice()\nawait twice()")
    run(arip, "await twice()")
    out, err = capsys.readouterr()
    assert out.count("made a coroutine object") == 1
    assert f"`pick[0]()` at <cell {cell}>:3 made a coroutine object" in out
    assert "never awaited" not in out + err


def test_a_line_the_static_check_flagged_is_warned_about_once(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``asyncio.sleep(1)`` without ``await`` in a coroutine: AR113 before it runs, and no
    second hint when the coroutine it made is dropped."""
    hooked(arip)
    arip.run_line_magic("blocking", "warn")
    run(arip, "async def nap():\n    asyncio.sleep(1)\n")
    run(arip, "await nap()")
    out, err = capsys.readouterr()
    assert out.count("AR113") == 1
    assert "made a coroutine object" not in out
    assert "never awaited" not in out + err


def test_a_bare_call_in_a_longer_cell_names_its_line(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Typed alone, ``main()`` needs no place; on line 3 of a pasted cell it gets one."""
    run(arip, MAIN)
    run(arip, "main()")
    cell = run(arip, "x = 1\ny = 2\nmain()\n")
    out = capsys.readouterr().out
    assert "⚠ `main()` made a coroutine object" in out
    assert f"⚠ `main()` at <cell {cell}>:3 made a coroutine object" in out


@pytest.mark.parametrize("call", ["breakpoint()", "pdb.set_trace()"])
def test_the_debugger_stops_in_the_cell_not_in_asyncrepl(
    arip: Any, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    # pdb stops at the first event after its call returns, as this hook does. The check for
    # an un-awaited coroutine wrapped every call statement: that first event was the call of
    # asyncrepl's check_unawaited, and a learner's `n` walked through asyncrepl's code.
    import pdb
    import sys

    events: list[tuple[str, str]] = []

    def set_trace(*_: Any, **__: Any) -> None:
        caller = sys._getframe(1)

        def trace(frame: Any, event: str, arg: Any) -> None:
            events.append((frame.f_code.co_filename, event))
            sys.settrace(None)
            caller.f_trace = None

        caller.f_trace = trace
        sys.settrace(trace)

    monkeypatch.setattr(sys, "breakpointhook", set_trace)
    monkeypatch.setattr(pdb, "set_trace", set_trace)
    arip.user_ns["pdb"] = pdb
    run(arip, f"x = 1; {call}; y = 2")
    assert events and "asyncrepl" not in events[0][0], events
    assert arip.user_ns["y"] == 2
