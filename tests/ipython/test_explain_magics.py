"""``%explain`` in a real IPython shell with ``%load_ext asyncrepl``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.testing import globalipapp

from asyncrepl.ipython.explain_magics import ExplainMagics
from asyncrepl.ipython.state import session_of
from asyncrepl.records import BlockReport, Incident, IncidentKind, Location


@pytest.fixture(scope="module")
def ip() -> Any:
    shell = globalipapp.get_ipython()
    shell.run_line_magic("load_ext", "asyncrepl")
    return shell


@pytest.fixture(autouse=True)
def fresh_journal(ip: Any) -> Iterator[None]:
    session_of(ip).journal.clear()
    yield
    session_of(ip).journal.clear()


GEN = """
async def gen(n):
    for i in range(n):
        yield i
        await asyncio.sleep(0)
"""


def run(ip: Any, source: str) -> None:
    ip.run_cell(source, store_history=True)


def test_explains_the_last_error_with_the_users_line_fixed(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, GEN)
    run(ip, "for i in gen(3):\n    print(i)\n")
    assert "(%explain for more)" in capsys.readouterr().out
    ip.run_line_magic("explain", "")
    out = capsys.readouterr().out
    assert "⚠ `for` over an async generator" in out
    assert "      for i in gen(3):" in out  # where, the user's line
    assert "Your code, fixed:\n      async for i in gen(3):" in out


def test_explains_a_coroutine_nobody_awaited(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(ip, "async def main():\n    print('main')\n")
    run(ip, "main()")
    capsys.readouterr()
    ip.run_line_magic("explain", "")
    out = capsys.readouterr().out
    assert "A coroutine was never awaited" in out and "      await main()" in out


def test_topic(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    ip.run_line_magic("explain", "event loop")
    out = capsys.readouterr().out
    assert out.startswith("» The event loop\n") and "Try it:" in out


def test_live_task(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(ip, "ticker = asyncio.create_task(asyncio.sleep(30), name='ticker')")
    try:
        ip.run_line_magic("explain", "ticker")
        out = capsys.readouterr().out
        assert "» `ticker`: a task" in out and "waiting for asyncio.sleep" in out
    finally:
        run(ip, "ticker.cancel()")


def test_a_name_in_the_namespace_wins_over_a_topic(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.user_ns["future"] = 42
    try:
        ip.run_line_magic("explain", "future")
        assert "`future`: a int" in capsys.readouterr().out
    finally:
        del ip.user_ns["future"]


def test_unknown_topic_lists_the_topics_closest_first(ip: Any) -> None:
    with pytest.raises(UsageError, match=r"%explain gatherr: no variable or topic .* gather, "):
        ip.run_line_magic("explain", "gatherr")


def test_expression_that_fails(ip: Any) -> None:
    with pytest.raises(UsageError, match=r"evaluating it raised ZeroDivisionError"):
        ip.run_line_magic("explain", "asyncio.sleep(1 / 0)")


def test_help_documents_the_three_forms() -> None:
    doc = ExplainMagics.explain.__doc__ or ""
    for form in ("``%explain`` alone", "``%explain EXPR``", "``%explain TOPIC``", "In [1]:"):
        assert form in doc


def test_after_a_good_cell_tells_what_it_did_on_the_loop(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    if session_of(ip).recorder is None:
        pytest.skip("no recorder in this session")
    run(ip, GATHER)
    assert "[0.02, 0.03]" in capsys.readouterr().out
    ip.run_line_magic("explain", "")
    out = capsys.readouterr().out
    assert "What cell [" in out and "] did on the event loop" in out
    assert "They ran concurrently:" in out and "(print_values)" in out


GATHER = """
async def print_values(values, delay):
    for item in values:
        print(item)
        await asyncio.sleep(delay)
    return delay

async def main():
    print(await asyncio.gather(print_values([1, 3, 5], 0.02), print_values([2, 4], 0.03)))

asyncio.run(main())
"""


@pytest.mark.jupyter
def test_jupyter_gets_html() -> None:
    """In a real kernel ``%explain`` displays HTML (and the plain text beside it)."""
    pytest.importorskip("ipykernel")
    manager_module = pytest.importorskip("jupyter_client.manager")
    manager, client = manager_module.start_new_kernel(kernel_name="python3", startup_timeout=60)
    shown: list[dict[str, Any]] = []

    def collect(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "display_data":
            shown.append(msg["content"]["data"])

    try:
        client.execute_interactive("%load_ext asyncrepl", timeout=30)
        client.execute_interactive("%explain gather", timeout=30, output_hook=collect)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert shown, "nothing was displayed"
    assert "<code>asyncio.gather()</code>" in shown[0]["text/html"]
    assert shown[0]["text/plain"].startswith("» asyncio.gather()")


def explained_after_a_block(ip: Any, *magic_cells: str, where: Location | None) -> None:
    """The agen error, then ``magic_cells``, then a block report journalled under the last
    cell, then ``%explain``."""
    run(ip, GEN)
    run(ip, "for i in gen(3):\n    print(i)\n")
    for line in magic_cells:
        run(ip, line)
    cell = int(ip.execution_count) - 1
    report = BlockReport("AR201", "loop-blocked", started=0.0, duration=0.3, location=where)
    session_of(ip).journal.add(Incident(IncidentKind.BLOCK, report, cell=cell))
    ip.run_line_magic("explain", "")


def test_magic_cells_do_not_count_as_the_last_cell(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``%explain`` after cells that only ran magics or shell commands explains the user's last
    error, and a report journalled while a magic cell ran is never what it explains."""
    where = Location("<cell 1>", 1, "<cell 1>:1", "x = work()")
    capsys.readouterr()
    explained_after_a_block(ip, "%pwd", "!true", where=where)
    out = capsys.readouterr().out
    assert "⚠ `for` over an async generator" in out
    assert "Your code, fixed:\n      async for i in gen(3):" in out


def test_a_strict_refusal_is_explained(ip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """``%blocking strict`` refused the cell: ``%explain`` explains the blocking call."""
    run(ip, "%blocking strict")
    try:
        run(ip, "import time\nasync def main():\n    time.sleep(1)\n")
    finally:
        run(ip, "%blocking warn")
    capsys.readouterr()
    ip.run_line_magic("explain", "")
    out = capsys.readouterr().out
    assert "does not look specific to asyncio" not in out
    assert "AR101 blocking-sleep" in out and "await asyncio.sleep(1)" in out


def test_a_block_report_naming_no_line_of_the_user_is_not_explained(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """A block seen while no line of the user's ran (IPython formatting a traceback) is not
    the user's problem: %explain explains the error before it."""
    capsys.readouterr()
    explained_after_a_block(ip, where=None)
    assert "⚠ `for` over an async generator" in capsys.readouterr().out
