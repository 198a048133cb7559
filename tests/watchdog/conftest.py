"""Runs a coroutine on a real loop under a real watchdog, fed by the real recorder (or by a
small stand-in source: the watchdog needs only ``current_step()`` and ``now()``)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from asyncrepl.instrument.recorder import Recorder
from asyncrepl.records import BlockReport
from asyncrepl.watchdog import Watchdog
from tests.watchdog.stepsource import StepSource

Body = Callable[[], Awaitable[Any]]


@dataclass
class Watched:
    """What one watched run produced."""

    reports: list[BlockReport] = field(default_factory=list)
    watchdog: Watchdog | None = None
    window: tuple[float, float] = (0.0, 0.0)

    @property
    def final(self) -> list[BlockReport]:
        return [report for report in self.reports if not report.still_blocked]


def _recorder(loop: asyncio.AbstractEventLoop) -> tuple[Any, Callable[[], None]]:
    recorder = Recorder(capacity=1 << 16)
    reason = recorder.attach(loop)
    assert reason is None, reason
    return recorder, recorder.detach


def _step_source(loop: asyncio.AbstractEventLoop) -> tuple[Any, Callable[[], None]]:
    source = StepSource(loop)
    source.install()
    return source, source.uninstall


SOURCES = {"recorder": _recorder, "stepsource": _step_source}


async def until(condition: Callable[[], bool], deadline: float = 5.0) -> None:
    """Let the loop run until ``condition()`` holds; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, "the condition did not hold before the deadline"
        await asyncio.sleep(0.005)


def watch(
    make_source: Any,
    body: Body,
    blocks: int = 1,
    blocks_at: Callable[[BlockReport], bool] = lambda report: True,
    **options: Any,
) -> Watched:
    """Run ``body`` as task ``'blocker'`` under a watchdog; wait for ``blocks`` final reports
    (of those that ``blocks_at`` accepts).

    :param make_source: ``loop -> (source, undo)``.
    :param options: for :class:`Watchdog` (``threshold`` defaults to 0.05 s).
    """
    watched = Watched()

    def keep(report: BlockReport) -> None:
        # A loaded machine may stall a step of this harness's own polling: not the body's.
        if report.location is None or report.location.filename != __file__:
            watched.reports.append(report)

    options.setdefault("threshold", 0.05)
    options.setdefault("still_blocked_after", None)

    async def main() -> None:
        source, undo = make_source(asyncio.get_running_loop())
        dog = Watchdog(source, on_report=keep, **options)
        watched.watchdog = dog
        dog.start(threading.get_ident())
        try:
            start = source.now()
            await asyncio.create_task(body(), name="blocker")
            await until(lambda: len([r for r in watched.final if blocks_at(r)]) >= blocks)
            watched.window = (start, source.now())
        finally:
            dog.stop()
            undo()

    asyncio.run(main())
    return watched


@pytest.fixture
def source() -> Iterator[Any]:
    """``loop -> (source, undo)`` with the real Recorder."""
    yield _recorder
