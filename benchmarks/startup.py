"""Time to first prompt: asyncrepl against IPython and ``python -m asyncio``.

Each REPL is started in a pseudo-terminal, interleaved, several times; the time until its
prompt appears is measured and the medians are printed as ratios to IPython.
Target: asyncrepl at most 1.15x IPython's own startup.

    python benchmarks/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import pexpect

REPLS = {
    "ipython": ([sys.executable, "-m", "IPython", "--no-banner"], r"In \["),
    "asyncrepl": ([sys.executable, "-m", "asyncrepl", "--no-banner"], r"In \["),
    "python -m asyncio": ([sys.executable, "-m", "asyncio"], r">>> "),
}


def time_to_prompt(argv: list[str], prompt: str, home: str) -> float:
    env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "IPYTHONDIR": home, "NO_COLOR": "1"}
    start = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, encoding="utf-8", timeout=30)
    # The prompt arrives with escape sequences inside it; match on the part before them.
    child.expect(prompt)
    elapsed = time.perf_counter() - start
    child.terminate(force=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="starts of each REPL")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in REPLS}
    with tempfile.TemporaryDirectory() as home:
        for argv, prompt in REPLS.values():  # warm-up: profiles, bytecode caches
            time_to_prompt(argv, prompt, home)
        for _ in range(args.runs):
            for name, (argv, prompt) in REPLS.items():
                times[name].append(time_to_prompt(argv, prompt, home))
    base = statistics.median(times["ipython"])
    print(f"time to first prompt, median of {args.runs} interleaved runs")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"  {name:18} {median * 1000:7.0f} ms   {median / base:5.2f}x ipython")
    ratio = statistics.median(times["asyncrepl"]) / base
    verdict = "ok" if ratio <= 1.15 else "OVER TARGET"
    print(f"asyncrepl / ipython = {ratio:.2f}x (target <= 1.15x): {verdict}")


if __name__ == "__main__":
    main()
