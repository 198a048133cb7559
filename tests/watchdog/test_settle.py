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
