"""``asyncrepl run SCRIPT.py [ARGS]``: real scripts in a subprocess, as a person runs them."""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from asyncrepl.cli_run import main_run

TUTORIAL = """\
import asyncio, sys
import helper  # a module next to the script: its folder is on sys.path

async def print_values(values, delay):
    for item in values:
        print(item)
        await asyncio.sleep(delay)
    return delay

async def main():
    await asyncio.gather(print_values([1, 3, 5], 0.05), print_values([2, 4], 0.075))

print(__name__, sys.argv[1:], __file__ == sys.argv[0], helper.VALUE)
asyncio.run(main())
sys.exit(int(sys.argv[1]))
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "asyncrepl", "run", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def script(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


@pytest.fixture
def tutorial(tmp_path: Path) -> Path:
    script(tmp_path, "helper.py", "VALUE = 42\n")
    return script(tmp_path, "tutorial.py", TUTORIAL)


def test_runs_as_main_keeps_stdout_and_exit_status(tmp_path: Path, tutorial: Path) -> None:
    done = run(tmp_path, "--export", "trace.json", "tutorial.py", "3", "--export", "x")
    assert done.returncode == 3, done.stderr
    assert done.stdout.splitlines() == [
        "__main__ ['3', '--export', 'x'] True 42",
        *"12345",
    ]
    err = done.stderr
    assert "Timeline of tutorial.py (" in err
    assert "\nprint_values (" in err and "Ran concurrently" in err
    assert "Wrote a trace for Perfetto (ui.perfetto.dev) or chrome://tracing:" in err
    trace = json.loads((tmp_path / "trace.json").read_text())
    tracks = {
        e["args"]["name"]: e["tid"] for e in trace["traceEvents"] if e["name"] == "thread_name"
    }
    first = min(tid for name, tid in tracks.items() if name.startswith("print_values ("))
    steps = [e for e in trace["traceEvents"] if e.get("cat") == "step" and e["tid"] == first]
    offsets = [(e["ts"] - steps[0]["ts"]) / 1e6 for e in steps]
    assert offsets == pytest.approx([0, 0.05, 0.1, 0.15], abs=0.02)
    assert not (tmp_path / "x").exists()


def test_an_uncaught_exception_shows_the_scripts_traceback(tmp_path: Path) -> None:
    script(
        tmp_path,
        "boom.py",
        """\
        import asyncio

        async def main():
            await asyncio.sleep(0)
            raise ValueError("no such thing")

        asyncio.run(main())
        """,
    )
    done = run(tmp_path, "boom.py")
    assert done.returncode == 1
    traceback, _, chart = done.stderr.partition("Timeline of boom.py")
    assert traceback.startswith("Traceback (most recent call last):\n  File ")
    assert 'boom.py", line 7, in <module>' in traceback
    assert "runpy" not in traceback and "cli_run" not in traceback
    assert traceback.rstrip().endswith("ValueError: no such thing")
    assert "\nmain (" in chart and "✗" in chart


@pytest.mark.parametrize(
    ("work", "says"),
    [
        ("await asyncio.sleep(0)", "main ("),  # the chart
        # A block report, wrapped to the width, and a failed task's traceback.
        ("asyncio.create_task(boom()); await asyncio.sleep(0); time.sleep(0.2)", "AR201"),
    ],
)
def test_a_report_to_a_pipe_never_loads_prompt_toolkit(
    tmp_path: Path, work: str, says: str
) -> None:
    # Colour in a terminal needs prompt_toolkit; the plain text of a report to a file or a
    # pipe does not, and loading it took a short script's run from 0.11 to 0.18 s. (A block
    # report loaded it to wrap its lines, in the watchdog's thread while the loop was stuck.)
    script(
        tmp_path,
        "quick.py",
        f"""\
        import asyncio, atexit, sys, time

        atexit.register(lambda: print("prompt_toolkit:", "prompt_toolkit" in sys.modules))

        async def boom():
            raise ValueError("no")

        async def main():
            {work}

        asyncio.run(main())
        """,
    )
    done = run(tmp_path, "--threshold", "0.05", "quick.py")
    assert done.returncode == 0 and says in done.stderr
    assert done.stdout == "prompt_toolkit: False\n"


def test_a_blocking_call_is_reported_with_its_line(tmp_path: Path) -> None:
    script(
        tmp_path,
        "slow.py",
        """\
        import asyncio, time

        async def main():
            await asyncio.sleep(0)
            time.sleep(0.2)

        asyncio.run(main())
        """,
    )
    done = run(tmp_path, "--threshold", "0.05", "slow.py")
    assert done.returncode == 0 and done.stdout == ""
    assert "The event loop was blocked for 0.2" in done.stderr
    assert "slow.py:5" in done.stderr and "time.sleep(0.2)" in done.stderr
    assert "loop blocked" in done.stderr and "▓" in done.stderr


def test_starting_many_tasks_is_not_called_a_blocking_call(tmp_path: Path) -> None:
    script(
        tmp_path,
        "many.py",
        """\
        import asyncio

        async def main():
            coroutines = [asyncio.sleep(0) for _ in range(20_000)]
            await asyncio.sleep(0)  # the next step only starts the tasks
            await asyncio.gather(*coroutines)

        asyncio.run(main())
        """,
    )
    # 20,000 tasks hold the loop 100-200 ms here: well over a 20 ms threshold (5000 held it
    # 25-70 ms, since the collector leaves asyncrepl's own objects out: too close to it).
    done = run(tmp_path, "--threshold", "0.02", "many.py")
    assert done.returncode == 0, done.stderr
    reports = done.stderr.partition("Timeline of many.py")[0]
    assert "many.py:6 in main" in reports
    said = r"`asyncio.gather\(\)` started 20,000 tasks: no other task ran for (\d+ ms|[\d.]+ s)\."
    assert re.search(said, reports), reports
    assert "Fix: start them in batches" in reports
    assert "to_thread" not in reports and "blocks the entire event loop" not in reports


def test_a_bad_export_path_stops_before_the_script_runs(tmp_path: Path) -> None:
    script(tmp_path, "mark.py", "open('ran', 'w').close()\n")
    done = run(tmp_path, "--export", "missing/trace.json", "mark.py")
    assert done.returncode == 2
    assert done.stderr == (
        "asyncrepl run: Cannot write `missing/trace.json`: the folder `missing` does not exist.\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mark.py"]


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_run([str(tmp_path / "nowhere.py")]) == 2
    assert "cannot find" in capsys.readouterr().err
    assert main_run(["--export", "t.txt", __file__]) == 2
    assert "no known export type" in capsys.readouterr().err
    assert main_run(["--help"]) == 0
    assert "Options go before SCRIPT.py" in capsys.readouterr().out
    assert main_run([]) == 2
    assert "the following arguments are required: SCRIPT.py" in capsys.readouterr().err


def test_sys_exit_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = script(tmp_path, "bye.py", "import sys\nsys.exit('bye now')\n")
    saved = list(sys.path)
    assert main_run([str(path)]) == 1
    assert sys.path == saved
    err = capsys.readouterr().err
    assert err.startswith("bye now\n") and "Nothing ran on the event loop in bye.py." in err


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1", "-inf"])
def test_a_threshold_must_be_a_finite_number_above_zero(tmp_path: Path, value: str) -> None:
    script(tmp_path, "mark.py", "open('ran', 'w').close()\n")
    done = run(tmp_path, f"--threshold={value}", "mark.py")
    assert done.returncode == 2
    assert done.stderr == (
        f"asyncrepl run: `--threshold {float(value)}` must be a number of seconds above 0 "
        "(say 0.1).\n"
    )
    assert not (tmp_path / "ran").exists()


def test_exit_does_not_wait_for_the_watchdogs_next_look(tmp_path: Path) -> None:
    path = script(tmp_path, "quick.py", "import asyncio\nasyncio.run(asyncio.sleep(0.01))\n")
    began = time.perf_counter()
    done = run(tmp_path, "--threshold", "60", path.name)
    assert done.returncode == 0, done.stderr
    assert time.perf_counter() - began < 10  # it waited 30 s (half the threshold) before


def test_ctrl_c_during_the_report_stops_it_quietly(tmp_path: Path) -> None:
    # The script's last act: a Ctrl-C, delivered once the recording has ended and the report
    # of its 400,000 steps is being drawn.
    script(
        tmp_path,
        "busy.py",
        """\
        import asyncio, os, signal, sys, threading

        async def spin():
            for _ in range(50_000):
                await asyncio.sleep(0)

        async def main():
            await asyncio.gather(*(spin() for _ in range(8)))

        asyncio.run(main())
        print("script done", flush=True)
        threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT)).start()
        sys.exit(3)
        """,
    )
    done = run(tmp_path, "busy.py")
    assert done.stdout == "script done\n"
    assert done.returncode == 3
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr


def test_loops_in_threads_and_a_policy_of_the_scripts_own(tmp_path: Path) -> None:
    script(
        tmp_path,
        "threads.py",
        """\
        import asyncio, threading

        class Policy(asyncio.DefaultEventLoopPolicy):
            pass

        async def work(n):
            for _ in range(5):
                await asyncio.sleep(0.001)
            return n

        async def main(n):
            return await asyncio.gather(*(work(n) for _ in range(3)))

        asyncio.set_event_loop_policy(Policy())
        threads = [threading.Thread(target=asyncio.run, args=(main(n),)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        asyncio.run(main(8))
        """,
    )
    done = run(tmp_path, "threads.py")
    assert done.returncode == 0
    assert "failed" not in done.stderr and "Nothing ran" not in done.stderr, done.stderr
    assert "main (Task-" in done.stderr
    assert "27 tasks" in done.stderr  # 9 loops x 3 workers ran concurrently


def test_the_main_task_is_remembered_among_thousands(tmp_path: Path) -> None:
    # asyncio.run makes its main task before the loop runs: the recorder must see the loop
    # first, or the main task, noted as done before its children are freed, dropped out of
    # the history of finished tasks and was drawn as "Task #1".
    script(
        tmp_path,
        "many.py",
        """\
        import asyncio

        async def main():
            coroutines = [asyncio.sleep(0) for _ in range(5000)]
            await asyncio.sleep(0)
            await asyncio.gather(*coroutines)

        asyncio.run(main())
        """,
    )
    done = run(tmp_path, "--threshold", "0.02", "many.py")
    assert done.returncode == 0, done.stderr
    assert "\nmain (Task-1) " in done.stderr and "Task #1 " not in done.stderr


def test_the_collector_leaves_asyncrepls_own_objects_out_while_the_script_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A script that makes 100,000 tasks has the collector go through everything about ten
    # times: asyncrepl's modules and the recorder's tables were a third of its time.
    path = script(tmp_path, "frozen.py", "import gc\nprint(gc.get_freeze_count())\n")
    assert gc.get_freeze_count() == 0
    assert main_run([str(path)]) == 0
    assert int(capsys.readouterr().out) > 1000
    assert gc.get_freeze_count() == 0  # everything is the collector's again


def test_the_report_counts_every_task_of_a_run_with_thousands(tmp_path: Path) -> None:
    # More tasks than the history of finished tasks keeps (1000): the report still counts
    # each, the rows it does not draw included.
    many = "asyncio.gather(*(asyncio.sleep(0) for _ in range(3000)))"
    main = f"async def main():\n    await {many}\n"
    script(tmp_path, "thousands.py", f"import asyncio\n{main}asyncio.run(main())\n")
    done = run(tmp_path, "thousands.py")
    assert done.returncode == 0, done.stderr
    words = " ".join(done.stderr.split())
    assert "running these 3000 tasks concurrently" in words
    assert "… and 2981 more tasks, less busy" in words  # 3001 with main: 20 rows drawn
