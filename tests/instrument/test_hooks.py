"""Instruments: only overridden hooks are called; one that raises is removed and logged."""

from __future__ import annotations

import logging
from typing import Any

from asyncrepl.instrument.hooks import Instrument, Instruments


class Recording(Instrument):
    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def task_done(self, task: Any) -> None:
        self.calls.append(("task_done", (task,)))


class Raising(Instrument):
    def step_started(self, task: Any, t: float) -> None:
        raise ValueError("bug in an instrument")


def test_only_overridden_hooks_are_registered() -> None:
    instruments = Instruments()
    recording = Recording()
    instruments.add(recording)
    assert instruments.wants("task_done") and not instruments.wants("task_created")
    assert not instruments.steps  # no per-step cost for an instrument without step hooks
    instruments.call("task_done", "t")
    assert recording.calls == [("task_done", ("t",))]
    instruments.remove(recording)
    assert len(instruments) == 0 and not instruments.wants("task_done")


def test_a_raising_instrument_is_removed_and_logged_once(caplog: Any) -> None:
    instruments = Instruments()
    recording, raising = Recording(), Raising()
    instruments.add(raising)
    instruments.add(recording)
    assert instruments.steps
    with caplog.at_level(logging.ERROR, logger="asyncrepl"):
        instruments.call("step_started", None, 1.0)
        instruments.call("step_started", None, 2.0)
    assert [r.getMessage() for r in caplog.records] == [
        f"asyncrepl: instrument {raising!r} raised in step_started(); it is switched off"
    ]
    assert not instruments.steps and len(instruments) == 1
