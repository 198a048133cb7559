"""Leaving is quiet and bounded: a task that ignores its cancellation is named and left after
exit_timeout, with no traceback, and a second Ctrl-C or Ctrl-D leaves at once."""

from __future__ import annotations

import time

import pytest

from tests.e2e.harness import Repl

STUBBORN = (
    "async def stubborn():\n"
    "    while True:\n"
    "        try:\n"
    "            await asyncio.sleep(10)\n"
    "        except asyncio.CancelledError:\n"
    "            print('not yet')\n"
)
NOISE = (
    "Traceback",
    "NameError",
    "Exception ignored",
    "Task was destroyed",
    "Event loop is closed",
)


def start_stubborn(repl: Repl) -> None:
    repl.paste(STUBBORN)
    repl.expect_prompt()
    repl.send_line("t = asyncio.create_task(stubborn(), name='stubborn')")
    repl.expect_prompt()
    repl.send_line("await asyncio.sleep(0.05)")
    repl.expect_prompt()


def test_a_task_ignoring_cancellation_is_left_after_exit_timeout(repl: Repl) -> None:
    start_stubborn(repl)
    started = time.monotonic()
    assert repl.exit(typed=True) == 0
    assert time.monotonic() - started < 6
    assert "Cancelling 1 pending task: 'stubborn' (stubborn)" in repl.text
    assert repl.text.count("did not finish in time and was left: 'stubborn'") == 1
    for noise in NOISE:
        assert noise not in repl.text


@pytest.mark.parametrize("key", ["c", "d"])
def test_a_second_ctrl_c_or_ctrl_d_leaves_at_once(repl: Repl, key: str) -> None:
    repl.send_line("%config AsyncREPL.exit_timeout = 60")
    repl.expect_prompt()
    start_stubborn(repl)
    started = time.monotonic()
    repl.send_line("exit")
    repl.expect("Cancelling 1 pending task")  # printed before the wait
    repl.ctrl(key)
    assert repl.exit(timeout=10, press=False) == 0
    assert time.monotonic() - started < 8
    assert "Left without waiting for 1 task: 'stubborn' (stubborn)" in repl.text
    for noise in NOISE:
        assert noise not in repl.text
