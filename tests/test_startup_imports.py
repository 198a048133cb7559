"""What a plain start and a plain first cell import of asyncrepl: exactly the modules listed
here. Start-up time is the sum of them, so a change that imports another module at start
(the explanations, the renderers of exports, the checker) fails here, naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from asyncrepl import cparts

#: The modules the ``asyncrepl`` command needs before its first prompt: the live loop (the
#: prompt runs on it) and the settings. What cells and magics need is wired once the prompt
#: is drawn (``ipython/wiring.py``), or before any code runs.
START = {
    "asyncrepl",
    "asyncrepl.cli",
    "asyncrepl.instrument",  # its empty package, to find the round's file without importing it
    "asyncrepl.ipython",
    "asyncrepl.ipython.extension",
    "asyncrepl.ipython.output",
    "asyncrepl.ipython.settings",
    "asyncrepl.ipython.state",
    "asyncrepl.labels",
    "asyncrepl.session",
    "asyncrepl.shell",
    "asyncrepl.shell.cellfiles",
    "asyncrepl.shell.interrupt",
    "asyncrepl.shell.liveloop",
    "asyncrepl.shell.sigint_relay",  # a Ctrl-C another thread took reaches the cell
}

#: What cells and magics need: the cell rewrites, the static check's gate, the hints.
WIRING = {
    "asyncrepl.analysis",
    "asyncrepl.analysis.gate",
    "asyncrepl.ipython.blocking_check",
    "asyncrepl.ipython.cellkinds",  # which cells are the user's: the last cell is one of them
    "asyncrepl.ipython.live_settings",  # %config takes effect at once
    "asyncrepl.ipython.wiring",
    "asyncrepl.render",
    "asyncrepl.render.fragments",  # plain text of formatted text, for the printer
    "asyncrepl.render.hints",
    "asyncrepl.render.printer",
    "asyncrepl.render.style",
    "asyncrepl.render.wrap",
    "asyncrepl.shell.cellhooks",
    "asyncrepl.shell.tracebacks",  # tracebacks without asyncrepl's frames, from the first cell
    "asyncrepl.shell.transforms",
    "asyncrepl.shell.unawaited",  # Python's "never awaited" warning becomes the hint
}

#: The recorder's hot paths in C: the round's inner loop, the notes of a new task and of a
#: task freed unseen.
C_PARTS = (
    "asyncrepl.instrument._readyrun",
    "asyncrepl.instrument._freednote",
    "asyncrepl.instrument._tasknote",
)

#: What the first cell adds: watching starts (the failure reporter, the recorder, the
#: watchdog), without the checker (``1 + 1`` cannot block the loop), the explanations, the
#: magics' snapshots or any renderer but those of reports.
FIRST_CELL = (
    START
    | WIRING
    | {
        "asyncrepl.cparts",  # which of the recorder's hot paths run in C
        "asyncrepl.durations",
        "asyncrepl.instrument.collector",  # the garbage collector's long pauses inside steps
        "asyncrepl.instrument.endings",  # a task's end in words (the records' half of tasklog)
        "asyncrepl.instrument.corosteps",  # loops that are not asyncio's, recorded by their tasks
        "asyncrepl.instrument.handlerun",  # the fallback when asyncio's round is not as expected
        "asyncrepl.instrument.install",
        "asyncrepl.instrument.loopclass",
        "asyncrepl.instrument.recorder",
        "asyncrepl.instrument.ring",
        "asyncrepl.instrument.rounds",
        "asyncrepl.instrument.seams",
        "asyncrepl.instrument.sites",
        "asyncrepl.instrument.suspensions",
        "asyncrepl.instrument.tasklog",
        "asyncrepl.instrument.taskrecord",
        "asyncrepl.instrument.unseen",  # tasks no one asked about yet, with no record
        "asyncrepl.instrument.tasks",
        "asyncrepl.instrument.waits",
        "asyncrepl.instrument.watcher",
        "asyncrepl.ipython.quiet_timing",  # IPython's %time/%timeit are not reported as blocks
        "asyncrepl.ipython.watching",
        "asyncrepl.records",
        "asyncrepl.render.blocks",
        "asyncrepl.render.task_errors",
        "asyncrepl.shell.task_failures",
        "asyncrepl.watchdog",
        "asyncrepl.watchdog.detector",
        "asyncrepl.watchdog.frames",
        "asyncrepl.watchdog.reports",
    }
    # the recorder's hot paths in C, where they were built (the same runs in Python)
    | ({name for name in C_PARTS if find_spec(name)} if not cparts.PURE_PYTHON else set())
)

LISTING = 'print("modules:", *sorted(m for m in sys.modules if m.startswith("{}")))'
PRINT_MODULES = LISTING.format("asyncrepl")
PRINT_IPYTHON_MODULES = LISTING.format("IPython")
PROGRAMS = {
    # The app as the `asyncrepl` command makes it in a terminal, initialized (the extension
    # loaded, the prompt not yet drawn).
    "start": "from asyncrepl.cli import _make_app\n_make_app().initialize(['--no-banner'])",
    # Code before any prompt: wired first.
    "first cell": "from asyncrepl.cli import main\nmain(['--no-banner', '-c', '1 + 1'])",
}


def imported(program: str, home: Path, listing: str = PRINT_MODULES) -> set[str]:
    """The modules ``program`` imported, run in a pseudo-terminal (a terminal's prompt is
    prompt_toolkit's, and the command wires the cells after it is drawn). Started by
    subprocess, not by a fork of this process: the suite has threads by then."""
    env = {**os.environ, "IPYTHONDIR": str(home), "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}
    terminal, child_end = os.openpty()
    with subprocess.Popen(
        [sys.executable, "-c", f"import sys\n{program}\n{listing}"],
        env=env,
        stdin=child_end,
        stdout=child_end,
        stderr=child_end,
        start_new_session=True,
    ) as child:
        os.close(child_end)
        output = b""
        while True:  # read all it writes, or it stops once the terminal's buffer is full
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            output += chunk
        os.close(terminal)
        assert child.wait(timeout=60) == 0, output[-2000:]
    [line] = [line for line in output.decode().splitlines() if "modules:" in line]
    return set(line.split("modules:")[1].split())


def difference(found: set[str], allowed: set[str]) -> str:
    lines = []
    if found - allowed:
        lines.append(f"imports more than before: {', '.join(sorted(found - allowed))}")
        lines.append("  import them where they are first needed, or add them to the list here")
    if allowed - found:
        lines.append(f"no longer imports: {', '.join(sorted(allowed - found))} (drop them here)")
    return "\n".join(lines)


@pytest.mark.parametrize(("name", "allowed"), [("start", START), ("first cell", FIRST_CELL)])
def test_what_a_plain_session_imports(name: str, allowed: set[str], tmp_path: Path) -> None:
    found = imported(PROGRAMS[name], tmp_path)
    assert found == allowed, f"{name}: " + difference(found, allowed)


def test_a_first_cell_loads_no_more_of_ipython_than_plain_ipython(tmp_path: Path) -> None:
    # IPython declares most of its magics lazily; the execution magics alone take 5 ms to load,
    # and asyncrepl wraps %time and %timeit only before a cell that may use them.
    plain = "import IPython\nIPython.start_ipython(['--no-banner', '-c', '1 + 1'])"
    ours = imported(PROGRAMS["first cell"], tmp_path / "ours", PRINT_IPYTHON_MODULES)
    theirs = imported(plain, tmp_path / "plain", PRINT_IPYTHON_MODULES)
    assert ours <= theirs, f"asyncrepl also loads: {', '.join(sorted(ours - theirs))}"


def test_a_first_cell_loads_no_other_module_than_plain_ipython(tmp_path: Path) -> None:
    # sysconfig's data (1.5 ms) is read when a site is first labelled, not when watching starts.
    plain = "import IPython\nIPython.start_ipython(['--no-banner', '-c', '1 + 1'])"
    every = LISTING.format("")
    ours = imported(PROGRAMS["first cell"], tmp_path / "ours", every)
    theirs = imported(plain, tmp_path / "plain", every)
    extra = {name for name in ours - theirs if name.split(".")[0] != "asyncrepl"}
    assert extra <= {"gc"}, f"asyncrepl also loads: {', '.join(sorted(extra))}"  # gc: built in
