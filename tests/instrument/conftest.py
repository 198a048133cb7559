"""Every test here runs with each of the recording round's two inner loops: the C one
(``_readyrun``, where it was built) and the Python one that runs where it was not. They must
record the same and behave as asyncio's own round does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from asyncrepl.instrument import rounds


@pytest.fixture(autouse=True, params=["C loop", "Python loop"])
def inner_loop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Which inner loop the rounds made during the test use."""
    if request.param == "Python loop":
        monkeypatch.setattr(rounds, "run_ready", None)
    elif rounds.run_ready is None:
        pytest.skip("the C loop was not built here (tests/instrument/test_readyrun.py says why)")
    yield request.param
