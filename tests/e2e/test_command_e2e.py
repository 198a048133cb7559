"""The command line: --help, IPython's own options, and %load_ext in plain IPython."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import Repl


def test_help_lists_asyncrepls_options() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "asyncrepl", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for option in ("--no-banner", "run [--export", "check PATH", "--AsyncREPL.blocking"):
        assert option in out
    assert "--help-all" in out


def test_ipython_and_asyncrepl_options_on_the_command_line(tmp_path: Path) -> None:
    repl = Repl(tmp_path, "--no-banner", "--colors=nocolor", "--AsyncREPL.blocking=strict")
    try:
        repl.expect_prompt()
        repl.send_line("%asyncrepl")
        repl.expect("AsyncREPL.blocking = 'strict'")
        repl.send_line("get_ipython().colors")
        repl.expect("nocolor")
        repl.expect_prompt()
        assert repl.exit() == 0
    finally:
        repl.close()


def test_load_ext_in_plain_ipython_gives_the_live_loop(tmp_path: Path) -> None:
    repl = Repl(tmp_path, "--no-banner", module="IPython")
    try:
        repl.expect_prompt()
        repl.send_line("%load_ext asyncrepl")
        repl.expect_prompt()
        repl.paste(
            "async def ticker():\n"
            "    for i in range(100):\n"
            "        print(f'tick {i}')\n"
            "        await asyncio.sleep(0.1)\n"
        )
        repl.expect_prompt()
        repl.send_line("t = asyncio.create_task(ticker())")
        repl.expect("tick 3")  # going on while the prompt waits
        assert repl.exit(typed=True) == 0
        assert "Cancelling 1 pending task" in repl.text
    finally:
        repl.close()
