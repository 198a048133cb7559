"""IPython's own core tests, run against asyncrepl: once plain, once with asyncrepl loaded into
the suite's shell before the first test. Fails on any test that passes plain and fails with
asyncrepl, unless it is listed in ALLOWED with the reason.

Run by ``make peer``: ``.venv/bin/python tests/peer/ipython_peer.py``. The sdist of the IPython
installed here is downloaded once into ``.peer-cache/`` (``ASYNCREPL_PEER_CACHE`` moves it).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("ASYNCREPL_PEER_CACHE", ROOT / ".peer-cache"))

#: IPython's core test files (the issue lists them).
TEST_FILES = [
    "tests/test_interactiveshell.py",
    "tests/test_magic.py",
    "tests/test_run.py",
    "tests/test_async_helpers.py",
    "tests/test_displayhook.py",
    "tests/test_inputtransformer2.py",
    "tests/test_interactivshell.py",
    "tests/test_extension.py",
    "tests/test_history.py",
    "tests/test_capture.py",
]

#: Tests that assert behaviour asyncrepl changes on purpose: test id -> why.
ALLOWED = {
    "tests.test_interactiveshell.test_should_run_async": (
        "asyncrepl runs every cell on the live loop, so should_run_async is True for cells "
        "without a top-level await (that is what makes create_task work without await)"
    ),
}

#: Seconds one test may take before it counts as failed (IPython's suite has no hanging tests
#: plain; a hang with asyncrepl is a failure, not a stuck CI run).
DEADLINE = 60

#: The plugin both passes load: a deadline per test; with ASYNCREPL_PEER_LOAD=1 it also loads
#: asyncrepl into the suite's shell before the first test, and proves it did.
PLUGIN = """
import os
import signal

import pytest

DEADLINE = {deadline}


def pytest_collection_finish(session):
    if os.environ.get("ASYNCREPL_PEER_LOAD") != "1":
        return
    from IPython.terminal.interactiveshell import TerminalInteractiveShell

    shell = TerminalInteractiveShell.instance()
    shell.extension_manager.load_extension("asyncrepl")
    state = getattr(shell, "_asyncrepl_state", None)
    assert state is not None, "asyncrepl did not load into IPython's test shell"
    assert shell.loop_runner == state.live_loop.run_cell, "the live loop is not installed"
    with open(os.environ["ASYNCREPL_PEER_PROOF"], "w") as proof:
        proof.write(f"asyncrepl loaded into {{type(shell).__name__}} {{id(shell):#x}}\\n")


def _deadline(signum, frame):
    pytest.fail(f"took longer than {{DEADLINE}} s", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    previous = signal.signal(signal.SIGALRM, _deadline)
    signal.alarm(DEADLINE)
    try:
        return (yield)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
"""

PYTEST_INI = """\
[pytest]
addopts = -p IPython.testing.plugin.pytest_ipdoctest
filterwarnings =
    error::ResourceWarning
"""


def main() -> int:
    version = importlib.metadata.version("ipython")
    source = _unpacked_sdist(version)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="asyncrepl-ipython-peer-") as tmp:
        plain = _run_pass(source, Path(tmp) / "plain", load=False)
        loaded = _run_pass(source, Path(tmp) / "asyncrepl", load=True)
        proof_file = Path(tmp) / "asyncrepl" / "proof.txt"
        proof = proof_file.read_text().strip() if proof_file.exists() else ""
    took = time.monotonic() - started
    print(f"IPython {version} core tests, {len(TEST_FILES)} files, {took:.0f} s")
    if not proof:
        print("FAIL: the asyncrepl pass did not prove that asyncrepl loaded")
        return 1
    print(f"  {proof}")
    return _compare(plain, loaded)


def _unpacked_sdist(version: str) -> Path:
    """IPython's sdist for ``version``, downloaded once and unpacked in the cache."""
    target = CACHE / f"ipython-{version}"
    if (target / "tests").is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"ipython-{version}.tar.gz"
    if not archive.exists():
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "download", "-q", "--no-deps"),
                *("--no-binary", ":all:", f"ipython=={version}", "-d", str(CACHE)),
            ],
            check=True,
        )
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return target


def _run_pass(source: Path, work: Path, *, load: bool) -> dict[str, str]:
    """Run the core tests in a copy of the sdist's tests (so the installed IPython is the one
    tested); return each test's outcome: passed, failed, error or skipped."""
    work.mkdir(parents=True)
    shutil.copytree(source / "tests", work / "tests")
    shutil.copy(source / "conftest.py", work / "conftest.py")
    (work / "pytest.ini").write_text(PYTEST_INI)
    (work / "asyncrepl_peer_plugin.py").write_text(PLUGIN.format(deadline=DEADLINE))
    report = work / "report.xml"
    env = {
        **os.environ,
        "PYTHONPATH": str(work),
        "ASYNCREPL_PEER_LOAD": "1" if load else "0",
        "ASYNCREPL_PEER_PROOF": str(work / "proof.txt"),
    }
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p"]
    command += ["asyncrepl_peer_plugin", f"--junitxml={report}", *TEST_FILES]
    label = "with asyncrepl" if load else "plain"
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    summary = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"pass {label}: {summary[0]}")
    if done.returncode not in (0, 1):
        # 1 is "some tests failed"; anything else (2: interrupted) means the run broke off.
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
        raise SystemExit(f"FAIL: the {label} pass broke off (pytest exit status {done.returncode})")
    if not report.exists():
        print(done.stdout[-3000:], done.stderr[-3000:], sep="\n")
        raise SystemExit(f"FAIL: the {label} pass ended without a report (exit {done.returncode})")
    return _outcomes(report)


def _outcomes(report: Path) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        kinds = {child.tag for child in case}
        if "failure" in kinds:
            outcomes[name] = "failed"
        elif "error" in kinds:
            outcomes[name] = "error"
        elif "skipped" in kinds:
            outcomes[name] = "skipped"
        else:
            outcomes[name] = "passed"
    return outcomes


def _compare(plain: dict[str, str], loaded: dict[str, str]) -> int:
    passed = [name for name, outcome in plain.items() if outcome == "passed"]
    broken = [name for name in passed if loaded.get(name, "missing") != "passed"]
    allowed = [name for name in broken if name in ALLOWED]
    new = [name for name in broken if name not in ALLOWED]
    print(f"  {len(passed)} tests pass plain; {len(broken)} of them do not with asyncrepl")
    for name in allowed:
        print(f"  allowed: {name}: {ALLOWED[name]}")
    for name in new:
        print(f"  FAIL: {name}: {loaded.get(name, 'missing')} with asyncrepl")
    stale = [name for name in ALLOWED if name in plain and name not in broken]
    for name in stale:
        print(f"  note: {name} is allowed to differ but no longer does")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
