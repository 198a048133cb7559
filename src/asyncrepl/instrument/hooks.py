"""Instruments: objects told what happens on a recorded loop (a task created, a step run, a
task done). Every method is an optional no-op; one that raises is switched off and logged."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["HOOK_NAMES", "Instrument", "Instruments"]

log = logging.getLogger("asyncrepl")

AnyTask = asyncio.Task[Any]

#: The hook methods of :class:`Instrument`, in the order they happen in a task's life.
HOOK_NAMES = ("task_created", "step_started", "step_ended", "task_done")


class Instrument:
    """Base class for things that want to hear about a recorded loop. Override only the
    methods you need: the recorder calls a hook only for instruments that override it, so an
    instrument without step hooks costs nothing per step.

    Hooks run on the loop's thread, inside the loop, so they must be quick. A hook that raises
    is removed and logged once; it never breaks the loop.
    """

    def task_created(self, task: AnyTask, parent: AnyTask | None) -> None:
        """A task was created (or seen for the first time).

        :param task: the new task.
        :param parent: the task that was running when it was created, or None.
        """

    def step_started(self, task: AnyTask | None, t: float) -> None:
        """The loop is about to run a step.

        :param task: the task whose step it is, None for a plain callback.
        :param t: the recorder's clock.
        """

    def step_ended(self, task: AnyTask | None, t: float) -> None:
        """The loop finished a step.

        :param task: the task whose step it was, None for a plain callback.
        :param t: the recorder's clock.
        """

    def task_done(self, task: AnyTask) -> None:
        """A task finished: returned, raised, or was cancelled.

        :param task: the finished task.
        """


class Instruments:
    """The instruments of one recorder, grouped by hook so that a hook nobody overrides is
    never called. :attr:`steps` is true while some instrument wants step hooks, :attr:`tasks`
    while one wants task hooks."""

    def __init__(self) -> None:
        self._by_hook: dict[str, dict[Instrument, None]] = {name: {} for name in HOOK_NAMES}
        self.steps = False
        self.tasks = False

    def add(self, instrument: Instrument) -> None:
        """Start calling ``instrument``'s overridden hooks (adding it twice does nothing).

        :param instrument: an :class:`Instrument`.
        """
        for name in HOOK_NAMES:
            if getattr(type(instrument), name, None) is not getattr(Instrument, name):
                self._by_hook[name][instrument] = None
        self._update()

    def remove(self, instrument: Instrument) -> None:
        """Stop calling ``instrument`` (removing one that is not there does nothing).

        :param instrument: an :class:`Instrument` added before.
        """
        for hooked in self._by_hook.values():
            hooked.pop(instrument, None)
        self._update()

    def wants(self, name: str) -> bool:
        """Whether some instrument overrides the hook ``name``."""
        return bool(self._by_hook[name])

    def call(self, name: str, *args: Any) -> None:
        """Call hook ``name`` on each instrument that overrides it; switch off one that raises.

        :param name: one of :data:`HOOK_NAMES`.
        :param args: the hook's arguments.
        """
        for instrument in list(self._by_hook[name]):
            try:
                getattr(instrument, name)(*args)
            except Exception:
                self.remove(instrument)
                log.exception(
                    "asyncrepl: instrument %r raised in %s(); it is switched off", instrument, name
                )

    def __len__(self) -> int:
        return len({i for hooked in self._by_hook.values() for i in hooked})

    def _update(self) -> None:
        self.steps = bool(self._by_hook["step_started"] or self._by_hook["step_ended"])
        self.tasks = bool(self._by_hook["task_created"] or self._by_hook["task_done"])
