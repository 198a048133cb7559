"""Every test here runs with the recorder's hot paths in C (``_readyrun``: the recording
round's inner loop; ``_tasknote``: the note of a new task; ``_freednote``: the note of a task
freed unseen), where they were built, and with their Python twins, which run where they were
not. Both must record the same and behave as asyncio does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from asyncrepl.instrument import rounds, unseen, watcher


@pytest.fixture(autouse=True, params=["C", "Python"])
def hot_paths(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Which hot paths the recorders made during the test use."""
    if request.param == "Python":
        monkeypatch.setattr(rounds, "run_ready", None)
        monkeypatch.setattr(unseen, "FreedNote", None)
        monkeypatch.setattr(watcher, "TaskNote", None)
    elif None in (rounds.run_ready, unseen.FreedNote, watcher.TaskNote):
        pytest.skip("the C hot paths were not built here (test_readyrun.py says why)")
    yield request.param
