"""Wiring the watchdog into IPython: which of IPython's methods run the REPL's own work (the
watchdog never reports the user's code under them), and which blocks the static check
already flagged (said in one short line)."""

from __future__ import annotations

from typing import Any

from asyncrepl.ipython.blocking_check import install
from asyncrepl.ipython.extension import cell_labeler
from asyncrepl.ipython.settings import AsyncREPL
from asyncrepl.ipython.watching import flagged, repl_entries
from asyncrepl.records import BlockReport
from asyncrepl.session import Session
from asyncrepl.watchdog.frames import UserFiles, frame_facts, make_location, repl_work, snapshot


def stack_of(ip: Any, cell: str) -> bool:
    """Whether the stack of ``cell`` run in the real shell is the REPL's work."""
    ip.run_cell("import sys", store_history=True)
    ip.run_cell(cell, store_history=True)
    frame = ip.user_ns.pop("frame")
    try:
        return repl_work(snapshot(frame), repl_entries())
    finally:
        del frame


def test_code_run_by_a_line_or_cell_magic_is_the_repls_work(ip: Any) -> None:
    assert stack_of(ip, "%time frame = sys._getframe()")
    assert stack_of(ip, "%%time\nframe = sys._getframe()")
    assert not stack_of(ip, "frame = sys._getframe()")
    assert not stack_of(ip, "def where(): return sys._getframe()\nframe = where()")


def test_a_block_at_a_flagged_line_of_the_same_cell_is_flagged(ip: Any) -> None:
    session = Session(labeler=cell_labeler(ip))
    settings = AsyncREPL(ip, blocking="warn")
    uninstall = install(ip, session, settings)
    try:
        result = ip.run_cell("import time\nasync def nap():\n    time.sleep(1)\n", True)
        other = ip.run_cell("async def nap2():\n    time.sleep(1)\n", True)
    finally:
        uninstall()
        ip.configurables.remove(settings)
    code = ip.user_ns["nap"].__code__
    assert result.execution_count != other.execution_count
    at = make_location(code, 3, session.labeler)
    report = BlockReport("AR201", "loop-blocked", 1.0, 1.0, "Task-1", at, "time.sleep(1)")
    assert flagged(session, report)
    # Another line of the cell, the same line of another cell, a file: not flagged.
    assert not flagged(session, report._replace(location=make_location(code, 2, session.labeler)))
    other_code = ip.user_ns["nap2"].__code__
    other_line_3 = make_location(other_code, 3, session.labeler)
    assert not flagged(session, report._replace(location=other_line_3))
    assert not flagged(
        session,
        report._replace(location=make_location(stack_of.__code__, 3, session.labeler)),
    )
    assert not flagged(session, report._replace(location=None))


def test_a_cells_top_level_is_where_an_await_can_go(ip: Any) -> None:
    """asyncrepl runs every cell on the loop: a blocking helper called from a cell is fixed
    in the cell (``await asyncio.to_thread(where)``), not inside the plain helper."""
    user = UserFiles(cell_labeler(ip))
    ip.run_cell("import sys\nfrom asyncrepl.watchdog.frames import snapshot", store_history=True)
    ip.run_cell("def where():\n    global states\n    states = snapshot(sys._getframe())", True)
    ip.run_cell("where()", store_history=True)
    states = ip.user_ns.pop("states")
    helper, top = frame_facts(states, 0, user), frame_facts(states, 1, user)
    del states
    assert (helper.is_async, helper.caller_call) == (False, "where()")
    assert top.is_async and top.location.label.endswith(":1")
