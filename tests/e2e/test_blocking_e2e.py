"""The run-time blocking report in the real asyncrepl: a coroutine blocks the loop through a
call no static check can see, and the report names its line, the call and the fix."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Repl

SNEAKY = 'import time\nasync def sneaky():\n    getattr(time, "sle" + "ep")(0.5)\n'


def test_a_dynamic_blocking_call_is_reported_with_its_line(tmp_path: Path) -> None:
    repl = Repl(tmp_path)
    try:
        cell = repl.expect_prompt()
        repl.paste(SNEAKY)
        repl.expect_prompt()
        repl.send_line("await sneaky()")
        repl.expect(r"The event loop was blocked for 0\.\d\d? s by task .* \(AR201 loop-blocked\)")
        repl.expect(rf"<cell {cell}>:3 in sneaky")
        repl.expect(r'getattr\(time, "sle" \+ "ep"\)\(0\.5\)\s+\^{32}')
        repl.expect(r"Fix: await asyncio\.sleep\(0\.5\)")
        repl.send_line("'after'")
        repl.expect(r"Out\[\d+\]: 'after'")  # time for a second report, if there were one
        assert repl.text.count("The event loop was blocked") == 1
        assert "Traceback" not in repl.text
        repl.expect_prompt()
        assert repl.exit() == 0
    finally:
        repl.close()
