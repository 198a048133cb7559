"""The per-cell blocking check in a real IPython shell, and the %blocking magic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError

from asyncrepl.ipython.blocking_check import BlockingCheck, BlockingMagics, install
from asyncrepl.ipython.extension import cell_labeler
from asyncrepl.ipython.settings import AsyncREPL
from asyncrepl.ipython.state import STATE_ATTRIBUTE
from asyncrepl.records import IncidentKind
from asyncrepl.session import Session

BLOCKING_CELL = "import time\nasync def tick():\n    time.sleep(1)\n"


@pytest.fixture
def checked(ip: Any) -> Iterator[tuple[Any, Session, AsyncREPL]]:
    """The test shell with the check installed and ``%blocking`` registered, on its own: an
    extension that earlier tests loaded into the shared shell would check each cell too."""
    loaded = getattr(ip, STATE_ATTRIBUTE, None) is not None
    if loaded:
        ip.run_line_magic("unload_ext", "asyncrepl")
    session = Session(labeler=cell_labeler(ip))
    settings = AsyncREPL(ip, blocking="warn")  # whatever an earlier %config set
    uninstall = install(ip, session, settings)
    ip.register_magics(BlockingMagics(ip, session=session, settings=settings))
    try:
        yield ip, session, settings
    finally:
        uninstall()
        ip.configurables.remove(settings)
        if loaded:
            ip.run_line_magic("load_ext", "asyncrepl")


def run(ip: Any, source: str) -> Any:
    return ip.run_cell(source, store_history=True)


def test_warn_shows_the_line_and_the_fix_then_runs(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    ip, session, _ = checked
    ip.user_ns.pop("tick", None)
    result = run(ip, BLOCKING_CELL)
    out = capsys.readouterr().out
    assert result.success and "tick" in ip.user_ns
    cell = result.execution_count
    assert f"<cell {cell}>, line 3: AR101 blocking-sleep" in out
    assert "    time.sleep(1)\n    ^^^^^^^^^^^^^" in out
    assert "Fix: await asyncio.sleep(1)" in out
    [incident] = [i for i in session.journal if i.cell == cell]
    assert incident.kind is IncidentKind.FINDING
    assert incident.payload.code == "AR101"
    assert incident.source == BLOCKING_CELL


def test_strict_refuses_the_cell_in_one_line(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    ip, _, settings = checked
    settings.blocking = "strict"
    ip.user_ns.pop("tick", None)
    result = run(ip, BLOCKING_CELL)
    out = capsys.readouterr().out
    assert not result.success
    assert "tick" not in ip.user_ns
    assert "AR101" in out
    refusal = [line for line in out.splitlines() if "Not run" in line]
    assert refusal == [
        "✋ Not run: this cell has a blocking call and `%blocking` is `strict`. "
        "Fix it, or run `%blocking warn` and run the cell again."
    ]
    assert "Traceback" not in out


def test_off_does_not_check(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    ip, session, settings = checked
    settings.blocking = "off"
    run(ip, BLOCKING_CELL)
    assert "AR101" not in capsys.readouterr().out
    assert len(session.journal) == 0


def test_clean_cell_prints_nothing(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    ip, session, _ = checked
    run(ip, "import asyncio\nasync def tick():\n    await asyncio.sleep(1)\n")
    assert capsys.readouterr().out == ""
    assert len(session.journal) == 0


def test_live_namespace_and_helpers_from_earlier_cells(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    ip, _, _ = checked
    first = run(ip, "import time as t\ndef slow_helper(n):\n    t.sleep(n)\n")
    assert capsys.readouterr().out == ""  # sync code on its own is fine
    run(ip, "async def job():\n    slow_helper(2)\n")
    out = capsys.readouterr().out
    assert f"calls `t.sleep(n)` (<cell {first.execution_count}>, line 3)" in out
    assert "Fix: await asyncio.to_thread(slow_helper, 2)" in out


def test_magic_lines_do_not_confuse_the_check(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    ip, _, _ = checked
    run(ip, "%blocking\nimport time\nasync def tick():\n    time.sleep(2)\n")
    out = capsys.readouterr().out
    assert "line 4: AR101" in out
    assert "blocking: warn" in out


def test_a_broken_check_turns_itself_off(
    checked: tuple[Any, Session, AsyncREPL],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    ip, session, _ = checked

    def broken_labeler(filename: str) -> str | None:
        raise RuntimeError("a bug in asyncrepl")

    session.labeler = broken_labeler  # the check calls it for a helper from an earlier cell
    run(ip, "def helper_b():\n    import time; time.sleep(1)\n")
    run(ip, "async def job_b():\n    helper_b()\n")
    assert "now off" in caplog.text
    result = run(ip, "x_after_break = 1\n")
    assert result.success and ip.user_ns["x_after_break"] == 1
    assert len([r for r in caplog.records if "now off" in r.getMessage()]) == 1


def test_blocking_magic_shows_and_sets_the_mode(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    ip, _, settings = checked
    ip.run_line_magic("blocking", "")
    assert capsys.readouterr().out.startswith("blocking: warn")
    ip.run_line_magic("blocking", "STRICT")
    assert settings.blocking == "strict"
    assert "cells with a blocking call will not run" in capsys.readouterr().out
    ip.run_line_magic("blocking", "off")
    assert settings.blocking == "off"


def test_blocking_magic_rejects_other_values(checked: tuple[Any, Session, AsyncREPL]) -> None:
    ip, _, settings = checked
    with pytest.raises(UsageError, match=r"%blocking 'loud': use one of: off, warn, strict\."):
        ip.run_line_magic("blocking", "loud")
    assert settings.blocking == "warn"


def test_with_asyncrepl_loaded_top_level_await_still_runs(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from asyncrepl.ipython.blocking_check import BlockingCheck
    from asyncrepl.ipython.state import session_of, settings_of

    session = session_of(arip)
    ours = any(isinstance(t, BlockingCheck) for t in arip.ast_transformers)
    uninstall = (lambda: None) if ours else install(arip, session, settings_of(arip))
    try:
        source = (
            "import time\nasync def f():\n    time.sleep(0.01)\n    return 5\n"
            "x_loaded = await f()\n"
        )
        result = run(arip, source)
        assert result.success, result.error_in_exec or result.error_before_exec
        assert arip.user_ns["x_loaded"] == 5
        assert capsys.readouterr().out.count("AR101 blocking-sleep") == 1
        kinds = [i.kind for i in session.journal if i.cell == result.execution_count]
        assert kinds == [IncidentKind.FINDING]
    finally:
        uninstall()


def test_magic_registered_as_the_extension_does_uses_its_settings(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from asyncrepl.ipython.state import session_of, settings_of

    arip.register_magics(BlockingMagics(arip, session=session_of(arip)))
    settings = settings_of(arip)
    before = settings.blocking
    try:
        arip.run_line_magic("blocking", "strict")
        assert settings_of(arip).blocking == "strict"
        arip.run_line_magic("config", "AsyncREPL.blocking = 'off'")
        arip.run_line_magic("blocking", "")
        assert capsys.readouterr().out.splitlines()[-1].startswith("blocking: off")
    finally:
        settings.blocking = before


def test_noqa_silences_a_finding_in_a_cell(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    ip, session, _ = checked
    run(ip, "import time\nasync def tick():\n    time.sleep(1)  # noqa: AR101\n")
    run(ip, "import time\nasync def tock():\n    time.sleep(1)  # noqa\n")
    assert capsys.readouterr().out == ""
    assert len(session.journal) == 0
    run(ip, "import time\nasync def tuck():\n    time.sleep(1)  # noqa: AR102\n")
    assert "line 3: AR101" in capsys.readouterr().out


def test_a_cell_too_deep_to_analyse_says_so(
    checked: tuple[Any, Session, AsyncREPL], capsys: pytest.CaptureFixture[str]
) -> None:
    # The check itself, not run_cell: IPython's own AST transformers would hit the recursion
    # limit on such a cell too, and unregister themselves from the shared test shell.
    ip, session, settings = checked
    terms = " + ".join(["n"] * 2000)
    source = f"import time\nasync def deep(n):\n    time.sleep(1)\n    return {terms}\n"
    found = BlockingCheck(ip, session, settings).check(7, source, source)
    out = capsys.readouterr().out
    # Either the walk reaches the call, or the cell is said to be unchecked: never silence.
    assert [f.code for f in found] == ["AR101"] or out == (
        "⚠ <cell 7> was not checked: nested too deeply to analyse.\n"
    )
