"""The recorder's limits change at run time (``%config AsyncREPL.finished_tasks`` and
``recorder_steps`` call these): what is kept follows at once, and nothing counted is lost."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Coroutine
from typing import Any

import pytest
from prompt_toolkit.formatted_text import fragment_list_to_text

from asyncrepl.instrument.recorder import Recorder
from asyncrepl.records import FORGOTTEN
from asyncrepl.render.timeline import render_timeline
from asyncrepl.render.timeline_summary import summarize


async def spin(steps: int) -> int:
    for _ in range(steps):
        await asyncio.sleep(0)
    return steps


def record(recorder: Recorder, tasks: int, steps: int) -> None:
    async def main() -> None:
        await asyncio.gather(*(asyncio.create_task(spin(steps)) for _ in range(tasks)))

    run_recorded(recorder, main())


def run_recorded(recorder: Recorder, main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on a fresh loop that ``recorder`` records."""
    loop = asyncio.new_event_loop()
    try:
        assert recorder.attach(loop) is None
        loop.run_until_complete(main)
    finally:
        recorder.detach()
        loop.close()


def test_finished_limit_at_run_time() -> None:
    rec = Recorder(finished_limit=1000)
    record(rec, 1500, 1)
    assert len(rec.finished()) == 1000
    rec.finished_limit = 5000
    record(rec, 1500, 1)
    assert len(rec.finished()) == 1000 + 1501 and rec.finished_limit == 5000  # and main
    rec.finished_limit = 10
    assert len(rec.finished()) == 10
    with pytest.raises(ValueError, match="0 or more"):
        rec.finished_limit = -1


def test_capacity_at_run_time_keeps_the_newest_and_every_count() -> None:
    rec = Recorder(capacity=100_000)
    record(rec, 10, 200)
    spins = [info for info in rec.timeline().tasks if info.coro == "spin"]
    assert len(rec.steps()) > 2000
    rec.capacity = 400
    kept = rec.steps()
    assert 100 <= len(kept) <= 400 and kept[-1] == rec.timeline().steps[-1]
    assert rec.capacity == 400
    record(rec, 10, 200)  # the next loop's ring is as small
    assert len(rec.steps()) <= 800
    first = {t.id for t in spins}
    counted = {info.id: info.steps for info in rec.finished() if info.id in first}
    assert counted == dict.fromkeys(first, 201)


def test_the_chart_says_what_the_recorder_dropped() -> None:
    from asyncrepl.api import recording

    async def main() -> None:
        await asyncio.gather(*(spin(10) for _ in range(2000)))

    with recording(capacity=8000) as rec:
        asyncio.run(main())
    text = rec.render(width=100)
    assert "2000 tasks" in text  # every task of the window is counted, remembered or not
    assert "tasks finished too long ago to be remembered by name" in text
    flat = " ".join(text.split())  # the notes are wrapped to the width
    assert flat.count("were dropped") == 1
    assert re.search(
        r"\nSteps before [\d.]+ m?s into this window were dropped: the recorder keeps", text
    )
    assert "keeps the last 8,000 entries of a loop (recorder_steps)" in flat

    with recording() as whole:
        asyncio.run(main())
    assert "were dropped" not in whole.render(width=100)


def test_every_task_is_counted_and_drawn_when_most_left_the_finished_history() -> None:
    # 600 tasks and a history of 10: all but a few are known only from their steps and where
    # they were made (kept as columns, one TaskInfo for all). The chart, the summary and the
    # note count every one, as they do the same tasks given one object each. (Not more: each
    # task moves asyncio's Task-N counter, and test_timeline_magics' tutorial labels expect
    # at most 4 digits in the same process.)
    rec = Recorder(finished_limit=10)
    record(rec, 600, 1)
    timeline = rec.timeline()
    assert sum(t.coro == "spin" for t in timeline.tasks) == 600
    ids = [t.id for t in timeline.tasks]
    assert ids == sorted(set(ids)) and len(ids) == 601  # and main
    forgotten = sum(t.outcome == FORGOTTEN for t in timeline.tasks)
    assert 600 - 10 <= forgotten < 600
    assert timeline.by_user() is timeline  # the user's, all of them
    summary = summarize(timeline)
    assert summary.workers == 600
    text = fragment_list_to_text(render_timeline(timeline, width=100))
    assert "… and 581 more tasks, less busy" in text  # 601 less the 20 rows
    assert f"\n{forgotten} tasks finished too long ago to be remembered by name" in text
    as_objects = dataclasses.replace(timeline, tasks=tuple(timeline.tasks))
    assert summarize(as_objects) == summary
    assert fragment_list_to_text(render_timeline(as_objects, width=100)) == text


def test_tasks_made_on_one_line_share_what_they_have_in_common() -> None:
    # A long run's 100,000 tasks made on one line: one Site for all the live ones, one origin
    # for all the forgotten ones (not a tuple each: 6 MB at that size), and a record is its
    # own weak reference (no second object per live task).
    rec = Recorder(finished_limit=10)
    record(rec, 40, 1)  # few: each task moves asyncio's Task-N counter (see above)
    forgotten = list(rec.book.forgotten.values())
    assert len(forgotten) >= 30 and len({id(origin) for origin in forgotten}) == 1
    assert forgotten[0][0] == "spin" and forgotten[0][1] is not None
    kept = rec.book.finished
    spins = [record for record in kept if record.coro == "spin"]
    assert len({id(record.site) for record in spins}) == 1
    # Told apart by identity, with their tasks gone: a set of them works.
    assert all(record.task() is None for record in kept) and len(set(kept)) == len(kept)


def test_tasks_made_outside_the_users_code_leave_the_users_in_the_history() -> None:
    # The REPL's prompt makes tasks for each key pressed (prompt_toolkit's validator and
    # suggester): in one shared history, 500 keys pushed a finished task of the user's out
    # of %tasks and the chart. Tasks no line of the user's made are kept apart.
    rec = Recorder(finished_limit=10)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(asyncio.create_task(spin(1), name=f"mine{i}") for i in range(5)))
        for _ in range(50):  # made by a loop callback in asyncio's code: nobody's line
            loop.call_soon(asyncio.ensure_future, spin(1))
        for _ in range(4):  # made, one step, done
            await asyncio.sleep(0)

    run_recorded(rec, main())
    names = [t.name for t in rec.finished()]
    assert {f"mine{i}" for i in range(5)} <= set(names)
    assert len(rec.book.finished) <= 10 and len(rec.book.others) == 10
