"""The first prompt and the first cell, as a person meets them: recording starts while the
first prompt waits (so the first cell does not wait for it), the watchdog with the first cell,
and the first cell already has the live loop (top-level await, a task that runs on while the
prompt waits)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Repl


def test_recording_starts_while_the_first_prompt_waits(repl: Repl) -> None:
    repl.send_line(
        "from asyncrepl.ipython.state import session_of; s = session_of(get_ipython()); "
        "print('recorded before cell 1:', s.recorder.steps().starts[0] < s.cell_windows[1][0])"
    )
    repl.expect("recorded before cell 1: True")


def test_start_ups_objects_leave_the_collector_while_the_first_prompt_waits(repl: Repl) -> None:
    # Otherwise the first full collection (10 ms of walking them) falls on a key press.
    repl.send_line("import gc; print('frozen:', gc.get_freeze_count() > 10000)")
    repl.expect("frozen: True")


def test_the_first_cell_awaits_at_the_top_level(repl: Repl) -> None:
    repl.send_line(
        "await asyncio.sleep(0.05); print('slept', asyncio.get_running_loop() is not None)"
    )
    repl.expect("slept True")
    assert repl.expect_prompt() == 2


def test_a_task_from_the_first_cell_runs_while_the_prompt_waits(repl: Repl) -> None:
    repl.paste(
        "async def ticker():\n"
        "    for i in range(1000):\n"
        "        print(f'tick {i}')\n"
        "        await asyncio.sleep(0.1)\n"
        "\n"
        "t = asyncio.create_task(ticker())\n"
    )
    repl.expect("tick 0")
    repl.expect(r"In \[2\]")
    repl.expect("tick 3")  # nobody pressed a key since the cell ended


def test_the_first_key_presses_are_not_reported_as_blocking(tmp_path: Path) -> None:
    # The first Enter builds prompt_toolkit's key-binding caches (about 15 ms here, far more
    # on a busy machine): with a watchdog already running, a low threshold reported it.
    repl = Repl(tmp_path, "--no-banner", "--AsyncREPL.blocking_threshold=0.01")
    try:
        repl.expect_prompt()
        repl.send("print('cell one ' + 'ran')")
        repl.send("\r")
        repl.expect("cell one ran")
        assert "The event loop was blocked" not in repl.text
    finally:
        repl.close()


def test_code_that_runs_before_the_first_prompt_finds_asyncrepl_whole(tmp_path: Path) -> None:
    # The command wires the cells once its first prompt is drawn; startup files and
    # exec_lines run before it: the first of them wires the cells first.
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-check.py").write_text(
        "print('magic at startup:', get_ipython().find_line_magic('blocking') is not None)\n",
        encoding="utf-8",
    )
    lines = "['async def seven(): return 7', 'print(\"ran\", asyncio.run(seven()))']"
    repl = Repl(tmp_path, "--no-banner", f"--InteractiveShellApp.exec_lines={lines}")
    try:
        repl.expect("magic at startup: True")
        repl.expect("ran 7")  # asyncio imported for the user, asyncio.run rewritten
        assert repl.expect_prompt() == 1
    finally:
        repl.close()


def test_a_cell_typed_before_the_first_prompt_is_drawn_finds_asyncrepl_whole(
    tmp_path: Path,
) -> None:
    repl = Repl(tmp_path, "--no-banner")
    try:
        repl.send_line("print('typed ahead', asyncio.run(asyncio.sleep(0, 'and ran')))")
        repl.expect("typed ahead and ran")
        repl.send_line("%tasks")
        repl.expect("No tasks|task")
    finally:
        repl.close()
