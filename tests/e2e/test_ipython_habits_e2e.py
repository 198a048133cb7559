"""IPython habits in the real asyncrepl: %reset, %time with await, settings from the command
line and %config."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import Repl

MAIN = "async def main():\n    await asyncio.sleep(0.05)\n    return 42\n"


def define_and_run_main(repl: Repl) -> None:
    """Define ``main`` and run it the tutorial way: ``asyncio.run(main())`` gives 42."""
    repl.paste(MAIN)
    repl.expect_prompt()
    repl.send_line("asyncio.run(main())")
    repl.expect(r"Out\[\d+\]: 42")
    repl.expect_prompt()


def test_reset_with_confirmation_leaves_the_repl_whole(repl: Repl) -> None:
    repl.send_line("%reset")
    repl.expect(r"\(y/\[n\]\)")
    repl.send_line("y")
    repl.expect_prompt()
    define_and_run_main(repl)
    repl.send_line("%tasks")
    repl.expect_prompt()
    assert "NameError" not in repl.text
    assert repl.exit(typed=True) == 0


def test_time_of_asyncio_run(repl: Repl) -> None:
    repl.paste(MAIN)
    repl.expect_prompt()
    repl.send_line("%time asyncio.run(main())")
    repl.expect(r"CPU times: user .*, sys: .*, total: .*")
    repl.expect(r"Wall time: \d+(\.\d+)? ms")
    repl.expect(r"Out\[\d+\]: 42")
    repl.expect_prompt()
    assert "SyntaxError" not in repl.text
    assert repl.exit(typed=True) == 0


def test_a_bad_setting_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    repl = Repl(tmp_path, "--AsyncREPL.blocking_threshold=0", "--AsyncREPL.finished_tasks=-1")
    try:
        repl.expect("AsyncREPL.blocking_threshold = 0.0 is refused")
        repl.expect("AsyncREPL.finished_tasks = -1 is refused")
        repl.expect_prompt()
        repl.send_line("await asyncio.sleep(0); 1 + 1")
        repl.expect(r"Out\[\d+\]: 2")
        repl.expect_prompt()
        assert "Traceback" not in repl.text
        assert repl.exit(typed=True) == 0
    finally:
        repl.close()


def test_a_traceback_in_the_terminal_shows_no_machinery(repl: Repl) -> None:
    repl.paste("async def bad():\n    raise ValueError('bad')\n")
    repl.expect_prompt()
    repl.send_line("asyncio.run(bad())")
    repl.expect("ValueError: bad")
    repl.expect_prompt()
    assert "raise ValueError('bad')" in repl.text
    for machinery in ("cellhooks", "CellHooks", "runners.py", "skipping hidden"):
        assert machinery not in repl.text
    assert repl.exit(typed=True) == 0


def test_timeit_of_plain_code_prints_what_ipython_prints(repl: Repl) -> None:
    repl.send_line("await asyncio.sleep(0)")  # the watchdog starts with the first cell
    repl.expect_prompt()
    repl.send_line("%timeit -n 20000000 -r 2 len('abc')")
    repl.expect(r"ns ± .* per loop \(mean ± std\. dev\. of 2 runs, 20,000,000 loops each\)")
    repl.expect_prompt()
    repl.send_line("1 + 1")
    repl.expect(r"Out\[\d+\]: 2")
    repl.expect_prompt()
    assert "blocked" not in repl.text and "AR20" not in repl.text
    assert repl.exit(typed=True) == 0


def test_autoawait_switches_top_level_await_and_keeps_the_live_loop(repl: Repl) -> None:
    # `%autoawait trio` (trio not installed) made every later cell fail with
    # ModuleNotFoundError, `%autoawait asyncio` too: the REPL was lost until restarted.
    repl.send_line("%autoawait")
    repl.expect(r"autoawait is `on`, and set to use `asyncio` \(asyncrepl's event loop")
    repl.expect_prompt()
    repl.send_line("%autoawait trio")
    repl.expect(r"UsageError: asyncrepl runs every cell on its asyncio event loop")
    repl.expect_prompt()
    repl.send_line("await asyncio.sleep(0); 1 + 1")
    repl.expect(r"Out\[\d+\]: 2")
    repl.expect_prompt()
    repl.send_line("%autoawait off")
    repl.expect_prompt()
    repl.send_line("await asyncio.sleep(0)")
    repl.expect("SyntaxError: 'await' outside function")
    repl.expect_prompt()
    repl.send_line("%explain")
    repl.expect("Top-level await is switched off")
    repl.expect(r"Fix: Switch it back on with `%autoawait on`")
    repl.expect_prompt()
    repl.send_line("%autoawait on")
    repl.expect_prompt()
    repl.send_line("t = asyncio.create_task(asyncio.sleep(0, 'ran'))")  # no await: live loop
    repl.expect_prompt()
    repl.send_line("await t")
    repl.expect(r"Out\[\d+\]: 'ran'")
    repl.expect_prompt()
    assert "ModuleNotFoundError" not in repl.text and "Traceback" not in repl.text
    assert repl.exit(typed=True) == 0


EMBEDDING = """\
import asyncrepl

def work():
    answer = 41
    asyncrepl.embed()

work()
print("back in the program")
"""


def test_embed_keeps_the_rewrite_through_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "embedding.py").write_text(EMBEDDING)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    repl = Repl(tmp_path, module="embedding")
    try:
        repl.expect_prompt()
        repl.send_line("answer + 1")
        repl.expect(r"Out\[\d+\]: 42")
        repl.expect_prompt()
        repl.send_line("%reset -f")
        repl.expect_prompt()
        define_and_run_main(repl)
        repl.ctrl("d")
        repl.expect(r"exit \(\[y\]/n\)")  # IPython's embedded shell asks
        repl.send_line("y")
        repl.expect("back in the program")
        assert repl.exit(press=False) == 0
        assert "NameError" not in repl.text and "Traceback" not in repl.text
    finally:
        repl.close()


def test_a_bad_setting_in_a_profile_is_one_line(tmp_path: Path) -> None:
    profile = tmp_path / "ipython" / "profile_default"
    profile.mkdir(parents=True)
    (profile / "ipython_config.py").write_text("c.AsyncREPL.exit_timeout = -1\n")
    repl = Repl(tmp_path)
    try:
        repl.expect(r"AsyncREPL.exit_timeout = -1(\.0)? is refused")
        repl.expect_prompt()
        repl.send_line("%asyncrepl")
        repl.expect(r"AsyncREPL\.exit_timeout = 1\.0")
        repl.expect_prompt()
        assert "Traceback" not in repl.text
        assert repl.exit(typed=True) == 0
    finally:
        repl.close()
