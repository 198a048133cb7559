"""The run-time blocking report in the real asyncrepl: a coroutine blocks the loop through a
call no static check can see, and the report names its line, the call and the fix."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import Repl

#: Starts a watchdog only if the extension did not: the extension is to start one itself
#: (``session.watchdog``); until it does, this stands in so that the detector, the cell
#: labels and the report are still checked in a real terminal session.
WIRE_IF_MISSING = (
    "import threading as _t; from asyncrepl.ipython.extension import session_of as _so; "
    "from asyncrepl.watchdog import Watchdog as _W; "
    "from asyncrepl.render.blocks import render_block as _rb; "
    "from asyncrepl.render.printer import print_fragments as _pf; "
    "_s = _so(get_ipython()); "
    "_s.watchdog = _s.watchdog or _W(_s.recorder, labeler=_s.labeler, "
    "on_report=lambda r: _pf(_rb(r))); "
    "_s.watchdog.running or _s.watchdog.start(_t.get_ident())"
)

SNEAKY = 'import time\nasync def sneaky():\n    getattr(time, "sle" + "ep")(0.5)\n'


def test_a_dynamic_blocking_call_is_reported_with_its_line(tmp_path: Path) -> None:
    repl = Repl(tmp_path, f"--InteractiveShellApp.exec_lines={[WIRE_IF_MISSING]!r}")
    try:
        cell = repl.expect_prompt()
        repl.paste(SNEAKY)
        repl.expect_prompt()
        repl.send_line("await sneaky()")
        repl.expect(r"The event loop was blocked for 0\.\d\d s by task .* \(AR201 loop-blocked\)")
        repl.expect(rf"<cell {cell}>:3 in sneaky")
        repl.expect(r'getattr\(time, "sle" \+ "ep"\)\(0\.5\)\s+\^{32}')
        repl.expect(r"Fix: await asyncio\.sleep\(0\.5\)")
        repl.send_line("'after'")
        repl.expect(r"Out\[\d+\]: 'after'")  # time for a second report, if there were one
        assert repl.text.count("The event loop was blocked") == 1
        assert "Traceback" not in repl.text
    finally:
        repl.close()
