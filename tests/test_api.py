"""``asyncrepl.api.recording()``: the real recorder follows the loops ``asyncio.run`` makes."""

from __future__ import annotations

import asyncio
import json
import time
from asyncio import events
from pathlib import Path
from typing import Any

import pytest

from asyncrepl.api import recording
from asyncrepl.render.timeline import GLYPHS
from asyncrepl.windows import Timeline

SCALE = 0.25  # the tutorial's delays, shortened: 0.05 s and 0.075 s


async def print_values(values: list[int], delay: float) -> float:
    for _ in values:
        await asyncio.sleep(delay)
    return delay


async def tutorial() -> list[float]:
    return await asyncio.gather(
        print_values([1, 3, 5], 0.2 * SCALE), print_values([2, 4], 0.3 * SCALE)
    )


def step_offsets(timeline: Timeline, coro: str) -> list[list[float]]:
    """Step starts of each task running ``coro``, in seconds after that task's first step."""
    found = []
    for task in sorted(timeline.tasks, key=lambda t: t.id):
        if task.coro == coro:
            starts = [s.start for s in timeline.steps if s.task_id == task.id]
            found.append([round(t - starts[0], 3) for t in starts])
    return found


def test_the_tutorial_under_asyncio_run() -> None:
    before = asyncio.get_event_loop_policy()
    with recording() as rec:
        assert asyncio.run(tutorial()) == [0.2 * SCALE, 0.3 * SCALE]
    assert asyncio.get_event_loop_policy() is before
    first, second = step_offsets(rec.timeline(), "print_values")
    unit = 0.2 * SCALE
    assert first == pytest.approx([0, unit, 2 * unit, 3 * unit], abs=0.02)
    assert second == pytest.approx([0, 0.3 * SCALE, 0.6 * SCALE], abs=0.02)
    summary = rec.summary()
    assert summary.workers == 2 and summary.serial > 1.5 * summary.concurrent
    text = rec.render(width=90)
    assert "\nprint_values (" in text and "Ran concurrently" in text


def test_each_new_loop_is_followed() -> None:
    async def named(name: str) -> None:
        await asyncio.sleep(0)

    with recording() as rec:
        asyncio.run(named("a"))
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(loop.create_task(named("b"), name="second-loop"))
        finally:
            loop.close()
    timeline = rec.timeline()
    names = [t.name for t in timeline.tasks if t.coro.endswith("named")]
    assert len(names) == 2 and "second-loop" in names
    assert len({t.id for t in timeline.tasks}) == len(timeline.tasks)


def test_a_running_loop_is_recorded_from_the_start_of_the_block() -> None:
    async def main() -> Timeline:
        with recording() as rec:
            await asyncio.gather(*(asyncio.sleep(0.01) for _ in range(3)))
        return rec.timeline()

    timeline = asyncio.run(main())
    assert sum(t.coro == "sleep" for t in timeline.tasks) == 3
    assert timeline.steps and all(timeline.start <= s.start <= timeline.end for s in timeline.steps)


def test_nothing_is_recorded_after_the_block() -> None:
    with recording() as rec:
        asyncio.run(asyncio.sleep(0))
    count = len(rec.timeline().steps)
    asyncio.run(tutorial())
    assert len(rec.timeline().steps) == count
    assert rec.recorder.loop is None


def test_filter_show_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with recording(threshold=0.5) as rec:
        asyncio.run(tutorial())
    only = rec.timeline(tasks=["print_values"])
    assert {t.coro for t in only.tasks} == {"print_values"} and only.threshold == 0.5
    rec.show(width=70)
    out = capsys.readouterr().out
    assert out.startswith("Timeline (") and GLYPHS["run"] in out
    written = rec.export(tmp_path / "trace.json")
    steps = [e for e in json.loads(written.read_text())["traceEvents"] if e.get("cat") == "step"]
    assert len(steps) == len(rec.timeline().steps)
    assert "<svg" in rec._repr_html_()


def test_watch_blocking_puts_the_block_on_the_timeline() -> None:
    reports: list[Any] = []

    async def main() -> None:
        await asyncio.sleep(0)
        time.sleep(0.2)  # the blocking call under test
        await asyncio.sleep(0)

    with recording(threshold=0.05, watch_blocking=True, on_block=reports.append) as rec:
        asyncio.run(main())
    if rec.watchdog is None:
        pytest.skip("the watchdog is not installed")
    blocks = rec.timeline().blocks
    assert [b.duration for b in blocks] == [pytest.approx(0.2, abs=0.05)]
    assert blocks[0].call == "time.sleep(0.2)"
    assert blocks[0] in reports
    assert not rec.watchdog.running


class _OddHandle(events.Handle):
    def _run(self) -> None:  # a loop with its own handles: no step timings possible
        super()._run()


class _OddLoop(asyncio.SelectorEventLoop):
    def call_soon(self, callback: Any, *args: Any, context: Any = None) -> events.Handle:
        handle = _OddHandle(callback, args, self, context)
        self._ready.append(handle)  # type: ignore[attr-defined]
        return handle


def test_a_loop_with_handles_of_its_own_says_what_it_lacks() -> None:
    async def main() -> tuple[str | None, str]:
        with recording() as rec:
            await asyncio.create_task(asyncio.sleep(0))
        return rec.reason, rec.render()

    loop = _OddLoop()
    try:
        reason, text = loop.run_until_complete(main())
    finally:
        loop.close()
    assert reason is None and "Nothing ran" not in text
    flat = " ".join(text.split())  # notes are wrapped to the width
    assert "plain callbacks and what tasks waited for are not recorded" in flat
