"""The static check measured: precision and recall on the labelled corpus beside
``ruff check --select ASYNC``, and the time to check a 1,000-line cell (target: under 50 ms).

    python benchmarks/static_check.py [--runs 21]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import subprocess
import sys
import time
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


if __name__ == "__main__":
    main()
