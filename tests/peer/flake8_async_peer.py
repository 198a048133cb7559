"""flake8-async's own fixtures against ``asyncrepl check``: recall on the lines they mark, and
every finding on an unmarked line reviewed.

flake8-async ships its test fixtures in its sdist (``tests/eval_files/``), each expected finding
marked on its line (``# ASYNC210: 4, 'requests.get'``). This script downloads that sdist (the
version pinned below, so CI does not move underneath), runs the real ``asyncrepl check
--format json`` on the asyncio-relevant files, and compares lines. It fails when recall is
below :data:`MIN_RECALL` or when a finding on an unmarked line is not in :data:`REVIEWED`.

    .venv/bin/python tests/peer/flake8_async_peer.py [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

#: The flake8-async release measured against.
VERSION = "26.8.1"
MIN_RECALL = 0.95
FILES = (
    "async210.py",
    "async211.py",
    "async212.py",
    "async22x_asyncio.py",
    "async23x_asyncio.py",
    "async232_asyncio.py",
    "async250.py",
    "async251.py",
)
_MARK = re.compile(r"#\s*ASYNC\d{3}(?:_asyncio)?:")

_POOL_REQUEST = (
    "PoolManager.request sends any method it is given (a variable, a custom verb) and waits "
    "for the response; the peer marks only literal HTTP verbs"
)
_OPEN_UNMARKED = "open() in a coroutine: the peer's ASYNC230, which this file does not enable"

#: Findings on lines flake8-async does not mark, each a true blocking call (file, line: why).
REVIEWED: dict[tuple[str, int], str] = {
    **{("async211.py", line): _POOL_REQUEST for line in (20, 22, 23, 24, 25, 26)},
    ("async211.py", 19): "PoolManager.request(): with no method it raises before any I/O, but "
    "the call is a request on the network as written",
    ("async212.py", 98): "`client: Client = Client()` from `from httpx import Client`: an httpx "
    "Client's send waits for the response (the peer says 'not implemented')",
    ("async23x_asyncio.py", 18): "`await open('')` opens the file (blocking) before the await "
    "fails: the peer assumes an awaited call is async",
    ("async232_asyncio.py", 71): "`f: None | TextIOWrapper | None` is an optional file all the "
    "same (the peer says 'not handled')",
    **{
        ("async232_asyncio.py", line): _OPEN_UNMARKED
        for line in (107, 112, 117, 122, 126, 131, 212, 219)
    },
    ("async232_asyncio.py", 248): "class attribute `x: TextIOWrapper`: the method reads a file "
    "(the peer's own comment: 'should error')",
    ("async232_asyncio.py", 256): "`self.x: TextIOWrapper = open('')` in __init__: the method "
    "reads a file (the peer's own comment: 'should error')",
    ("async232_asyncio.py", 264): "return_textiowrapper() opens a file: a helper's blocking call",
}


#: Marked lines not found, each with why (they count against recall, and are printed).
KNOWN_MISSES: dict[tuple[str, int], str] = {
    ("async210.py", 50): "`request.urlopen()` with no import: only top-level module names are "
    "taken to be modules, `request` could be anything",
    ("async210.py", 51): "`urlopen()` with no import: a bare name is not guessed to be a library "
    "function",
    ("async22x_asyncio.py", 14): "`subprocess.Popen()` starts a process without waiting for it: "
    "asyncrepl reports its wait()/communicate(), as its corpus says",
    ("async232_asyncio.py", 118): "one problem, one finding: the `open` that made `f` is reported",
    ("async232_asyncio.py", 127): "one problem, one finding: the `open` that made `f` is reported",
    ("async232_asyncio.py", 134): "one problem, one finding: the `open` that made `ff` is reported",
}


def download(cache: Path) -> Path:
    """The fixture folder of the pinned sdist, downloaded and unpacked once into ``cache``."""
    folder = cache / f"flake8_async-{VERSION}"
    eval_files = folder / "tests" / "eval_files"
    if eval_files.is_dir():
        return eval_files
    cache.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    subprocess.run([*pip, "--dest", str(cache), f"flake8-async=={VERSION}"], check=True)
    with tarfile.open(cache / f"flake8_async-{VERSION}.tar.gz") as archive:
        archive.extractall(cache, filter="data")
    return eval_files


def marked_lines(path: Path) -> set[int]:
    """The lines the peer expects a finding on."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {number for number, text in enumerate(lines, 1) if _MARK.search(text)}


def our_lines(paths: list[Path]) -> dict[str, dict[int, str]]:
    """What ``asyncrepl check`` reports, file name -> line -> codes."""
    done = subprocess.run(
        [sys.executable, "-m", "asyncrepl", "check", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"asyncrepl check failed ({done.returncode}):\n{done.stderr}")
    found: dict[str, dict[int, str]] = {path.name: {} for path in paths}
    # The rows are the JSON array; anything the CLI prints around it (a summary) is not.
    rows = json.loads(done.stdout[done.stdout.index("[") : done.stdout.rindex("]") + 1])
    for row in rows:
        codes = found[Path(row["path"]).name]
        codes[row["line"]] = " ".join(filter(None, [codes.get(row["line"]), row["code"]]))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(tempfile.gettempdir()) / "asyncrepl-peer"
    parser.add_argument("--cache", type=Path, default=default, help="download folder")
    args = parser.parse_args()
    folder = download(args.cache)
    paths = [folder / name for name in FILES]
    ours = our_lines(paths)
    wanted = hit = 0
    unreviewed: list[str] = []
    for path in paths:
        marked = marked_lines(path)
        found = ours[path.name]
        missed = sorted(marked - set(found))
        wanted, hit = wanted + len(marked), hit + len(marked & set(found))
        print(f"{path.name}: {len(marked & set(found))} of {len(marked)} marked lines found")
        for line in missed:
            reason = KNOWN_MISSES.get((path.name, line), "not known")
            print(f"  missed {path.name}:{line}: {reason}")
        for line in sorted(set(found) - marked):
            reason = REVIEWED.get((path.name, line))
            print(f"  unmarked {path.name}:{line} {found[line]}: {reason or 'NOT REVIEWED'}")
            if reason is None:
                unreviewed.append(f"{path.name}:{line}")
    recall = hit / wanted
    print(f"flake8-async {VERSION}: recall {recall:.3f} ({hit} of {wanted} marked lines)")
    stale = sorted(f"{n}:{line}" for n, line in REVIEWED if line not in ours.get(n, {}))
    if stale:
        print(f"reviewed but no longer reported: {', '.join(stale)}")
    failed = recall < MIN_RECALL or unreviewed
    if unreviewed:
        print(f"findings on unmarked lines not reviewed: {', '.join(unreviewed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
