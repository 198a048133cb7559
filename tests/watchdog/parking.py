"""Drives a :class:`~asyncrepl.watchdog.Watchdog` one look at a time on a clock the test
moves, while a real thread (the "loop thread") sits parked at a known line of real code."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import CodeType
from typing import Any

from asyncrepl.watchdog import Watchdog

__all__ = ["FakeClock", "Parked", "a_task", "drive", "parked"]

Body = Callable[[threading.Event], Coroutine[Any, Any, Any]]


class FakeClock:
    """A :class:`~asyncrepl.watchdog.BlockSource` whose time and step the test sets."""

    def __init__(self) -> None:
        self.time = 100.0
        self.step: tuple[float, Any] | None = None

    def now(self) -> float:
        return self.time

    def current_step(self) -> tuple[float, Any] | None:
        return self.step


class Parked:
    """A thread running ``asyncio.run(body(gate))``, stopped where ``body`` waits on ``gate``
    (or, ``spinning``, running Python code until ``gate`` is set)."""

    def __init__(self, body: Body, *, spinning: bool = False) -> None:
        self.gate = threading.Event()
        self.spinning = spinning
        self._body = body
        self.thread = threading.Thread(target=self._run, name="parked loop", daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._body(self.gate))
        except BaseException as error:  # shown by the test that waits for the park
            self.error = error

    @property
    def ident(self) -> int:
        assert self.thread.ident is not None
        return self.thread.ident

    def wait_until_at(self, code: CodeType, deadline: float = 10.0) -> None:
        """Wait until a frame of ``code`` is on the thread's stack and the thread waits."""
        end = time.monotonic() + deadline
        while not self._at(code):
            assert self.error is None, self.error
            assert time.monotonic() < end, f"the thread never reached {code.co_name}"
            time.sleep(0.001)

    def _at(self, code: CodeType) -> bool:
        frame = sys._current_frames().get(self.ident)
        innermost = frame
        found = False
        while frame is not None:
            found = found or frame.f_code is code
            frame = frame.f_back
        if not found or self.spinning:
            return found
        # Parked means blocked in the lock under Event.wait, not on the way there.
        return (
            innermost is not None
            and innermost.f_code.co_name == "wait"
            and innermost.f_code.co_filename == threading.__file__
        )


@contextmanager
def parked(
    body: Body, at: Callable[..., Any] | None = None, *, spinning: bool = False
) -> Iterator[Parked]:
    """Run ``body`` in a thread, wait until it parks (or spins) inside ``at`` (``body`` by
    default), and let it go at the end."""
    park = Parked(body, spinning=spinning)
    park.thread.start()
    try:
        park.wait_until_at((at or body).__code__)
        yield park
    finally:
        park.gate.set()
        park.thread.join(10)


def a_task(name: str = "blocker") -> asyncio.Task[Any]:
    """A real task, done, named ``name``: what a step's owner looks like to the watchdog."""
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(asyncio.sleep(0), name=name)
        loop.run_until_complete(task)
    finally:
        loop.close()
    return task


def drive(
    dog: Watchdog, clock: FakeClock, seconds: float, *, task: Any = None, end: bool = True
) -> None:
    """One step that holds the loop for ``seconds`` on the fake clock: the watchdog looks as
    often as it asks to; the step ends (when ``end``) and it looks once more."""
    start = clock.time
    clock.step = (start, task)
    while clock.time - start < seconds:
        clock.time += min(dog.look(), start + seconds - clock.time) or 1e-6
    if end:
        clock.step = None
        clock.time += 0.001
        dog.look()
