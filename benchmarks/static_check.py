"""The static check measured: precision and recall on the labelled corpus beside
``ruff check --select ASYNC``, the time to check a 1,000-line cell (target: under 50 ms), and
the check of a generated 100,000-line set of modules against ``ast.parse`` of the same files:
lines per second, time and peak memory, with many findings and with none (targets: at most 2x
the parse's time and 3x its peak memory).

    python benchmarks/static_check.py [--runs 21] [--set-runs 5]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.analysis.corpus_eval import Score, cases, corpus_files, score  # noqa: E402

from asyncrepl.analysis import check_source  # noqa: E402

RUFF = Path(sys.executable).with_name("ruff")


def ours() -> set[tuple[str, int, str]]:
    points = set()
    for path in corpus_files():
        for finding in check_source(path.read_text(encoding="utf-8"), str(path)):
            points.add((path.name, finding.line, finding.code))
    return points


def ruffs() -> set[tuple[str, int, str]]:
    """ruff's ASYNC findings; ``--isolated`` so the project's exclusion of the corpus and its
    rule selection do not apply."""
    argv = [str(RUFF), "check", "--isolated", "--select", "ASYNC", "--target-version", "py311"]
    argv += ["--output-format", "json", "--no-cache", *map(str, corpus_files())]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    rows = json.loads(done.stdout or "[]")
    return {(Path(r["filename"]).name, r["location"]["row"], r["code"]) for r in rows}


def big_cell(lines: int = 1000) -> str:
    """A realistic cell of exactly ``lines`` lines: the corpus's imports, coroutines and helpers,
    whole top-level statements repeated, padded with assignments."""
    blocks: list[str] = []
    for path in corpus_files():
        text = path.read_text(encoding="utf-8").splitlines()
        for node in ast.parse("\n".join(text)).body:
            start = node.lineno - 1 - len(getattr(node, "decorator_list", []))
            blocks.append("\n".join(text[start : node.end_lineno]))
    out: list[str] = []
    index = 0
    while True:
        block = blocks[index % len(blocks)].splitlines()
        if len(out) + len(block) > lines:
            break
        out += block
        index += 1
    out += [f"padding_{n} = {n}" for n in range(lines - len(out))]
    return "\n".join(out) + "\n"


def time_check(source: str, runs: int) -> list[float]:
    namespace = {"__name__": "__main__", "time": time, "json": json}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        check_source(source, "<cell 1>", namespace)
        times.append(time.perf_counter() - start)
    return times


def module_text(index: int, findings: bool, lines: int = 1000) -> str:
    """One generated module of ``lines`` lines: imports, classes with sync and async
    methods, chains of sync helpers, and coroutines that call them. With ``findings`` each
    coroutine makes blocking calls, directly and four helpers down; without, the same shapes
    call nothing that blocks."""
    out = [
        f'"""Generated module {index}."""',
        "import asyncio",
        "import json",
        "import os",
        "import time",
        "from pathlib import Path",
        "",
        "import requests",
        "",
        "HERE = Path(__file__).parent",
        "SETTINGS = {'retries': 3, 'timeout': 5.0}",
        "",
    ]
    part = 0
    while len(out) < lines - 40:
        name = f"m{index}_{part}"
        sleep = "time.sleep(0.1)" if findings else "await asyncio.sleep(0.1)"
        read = "(HERE / name).read_text()" if findings else "name.upper()"
        get = "requests.get(url, timeout=5).json()" if findings else "{'url': url}"
        out += [
            f"class Store_{name}:",
            f'    """A store of items for part {part}."""',
            "",
            "    def __init__(self, path, items=None):",
            "        self.path = path",
            "        self.items = dict(items or {})",
            "        self.count = len(self.items)",
            "",
            "    def load(self, name):",
            f"        return json.loads({read})",
            "",
            "    def keys(self):",
            "        return sorted(k for k in self.items if not k.startswith('_'))",
            "",
            "    async def refresh(self, name):",
            "        data = self.load(name)",
            "        self.items.update(data)",
            "        return {key: value * 2 for key, value in data.items() if value}",
            "",
            "",
            f"def step_{name}_4(url):",
            f"    return {get}",
            "",
            "",
            f"def step_{name}_3(url, attempt=0):",
            "    if attempt > SETTINGS['retries']:",
            "        raise RuntimeError(f'too many retries for {url!r}')",
            f"    return step_{name}_4(url)",
            "",
            "",
            f"def step_{name}_2(url):",
            f"    return [step_{name}_3(url, n) for n in range(1)]",
            "",
            "",
            f"def step_{name}_1(urls):",
            f"    return {{url: step_{name}_2(url) for url in urls}}",
            "",
            "",
            f"async def handle_{name}(request, store):",
            "    user = request.get('user', 'anonymous')",
            "    items = [item for item in request.get('items', []) if item]",
            f"    {sleep}",
            "    total = sum(len(str(item)) for item in items) + len(user)",
            f"    pages = step_{name}_1(request['urls'])",
            "    if total > 100 and user != 'admin':",
            "        return {'error': 'too big', 'total': total}",
            "    await store.refresh(user)",
            "    return {'user': user, 'pages': pages, 'total': total, 'keys': store.keys()}",
            "",
            "",
        ]
        part += 1
    out += [f"VALUE_{n} = {n} * 2 + len('{n}')" for n in range(lines - len(out))]
    return "\n".join(out) + "\n"


#: The generated set: this many modules of this many lines.
SET_FILES, SET_LINES = 100, 1000
MAX_TIME_RATIO, MAX_MEMORY_RATIO = 2.0, 3.0


def cpu_seconds(work: Callable[[str], object], texts: list[str]) -> float:
    """CPU time of ``work`` over every text: on a shared machine, wall time would count
    the other processes' turns too."""
    start = time.process_time()
    for text in texts:
        work(text)
    return time.process_time() - start


def peak_bytes(work: Callable[[str], object], texts: list[str]) -> int:
    tracemalloc.start()
    try:
        for text in texts:
            work(text)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def check_file(text: str) -> object:
    return check_source(text, "generated.py")


def measure_set(findings: bool, runs: int) -> bool:
    """Check the generated set against ``ast.parse`` of it; print and return whether both
    targets are met. Each is the median of ``runs`` rounds, the two loops taking turns."""
    texts = [module_text(index, findings, SET_LINES) for index in range(SET_FILES)]
    lines = sum(text.count("\n") for text in texts)
    found = sum(len(check_source(text, "generated.py")) for text in texts)
    parse, check = [], []
    for _ in range(runs):
        parse.append(cpu_seconds(ast.parse, texts))
        check.append(cpu_seconds(check_file, texts))
    parse_time, check_time = statistics.median(parse), statistics.median(check)
    parse_peak, check_peak = peak_bytes(ast.parse, texts), peak_bytes(check_file, texts)
    time_ratio, memory_ratio = check_time / parse_time, check_peak / parse_peak
    print(
        f"{SET_FILES} generated modules, {lines:,} lines, {found:,} findings:"
        f" check {lines / check_time:,.0f} lines/s ({check_time:.2f} s CPU,"
        f" {time_ratio:.2f}x ast.parse's {parse_time:.2f} s; target {MAX_TIME_RATIO:g}x),"
        f" peak {check_peak / 1e6:.1f} MB ({memory_ratio:.2f}x ast.parse's"
        f" {parse_peak / 1e6:.1f} MB; target {MAX_MEMORY_RATIO:g}x)"
    )
    return time_ratio <= MAX_TIME_RATIO and memory_ratio <= MAX_MEMORY_RATIO


def show(name: str, result: Score) -> None:
    found = result.true_pos + len(result.false_pos)
    print(
        f"{name:<28} precision {result.precision:5.2f}   recall {result.recall:5.2f}"
        f"   ({result.true_pos} right, {len(result.false_pos)} wrong of {found} reported;"
        f" {len(result.false_neg)} missed)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--set-runs", type=int, default=5)
    args = parser.parse_args()
    files = corpus_files()
    total = clean = 0
    for path in files:
        file_total, file_clean = cases(path)
        total, clean = total + file_total, clean + file_clean
    labels = score(set(), files).false_neg
    print(
        f"corpus: {len(files)} files, {total} coroutine cases ({clean} clean), {len(labels)} labels"
    )
    show("asyncrepl (line and code)", score(ours(), files))
    show("asyncrepl (line only)", score(ours(), files, by_line=True))
    show("ruff --select ASYNC (line)", score(ruffs(), files, by_line=True))
    source = big_cell()
    times = time_check(source, args.runs)
    parse = []
    for _ in range(args.runs):
        start = time.perf_counter()
        ast.parse(source)
        parse.append(time.perf_counter() - start)
    lines = source.count("\n")
    print(
        f"check_source on a {lines}-line cell: median {statistics.median(times) * 1000:.1f} ms,"
        f" best {min(times) * 1000:.1f} ms, worst {max(times) * 1000:.1f} ms"
        f" ({args.runs} runs; target < 50 ms);"
        f" ast.parse alone: median {statistics.median(parse) * 1000:.1f} ms"
        f" ({statistics.median(times) / statistics.median(parse):.1f}x parse, which does not"
        " depend on the machine's load)"
    )
    met = [measure_set(findings, args.set_runs) for findings in (True, False)]
    if not all(met):
        sys.exit("the check of the generated set missed its target")


if __name__ == "__main__":
    main()
