"""Watchdog.settle: the loop's own thread has a block that is over reported at once (a kernel's
cell ending must not leave its report for the watchdog's next look, after the cell)."""

from __future__ import annotations

import asyncio
import threading
import time

from asyncrepl.instrument.recorder import Recorder
from asyncrepl.records import BlockReport
from asyncrepl.watchdog import Watchdog


def test_settle_reports_a_block_that_is_over_in_the_loops_thread() -> None:
    recorder = Recorder(capacity=4096)
    loop = asyncio.new_event_loop()
    delivered: list[tuple[BlockReport, bool]] = []

    def on_report(report: BlockReport) -> None:
        delivered.append((report, threading.get_ident() == loop_thread))

    loop_thread = threading.get_ident()
    watchdog = Watchdog(recorder, threshold=0.05, on_report=on_report)

    async def blocker() -> None:
        time.sleep(0.2)

    async def main() -> list[tuple[BlockReport, bool]]:
        await asyncio.create_task(blocker(), name="blocker")
        watchdog.settle()  # the step after the block: the report comes now
        return list(delivered)

    assert recorder.attach(loop) is None
    watchdog.start(loop_thread)
    try:
        at_settle = loop.run_until_complete(main())
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline and len(delivered) < 2:
            time.sleep(0.01)  # a second report would come at the watchdog's next looks
    finally:
        watchdog.stop()
        recorder.detach()
        loop.close()
    assert [report.task_name for report, _ in at_settle] == ["blocker"]
    assert len(delivered) == 1 and not delivered[0][0].still_blocked


def test_settle_so_far_reports_the_running_step_up_to_now_and_watches_the_rest() -> None:
    """A kernel's cell that blocked the loop itself ends inside the kernel's step: its block
    is reported then; what the step does after that is a block of its own, if it is one."""
    recorder = Recorder(capacity=4096)
    loop = asyncio.new_event_loop()
    delivered: list[tuple[BlockReport, float]] = []
    loop_thread = threading.get_ident()
    watchdog = Watchdog(
        recorder, threshold=0.05, on_report=lambda r: delivered.append((r, recorder.now()))
    )
    settled: list[float] = []

    async def one_step(after: float) -> None:
        time.sleep(0.2)  # the cell's own block
        watchdog.settle(so_far=True)  # the cell ends; the step goes on
        settled.append(recorder.now())
        time.sleep(after)

    assert recorder.attach(loop) is None
    watchdog.start(loop_thread)
    try:
        loop.run_until_complete(loop.create_task(one_step(0.01), name="quick rest"))
        loop.run_until_complete(loop.create_task(one_step(0.2), name="slow rest"))
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline and len(delivered) < 3:
            time.sleep(0.01)  # the rest of a step is reported at the watchdog's next looks
    finally:
        watchdog.stop()
        recorder.detach()
        loop.close()
    names = [report.task_name for report, _ in delivered]
    assert names == ["quick rest", "slow rest", "slow rest"], delivered
    assert all(report.duration >= 0.19 for report, _ in delivered), delivered
    assert delivered[0][1] <= settled[0] and delivered[1][1] <= settled[1]  # at once
    second, rest = delivered[1][0], delivered[2][0]
    assert rest.started >= settled[1] - 0.01 > second.started  # the rest, on its own
