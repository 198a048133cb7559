"""Block reports a learner can trust, in the real asyncrepl: an ordinary session (errors,
tracebacks, the first use of every magic, Tab completion, a timeout, Ctrl-C in an await,
%timeit, imports) gives no block report; a cell that really blocks gives exactly one, naming
its line; and Ctrl-C stops a background task that blocks the loop while the prompt waits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.harness import Repl

REPORT = "The event loop was blocked"
SO_FAR = "so far"


def last_prompt(repl: Repl) -> int:
    """The number of the newest prompt on the screen (the prompt redraws as keys come)."""
    return max(int(n) for n in re.findall(r"In \[(\d+)\]:", repl.text))


def run(repl: Repl, code: str, *, paste: bool = False) -> None:
    """Type (or paste) ``code``, press Enter, and wait for the prompt after it."""
    number = last_prompt(repl)
    if paste:
        repl.paste(code)
    else:
        repl.send_line(code)
    repl.expect(rf"In \[{number + 1}\]:")


def learner_session(repl: Repl) -> None:
    """What a learner does in the first minutes: none of it blocks the loop on their behalf."""
    run(repl, "1 / 0")  # IPython formats its first traceback
    run(repl, "import json, decimal, xml.dom.minidom, unittest, email.mime.text")
    run(repl, "def f(): return {}['missing']")
    run(repl, "f()")
    repl.send("json.JSONDecodeE")
    repl.send("\t")  # the first Tab completion
    repl.expect("JSONDecodeError")
    run(repl, "")
    assert re.search(r"Out\[\d+\]: json\.decoder\.JSONDecodeError", repl.text)
    run(repl, "%tasks")
    run(repl, "%timeline")
    run(repl, "%explain")
    run(repl, "%blocking")
    run(repl, "%load_ext autoreload")
    run(repl, "await asyncio.wait_for(asyncio.sleep(1), timeout=0.05)")
    number = last_prompt(repl)
    repl.send_line("print('wait' + 'ing') or await asyncio.sleep(30)")
    repl.expect(r"\nwaiting")  # the cell runs: Ctrl-C is a signal now
    repl.ctrl("c")  # the first Ctrl-C, in an await
    repl.expect("cancelled")
    repl.expect(rf"In \[{number + 1}\]:")
    run(repl, "import time")
    run(repl, "%timeit -n 2 -r 2 time.sleep(0.15)")  # blocks on purpose: that is timing
    run(repl, "%time time.sleep(0.2)")
    run(repl, "!sleep 0.2")
    number = last_prompt(repl)
    repl.send_line("%debug")
    repl.expect("ipdb>")
    repl.send_line("q")
    repl.expect(rf"In \[{number + 1}\]:")


def test_an_ordinary_learner_session_gives_no_block_report(tmp_path: Path) -> None:
    repl = Repl(tmp_path, timeout=30)
    try:
        repl.expect_prompt()
        learner_session(repl)
        run(repl, "x = 1")
        number = last_prompt(repl)
        repl.send_line("%reset")
        repl.expect(r"Proceed \(y/\[n\]\)\?")
        repl.send_line("y")
        repl.expect(rf"In \[{number + 1}\]:")
        assert REPORT not in repl.text and SO_FAR not in repl.text, repl.text
    finally:
        repl.close()


def test_the_same_session_with_a_cell_that_blocks_gives_one_report(tmp_path: Path) -> None:
    repl = Repl(tmp_path, timeout=30)
    try:
        repl.expect_prompt()
        learner_session(repl)
        # A task that waits meanwhile: a block that holds nobody up is not reported.
        run(repl, "ticker = asyncio.create_task(asyncio.sleep(60))")
        repl.send_line("total = sum(range(10)); time.sleep(0.4)")
        cell = repl.expect(rf"{REPORT} for 0\.\d+ s by task 'cell \[(\d+)\]'").group(1)
        repl.expect(rf"<cell {cell}>:1")
        repl.expect(r"Fix: await asyncio\.sleep\(0\.4\)")
        repl.expect_prompt()
        run(repl, "'after'")  # time for a second report, if there were one
        assert repl.text.count(REPORT) == 1, repl.text
        assert repl.exit(typed=True) == 0
    finally:
        repl.close()


def test_a_cells_own_line_is_reported_only_when_a_task_waited_for_it(repl: Repl) -> None:
    # Computing in a cell with nothing else on the loop held up nobody: a report ending in
    # "Fix: await asyncio.to_thread(sorted, ...)" under it was noise (so was one under each
    # json.dumps of a notebook). With a task that waits (a ticker), it is a block.
    crunch = "x = sorted(range(3_000_000), key=lambda v: -v)"
    run(repl, crunch)
    run(repl, "'after'")
    assert REPORT not in repl.text
    run(repl, "async def tick():\n    while True:\n        await asyncio.sleep(0.2)\n", paste=True)
    run(repl, "t = asyncio.create_task(tick())")
    repl.send_line(crunch)
    repl.expect(rf"{REPORT} for 0\.\d+ s by task 'cell \[\d+\]' \(AR202 cpu-bound\)")
    repl.expect(r"Fix: await asyncio\.to_thread\(sorted, range\(3_000_000\), key=lambda v: -v\)")
    repl.expect_prompt()
    run(repl, "t.cancel()")
    run(repl, crunch)  # the ticker is done (held by `t`): nobody waits again
    run(repl, "'after'")
    assert repl.text.count(REPORT) == 1, repl.text


def test_a_block_the_static_check_flagged_is_said_once(repl: Repl) -> None:
    run(repl, "import time\nasync def nap():\n    time.sleep(0.3)\n", paste=True)
    assert "AR101 blocking-sleep" in repl.text
    run(repl, "await nap()")
    run(repl, "'after'")
    assert "As flagged above: the event loop was blocked for 0." in repl.text
    assert REPORT not in repl.text


@pytest.mark.parametrize("blocker", ["while True: pass", "time.sleep(60)"])
def test_ctrl_c_stops_a_background_task_blocking_the_loop(repl: Repl, blocker: str) -> None:
    run(repl, f"import time\nasync def stuck():\n    {blocker}\n", paste=True)
    repl.send_line("t = asyncio.create_task(stuck(), name='stuck')")
    repl.expect(r"Event loop blocked for 1\.\d s so far: task 'stuck'")
    repl.expect("Ctrl-C stops it.")
    repl.ctrl("c")
    repl.expect(r"Task 'stuck' \(stuck\) failed: KeyboardInterrupt", timeout=5)
    repl.send_line("t.done(), 6 * 7")
    repl.expect(r"Out\[\d+\]: \(True, 42\)", timeout=5)
    assert "Traceback" not in repl.text
    # The failure shows the task's own line, not the shell and the loop it went up through.
    assert re.search(r"<cell \d+>:3 in stuck", repl.text), repl.text
    assert "liveloop.py" not in repl.text and "interrupt.py" not in repl.text
    repl.expect_prompt()  # an empty line would keep the prompt's number: wait for it instead
    assert repl.exit(typed=True) == 0, repl.text[-1500:]


def test_one_ctrl_c_stops_a_blocking_task_and_the_cell_awaiting_meanwhile(repl: Repl) -> None:
    run(repl, "async def spin():\n    while True: pass\n", paste=True)
    repl.send_line("t = asyncio.create_task(spin(), name='spin'); await asyncio.sleep(60)")
    repl.expect(r"Event loop blocked for 1\.\d s so far: task 'spin'")
    repl.ctrl("c")  # once
    repl.expect(r"cell \[\d+\] cancelled", timeout=5)
    repl.expect_prompt()
    assert re.search(r"Task 'spin' \(spin\) failed: KeyboardInterrupt", repl.text), repl.text
    assert "liveloop.py" not in repl.text and "interrupt.py" not in repl.text
    assert repl.exit(typed=True) == 0


def test_a_task_blocking_under_a_drawn_prompt_is_said_and_stopped(repl: Repl) -> None:
    run(
        repl,
        "import time\nasync def later():\n    await asyncio.sleep(1)\n    time.sleep(60)\n",
        paste=True,
    )
    run(repl, "t = asyncio.create_task(later(), name='later')")
    repl.send("6 * ")  # half-typed when the loop gets stuck
    repl.expect(r"Event loop blocked for 1\.\d s so far: task 'later'")
    repl.expect("Ctrl-C stops it.")
    repl.ctrl("c")
    repl.expect(r"Task 'later' \(later\) failed: KeyboardInterrupt", timeout=5)
    repl.send("7\r")  # the line typed before is still there
    repl.expect(r"Out\[\d+\]: 42", timeout=5)
    repl.expect_prompt()
    assert repl.exit() == 0
