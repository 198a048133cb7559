"""The real asyncrepl in a pseudo-terminal: the banner, a task that keeps running while the
prompt waits, Ctrl-C, and leaving with tasks still pending."""

from __future__ import annotations

import re
from pathlib import Path

from asyncrepl.cli import banner
from tests.e2e.harness import Repl

TICKER = (
    "async def ticker():\n"
    "    for i in range(1000):\n"
    "        print(f'tick {i}')\n"
    "        await asyncio.sleep(0.2)\n"
)


def start_ticker(repl: Repl) -> None:
    repl.paste(TICKER)
    repl.expect_prompt()
    repl.send_line("t = asyncio.create_task(ticker(), name='ticker')")
    repl.expect("tick 0")


def test_banner_names_what_asyncrepl_adds(tmp_path: Path) -> None:
    repl = Repl(tmp_path)
    try:
        repl.expect(r"asyncrepl \d+\.\d+\.\d+ \(IPython")
        repl.expect(r"%tasks %timeline %explain")
        assert repl.expect_prompt() == 1
        assert repl.exit() == 0
    finally:
        repl.close()


def test_the_banner_fits_a_narrow_terminal() -> None:
    # A projector's terminal with a large font: a longer line broke "while you t / ype".
    lines = banner().splitlines()
    assert len(lines) == 4 and max(map(len, lines)) <= 64, lines


def test_no_banner_hides_it(tmp_path: Path) -> None:
    repl = Repl(tmp_path, "--no-banner")
    try:
        repl.expect_prompt()
        assert "asyncrepl" not in repl.text
        assert repl.exit() == 0
    finally:
        repl.close()


def test_tasks_run_while_the_prompt_waits_and_while_typing(repl: Repl) -> None:
    start_ticker(repl)
    repl.expect("tick 2")  # nobody pressed a key since the cell ended
    repl.send("answer = 6 *")
    repl.expect("tick 4")  # still ticking with a half-typed line
    repl.send(" 7\r")
    repl.expect_prompt()
    repl.send_line("answer")
    repl.expect(r"Out\[\d+\]: 42")


def test_ctrl_c_cancels_an_awaiting_cell_and_the_ticker_goes_on(repl: Repl) -> None:
    start_ticker(repl)
    repl.send_line("await asyncio.sleep(30); print('resumed')")
    repl.expect("tick 2")
    repl.ctrl("c")
    repl.expect(
        r"KeyboardInterrupt: cell \[\d+\] cancelled; 1 background task keeps running", timeout=2
    )
    repl.expect_prompt(timeout=2)
    repl.expect("tick 5")
    assert "Traceback" not in repl.text
    assert not re.search(r"^resumed", repl.text, re.MULTILINE)


def test_ctrl_c_interrupts_blocking_code(repl: Repl) -> None:
    start_ticker(repl)
    # The cell must be running (the terminal back in cooked mode) before Ctrl-C is a signal.
    # One statement each: IPython compiles a cell statement by statement, and a Ctrl-C that
    # lands while it compiles the next one is IPython's, not the cell's.
    repl.send_line("import time")
    repl.expect_prompt()
    repl.send_line("print('sleep' + 'ing') or time.sleep(30) or print('resumed')")
    repl.expect(r"\nsleeping")
    repl.ctrl("c")
    repl.expect(r"KeyboardInterrupt: cell \[\d+\] cancelled", timeout=2)
    repl.expect_prompt(timeout=2)
    repl.expect("tick 2")
    repl.paste("n = 0\nwhile True:\n    n = n or print('spin' + 'ning') or 1\n")
    repl.expect(r"\nspinning")
    repl.ctrl("c")
    repl.expect(r"KeyboardInterrupt: cell \[\d+\] cancelled", timeout=2)
    repl.expect_prompt(timeout=2)
    assert "Traceback" not in repl.text
    assert not re.search(r"^resumed", repl.text, re.MULTILINE)


def test_ctrl_c_that_another_thread_took_still_interrupts_a_sleeping_cell(repl: Repl) -> None:
    # Linux gives a Ctrl-C to any thread that does not block it; CPython then only notes it,
    # and the main thread asleep in time.sleep(30) would not hear of it for 30 s.
    repl.send_line("import signal, threading, time")
    repl.expect_prompt()
    repl.paste(
        "def take_ctrl_c():\n"
        "    time.sleep(0.3)\n"
        "    signal.pthread_kill(threading.get_ident(), signal.SIGINT)\n"
    )
    repl.expect_prompt()
    repl.send_line(
        "threading.Thread(target=take_ctrl_c).start(); time.sleep(30); print('res' + 'umed')"
    )
    repl.expect(r"KeyboardInterrupt: cell \[\d+\] cancelled", timeout=3)
    repl.expect_prompt(timeout=2)
    repl.send_line("6 * 7")
    repl.expect(r"Out\[\d+\]: 42")
    assert "Traceback" not in repl.text
    assert not re.search(r"^resumed", repl.text, re.MULTILINE)


def test_ctrl_c_at_the_prompt_clears_the_line(repl: Repl) -> None:
    repl.send("this is not python")
    repl.ctrl("c")
    repl.send_line("1 + 1")
    repl.expect(r"Out\[1\]: 2")


def test_exit_with_pending_tasks_is_clean(repl: Repl) -> None:
    start_ticker(repl)
    repl.send_line("s = asyncio.create_task(asyncio.sleep(100), name='sleeper')")
    repl.expect_prompt()
    assert repl.exit(typed=True) == 0
    assert "Cancelling 2 pending tasks" in repl.text
    assert "'ticker' (ticker)" in repl.text and "'sleeper' (sleep)" in repl.text
    for noise in ("Task was destroyed", "Event loop is closed", "Traceback", "Exception"):
        assert noise not in repl.text


def test_background_failure_is_printed_above_the_prompt(repl: Repl) -> None:
    repl.paste("async def boom():\n    await asyncio.sleep(0.3)\n    raise ValueError('bad')\n")
    repl.expect_prompt()
    repl.send_line("b = asyncio.create_task(boom(), name='bomb')")
    repl.expect_prompt()
    repl.expect(r"Task 'bomb' \(boom\) failed: ValueError: bad")
    repl.send_line("1 + 1")  # the prompt still answers: no "Press ENTER to continue"
    repl.expect(r"Out\[\d+\]: 2")
    assert "Press ENTER" not in repl.text


def test_ipython_completion_and_history_keep_working(repl: Repl) -> None:
    repl.send("value = asyncio.gathe")
    repl.send("\t")
    repl.expect("asyncio.gather")
    repl.send("\r")
    repl.expect_prompt()
    repl.send_line("value.__name__")
    repl.expect(r"Out\[\d+\]: 'gather'")
    repl.expect_prompt()
    repl.send("\x1b[A")  # Up: the previous cell comes back
    repl.send("\r")
    repl.expect(r"Out\[\d+\]: 'gather'")
