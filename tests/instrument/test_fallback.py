"""Where the recording round does not fit a loop (a ``_run_once`` of its own, or asyncio's
private seams moved), the recorder falls back to wrapping ``Handle._run``: the same
timeline comes out."""

from __future__ import annotations

import asyncio
from asyncio import events
from typing import Any

from asyncrepl.instrument import handlerun
from asyncrepl.instrument.recorder import Recorder
from asyncrepl.windows import Timeline


class OwnRoundLoop(asyncio.SelectorEventLoop):
    """A loop class with a round of its own (as some frameworks' loops have)."""

    rounds = 0

    def _run_once(self) -> None:
        self.rounds += 1
        super()._run_once()  # type: ignore[misc]


async def ping(queue: asyncio.Queue[int], count: int) -> int:
    for n in range(count):
        await queue.put(n)
        await asyncio.sleep(0)
    return count


async def pong(queue: asyncio.Queue[int], count: int) -> int:
    total = 0
    for _ in range(count):
        total += await queue.get()
    return total


async def main() -> list[int]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    await asyncio.sleep(0.001)
    return list(await asyncio.gather(ping(queue, 20), pong(queue, 20)))


def recorded(loop: asyncio.AbstractEventLoop) -> tuple[Recorder, Timeline, list[str]]:
    rec = Recorder()
    try:
        assert rec.attach(loop) is None
        used_fallback = handlerun.following(loop)
        assert loop.run_until_complete(main()) == [20, 190]
    finally:
        rec.detach()
        loop.close()
    timeline = rec.timeline()
    pong_info = next(t for t in timeline.tasks if t.coro == "pong")
    waits = [f"{w.awaited} at {w.location}" for w in rec.suspensions(pong_info.id)]
    return rec, timeline, [str(used_fallback), *waits]


def shape(timeline: Timeline) -> list[tuple[str, str, str, int]]:
    """Each task's coroutine, name, state and number of steps (ids and times differ)."""
    counts: dict[int, int] = {}
    for task_id in timeline.steps.task_ids:
        counts[task_id] = counts.get(task_id, 0) + 1
    rows = [(t.coro, t.name, t.state.value, counts.get(t.id, 0)) for t in timeline.tasks]
    return [(coro, "", state, steps) for coro, _, state, steps in rows]


def test_a_loop_with_its_own_round_is_recorded_as_the_round_records() -> None:
    _, usual, usual_waits = recorded(asyncio.SelectorEventLoop())
    loop = OwnRoundLoop()
    _, fallback, fallback_waits = recorded(loop)
    assert loop.rounds > 0  # its own round ran, and was recorded through the handles
    assert usual_waits[0] == "False" and fallback_waits[0] == "True"
    assert shape(fallback) == shape(usual)
    assert fallback_waits[1:] == usual_waits[1:] and len(usual_waits) > 5
    for steps in (usual.steps, fallback.steps):
        assert all(s.end >= s.start for s in steps)
    assert events.Handle.__dict__["_run"] is handlerun._ORIGINAL  # put back


def test_the_rounds_seams_are_checked_before_use() -> None:
    from asyncrepl.instrument.loopclass import ORIGINAL
    from asyncrepl.instrument.seams import round_misfit

    def newer_round(self: Any) -> None:  # what a newer asyncio's round might do
        self._ready_lock.acquire()

    loop = asyncio.new_event_loop()
    try:
        assert round_misfit(loop, ORIGINAL["_run_once"]) is None
        assert (
            round_misfit(loop, newer_round) == "asyncio's _run_once uses ['_ready_lock', 'acquire']"
        )
        assert round_misfit(object(), ORIGINAL["_run_once"]) == ("the loop has no _ready")
    finally:
        loop.close()
