"""Start-up and the first cell: asyncrepl against IPython (and ``python -m asyncio``).

Three figures, each measured side by side, the REPLs interleaved (A, B, A, B ...), as medians:

- prompt: the time until the first prompt appears in a pseudo-terminal;
- first cell: from sending ``1 + 1`` to its ``Out[1]``, typed ``--pause`` seconds after the
  prompt appeared (a person takes longer than that to type it); "at once" sends it as soon as
  the prompt appears, as no person can. Then the second cell, ``2 + 2``: later cells pay
  nothing;
- ``-c pass``: the whole process, ``asyncrepl -c pass`` against ``ipython -c pass``, in
  wall-clock time and in the CPU time it used.

Targets: the prompt at most 1.0x IPython's, ``-c pass`` at most 1.1x, the first cell within
30 ms of IPython's. The spread (lowest and highest of the runs) is printed beside each median.

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import pexpect

IPYTHON = [sys.executable, "-m", "IPython", "--no-banner"]
ASYNCREPL = [sys.executable, "-m", "asyncrepl", "--no-banner"]
ASYNCIO = [sys.executable, "-m", "asyncio"]
#: A colour escape sequence, which IPython writes inside ``Out[1]`` even with NO_COLOR.
ESCAPE = r"\x1b\[[0-9;]*m"


def session_times(
    argv: list[str], env: dict[str, str], pause: float = 0.0
) -> tuple[float, float, float]:
    """Time to the prompt, then to the answer of the first cell (typed ``pause`` seconds after
    the prompt appeared) and of the second."""
    start = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=30)
    child.delaybeforesend = None  # pexpect's default waits 50 ms before each send
    try:
        # The prompt arrives with escape sequences inside it; match on the part before them.
        child.expect(r"In \[")
        prompt = time.perf_counter() - start
        time.sleep(pause)
        cells = []
        for number, cell in ((1, "1 + 1"), (2, "2 + 2")):
            sent = time.perf_counter()
            child.send(cell + "\r")
            child.expect(rf"Out\[(?:{ESCAPE})*{number}")
            cells.append(time.perf_counter() - sent)
        return prompt, cells[0], cells[1]
    finally:
        child.terminate(force=True)


def asyncio_prompt(env: dict[str, str]) -> float:
    start = time.perf_counter()
    child = pexpect.spawn(ASYNCIO[0], ASYNCIO[1:], env=env, encoding="utf-8", timeout=30)
    child.expect(">>> ")
    elapsed = time.perf_counter() - start
    child.terminate(force=True)
    return elapsed


def command_time(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """The whole process of ``argv -c pass``: wall-clock time, and the CPU time it used (which
    other processes on a busy machine change less)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*argv, "-c", "pass"], env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def describe(samples: list[float]) -> str:
    median = statistics.median(samples)
    return f"{median * 1000:6.0f} ms ({min(samples) * 1000:.0f}-{max(samples) * 1000:.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="interleaved pairs of each figure")
    parser.add_argument(
        "--pause", type=float, default=0.3, help="seconds between the prompt and the first cell"
    )
    args = parser.parse_args()
    names = ("ipython", "asyncrepl")
    argvs = {"ipython": IPYTHON, "asyncrepl": ASYNCREPL}
    figures = ("prompt", "first cell", "at once", "second cell", "-c pass", "-c pass CPU")
    times: dict[tuple[str, str], list[float]] = {(f, n): [] for f in figures for n in names}
    asyncio_times: list[float] = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "IPYTHONDIR": home, "NO_COLOR": "1"}
        # An installed package has its bytecode compiled; without it asyncrepl's own modules
        # would be compiled from source at every start (about 80 ms), IPython's would not.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for name in names:  # warm-up: profiles, history, bytecode caches
            session_times(argvs[name], env)
            command_time(argvs[name], env)
        for run in range(args.runs):
            order = names if run % 2 == 0 else names[::-1]
            for name in order:
                prompt, first, second = session_times(argvs[name], env, args.pause)
                times["prompt", name].append(prompt)
                times["first cell", name].append(first)
                times["second cell", name].append(second)
            for name in order:
                prompt, first, _ = session_times(argvs[name], env)
                times["prompt", name].append(prompt)
                times["at once", name].append(first)
            for name in order:
                wall, cpu = command_time(argvs[name], env)
                times["-c pass", name].append(wall)
                times["-c pass CPU", name].append(cpu)
            asyncio_times.append(asyncio_prompt(env))
    print(f"median (lowest-highest) of {args.runs} interleaved runs (the prompt: twice as many)")
    print(f"{'':14}{'ipython':>22}{'asyncrepl':>22}   ratio  pairs'  difference")
    for figure in figures:
        mine, theirs = times[figure, "asyncrepl"], times[figure, "ipython"]
        ratio = statistics.median(mine) / statistics.median(theirs)
        pairs = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
        more = (statistics.median(mine) - statistics.median(theirs)) * 1000
        print(
            f"{figure:14}{describe(theirs):>22}{describe(mine):>22}"
            f"   {ratio:4.2f}x  {pairs:4.2f}x  {more:+6.0f} ms"
        )
    base = statistics.median(times["prompt", "ipython"])
    asyncio_ratio = statistics.median(asyncio_times) / base
    print(f"{'asyncio prompt':14}{describe(asyncio_times):>44}   {asyncio_ratio:4.2f}x")
    verdicts = {
        "prompt <= 1.0x": statistics.median(times["prompt", "asyncrepl"]) / base <= 1.0,
        "-c pass <= 1.1x": statistics.median(times["-c pass", "asyncrepl"])
        / statistics.median(times["-c pass", "ipython"])
        <= 1.1,
        "first cell within 30 ms": statistics.median(times["first cell", "asyncrepl"])
        - statistics.median(times["first cell", "ipython"])
        <= 0.030,
    }
    for target, met in verdicts.items():
        print(f"target {target}: {'ok' if met else 'OVER TARGET'}")
    print("(ratio: of the medians; pairs': the median of each run's ratio)")


if __name__ == "__main__":
    main()
