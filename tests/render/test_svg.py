"""The SVG picture, the HTML page, the Jupyter view and writing the exports to files."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asyncrepl.render import timeline_html
from asyncrepl.render.svg import COLOURS, render_svg
from asyncrepl.render.timeline_html import (
    ExportError,
    _write_behind,
    check_export_path,
    export_timeline,
    render_timeline_page,
    timeline_view,
)
from asyncrepl.windows import Timeline
from tests.render.test_timeline import T0, task, timeline, tutorial_timeline
from tests.render.test_trace import many_steps, validate

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    """What each text element shows (its tooltip left out)."""
    return [el.text or "" for el in root.iter(f"{SVG}text")]


def bars(root: ET.Element, colour: str) -> list[tuple[float, float]]:
    """``(x, width)`` of the filled rectangles of one colour, left to right."""
    found = [
        (float(el.get("x", 0)), float(el.get("width", 0)))
        for el in root.iter(f"{SVG}rect")
        if el.get("fill") == colour and el.get("fill-opacity") is None
    ]
    return sorted(found)


def test_tutorial_picture_places_steps_at_the_sleep_times() -> None:
    tl = tutorial_timeline()
    root = parse(render_svg(tl, width=1000, scope="cell 2"))
    words = texts(root)
    assert "Timeline of cell 2 (0.61 s)" in words
    assert {"print_values (Task-2)", "print_values (Task-3)"} <= set(words)
    assert any(w.startswith("Ran concurrently: 0.6 s instead of 1.2 s") for w in words)
    lines = [el for el in root.iter(f"{SVG}line") if el.get("stroke") == COLOURS["wait"]]
    assert len(lines) == 3  # one waiting line per task
    left = min(float(el.get("x1", 0)) for el in lines)
    right = 1000 - 16
    seconds = [(x - left) / (right - left) * 0.61 for x, _ in bars(root, COLOURS["run"])]
    starts = sorted({round(s, 2) for s in seconds})
    assert starts == pytest.approx([0.0, 0.2, 0.3, 0.4, 0.6], abs=0.011)


def test_blocking_steps_and_blocked_intervals_are_red() -> None:
    slow = task(1, "slow", created=0.0, ended=0.5)
    tl = timeline({slow: [(0.0, 0.01), (0.1, 0.3)]}, end=0.5, blocks=[(0.1, 0.3)])
    root = parse(render_svg(tl))
    [(x, width)] = bars(root, COLOURS["block"])
    assert width > 100
    bands = [el for el in root.iter(f"{SVG}rect") if el.get("fill-opacity")]
    assert len(bands) == 1 and float(bands[0].get("x", 0)) == pytest.approx(x)
    assert any(w.startswith("⚠ 1 step held the loop") for w in texts(root))
    assert "held the loop > 0.1 s" in texts(root)


def test_names_are_escaped() -> None:
    odd = task(1, "<b>&'\"", created=0.0, ended=0.1)
    root = parse(render_svg(timeline({odd: [(0.0, 0.01)]}, end=0.1)))
    assert "<b>&'\"" in texts(root)


def test_many_steps_are_merged_into_few_rectangles() -> None:
    one = task(1, "busy", created=0.0, ended=10.0)
    tl = timeline({one: [(i * 0.001, 0.0002) for i in range(10_000)]}, end=10.0)
    root = parse(render_svg(tl, width=600))
    assert len(bars(root, COLOURS["run"])) < 50


def test_page_and_jupyter_view() -> None:
    tl = tutorial_timeline()
    page = render_timeline_page(tl, scope="cell 2")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    # The picture holds the summary; the page shows it once (issue 14).
    assert page.count("Ran concurrently") == 1 and "wall time" in page
    view = timeline_view(tl, width=70, scope="cell 2")
    assert view._repr_html_().startswith("<div><svg")
    assert repr(view).startswith("Timeline of cell 2 (0.61 s)\n<cell 2> (Task-1) ")
    empty = timeline_view(Timeline(start=T0, end=T0 + 1), scope="cell 9")
    assert empty._repr_html_() == "<p>Nothing ran on the event loop in cell 9.</p>"


@pytest.mark.parametrize("suffix", [".json", ".svg", ".html"])
def test_export_writes_each_kind(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"run{suffix}"
    assert export_timeline(tutorial_timeline(), target) == target
    text = target.read_text(encoding="utf-8")
    if suffix == ".json":
        assert validate(json.loads(text)) == []
    elif suffix == ".svg":
        assert text.startswith("<?xml") and parse(text.split("\n", 1)[1]) is not None
    else:
        assert "<svg" in text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("trace.txt", r"`.*trace.txt` has no known export type: end the name with .json"),
        ("missing/trace.json", r"Cannot write `.*trace.json`: the folder `.*missing` does not"),
        (".", r"no known export type"),
    ],
)
def test_export_refuses_bad_paths_and_writes_nothing(
    tmp_path: Path, name: str, message: str
) -> None:
    with pytest.raises(ExportError, match=message):
        export_timeline(tutorial_timeline(), tmp_path / name)
    assert sorted(os.listdir(tmp_path)) == []


def test_export_refuses_a_folder(tmp_path: Path) -> None:
    (tmp_path / "out.json").mkdir()
    with pytest.raises(ExportError, match=r"it is a folder"):
        check_export_path(tmp_path / "out.json")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_export_refuses_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    with pytest.raises(ExportError, match=r"permission denied"):
        export_timeline(tutorial_timeline(), folder / "trace.json")
    assert list(folder.iterdir()) == []


# A long trace fails in the thread that writes it, while its steps are still being formatted.
@pytest.mark.parametrize("made", ["tutorial_timeline()", "many_steps(300_000)"])
def test_an_export_that_fails_midway_keeps_the_old_file_and_leaves_no_other(
    tmp_path: Path, made: str
) -> None:
    # A real failure of the disk: a file size limit, in a process of its own.
    target = tmp_path / "trace.json"
    target.write_text("the old trace", encoding="utf-8")
    target.chmod(0o640)
    script = (
        "import resource, signal, sys\n"
        "from asyncrepl.render.timeline_html import ExportError, export_timeline\n"
        "from tests.render.test_timeline import tutorial_timeline\n"
        "from tests.render.test_trace import many_steps\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))\n"
        "try:\n"
        f"    export_timeline({made}, sys.argv[1])\n"
        "except ExportError as error:\n"
        "    print(error)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=60,
        check=True,
    )
    assert done.stdout == f"Cannot write `{target}`: file too large.\n"
    assert target.read_text(encoding="utf-8") == "the old trace"
    assert os.listdir(tmp_path) == ["trace.json"]
    assert export_timeline(tutorial_timeline(), target) == target  # now it can
    assert json.loads(target.read_text(encoding="utf-8"))["traceEvents"]
    assert target.stat().st_mode & 0o777 == 0o640  # the file's mode stays
    assert os.listdir(tmp_path) == ["trace.json"]


class Disk(io.BytesIO):
    """A file whose ``fail_at``-th write fails as a full disk would."""

    def __init__(self, fail_at: int = 0) -> None:
        super().__init__()
        self.writes, self.fail_at = 0, fail_at

    def write(self, piece: Any) -> int:
        self.writes += 1
        if self.writes == self.fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(piece)


def pieces(count: int, made: list[int]) -> Callable[[Callable[[bytes], object]], None]:
    def produce(write: Callable[[bytes], object]) -> None:
        for n in range(count):
            made.append(n)
            write(b"%04d," % n)

    return produce


def writers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("asyncrepl-export")]


@pytest.fixture
def small_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces written four at a time (20 bytes of :func:`pieces`)."""
    monkeypatch.setattr(timeline_html, "_BATCH", 20)


@pytest.mark.usefixtures("small_writes")
def test_pieces_are_written_in_order_by_a_thread_that_ends() -> None:
    disk, made = Disk(), list[int]()
    _write_behind(disk, pieces(1000, made))
    assert disk.getvalue() == b"".join(b"%04d," % n for n in range(1000))
    assert disk.writes == 250
    assert writers() == []


@pytest.mark.usefixtures("small_writes")
def test_a_failed_write_stops_the_pieces_soon_after() -> None:
    disk, made = Disk(fail_at=3), list[int]()
    with pytest.raises(OSError, match="No space left"):
        _write_behind(disk, pieces(1000, made))
    assert len(made) <= 4 * (3 + timeline_html._AHEAD)  # known before many more were made
    assert disk.getvalue().startswith(b"0000,0001,0002,0003,0004,0005,0006,0007,0012,")
    assert writers() == []


def test_a_failure_while_making_the_pieces_ends_the_thread() -> None:
    disk = Disk()

    def produce(write: Callable[[bytes], object]) -> None:
        write(b"a")
        raise KeyError("formatting failed")

    with pytest.raises(KeyError, match="formatting failed"):
        _write_behind(disk, produce)
    assert disk.getvalue() == b"" and writers() == []  # nothing half gathered is written


def test_on_one_processor_the_export_writes_for_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline_html, "_cores", lambda: 1)
    monkeypatch.setattr(timeline_html, "_write_behind", None)  # not called
    written = export_timeline(many_steps(10_000), tmp_path / "trace.json")
    steps = [e for e in json.loads(written.read_bytes())["traceEvents"] if e.get("cat") == "step"]
    assert len(steps) == 10_000


def test_the_processors_are_counted() -> None:
    assert 1 <= timeline_html._cores() <= (os.cpu_count() or 1)
