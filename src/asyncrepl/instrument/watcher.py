"""The recorder's side of the patches in :mod:`~asyncrepl.instrument.install`: it links the
recorder's step runner into the loop, and turns task-factory calls into creation notes and,
for eager tasks (3.12+), into the first step that ran inside ``create_task``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from asyncrepl.instrument import install
from asyncrepl.instrument.ring import CALLBACK, EAGER, IDLE, resumed, task_of
from asyncrepl.instrument.runner import Runner, RunnerParts, StepRunner, make_runner
from asyncrepl.instrument.sites import Site
from asyncrepl.instrument.tasklog import coro_name

if TYPE_CHECKING:
    from asyncrepl.instrument.recorder import Recorder

__all__ = ["RecorderWatcher"]

AnyTask = asyncio.Task[Any]
#: From ``task_creating`` to ``task_created``: where the eager entry was staged (-1: none)
#: and who was running when ``create_task`` was called.
_Token = tuple[int, int]
_NO_TOKEN: _Token = (-1, IDLE)


def _ran_eagerly(task: AnyTask) -> bool:
    """Whether the task's first step already ran inside ``create_task`` (3.12+ eager)."""
    if task.done():
        return True
    coro = task.get_coro()
    return bool(getattr(coro, "cr_suspended", False) or getattr(coro, "gi_suspended", False))


class RecorderWatcher:
    """The recorder's side of :mod:`~asyncrepl.instrument.install`: the step runner and the
    task-factory hooks."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.runner: Runner | None = None

    def link(self, loop: asyncio.AbstractEventLoop, inner: StepRunner | None) -> StepRunner:
        if self.runner is None:
            rec = self.recorder
            parts = RunnerParts(
                clock=rec._clock,
                task_id=rec.task_id,
                store=rec._store,
                instruments=rec._instruments,
                fail=rec._fail,
            )
            self.runner = make_runner(parts, install.dispatch)
        self.runner.relink(loop, inner)
        return self.runner.run

    def unlink(self) -> None:
        if self.runner is not None:
            self.runner.flush()
            self.runner.relink(None, None)

    def round_ended(self) -> None:
        if self.runner is not None:
            self.runner.round_ended()

    def running(self) -> int:
        """Who the newest entry runs (IDLE when there is none)."""
        assert self.runner is not None
        if self.runner.whos:
            return self.runner.whos[-1]
        last = self.recorder._ring.last() if self.recorder._ring is not None else None
        return last[1] if last is not None else IDLE

    def task_creating(self) -> object:
        if self.runner is None:
            return None
        running = self.running()
        if running == EAGER:  # inside another eager first step: that task runs
            loop = self.recorder.loop
            current = asyncio.current_task(loop) if loop is not None else None
            running = self.recorder.task_id(current) if current is not None else CALLBACK
        self.runner.starts.append(self.recorder._clock())
        self.runner.whos.append(EAGER)  # if the task starts eagerly, this is its step
        return (len(self.runner.whos) - 1, running)

    def task_created(
        self,
        task: AnyTask | None,
        token: object,
        coro: object = None,
        parent: AnyTask | None = None,
        where: Site | None = None,
        name: str | None = None,
    ) -> None:
        rec = self.recorder
        at, running = token if isinstance(token, tuple) else _NO_TOKEN
        t0 = rec._clock()
        if task is None:
            self._resume(at, running, eager_id=None)
            return
        book = rec._book
        record = book.lookup(id(task)) or book.register(task, t0, coro_name(coro))
        record.site = where
        if parent is not None:
            record.parent_id = (book.lookup(id(parent)) or rec._ensure(parent)).id
        if rec._instruments.tasks:
            rec._instruments.call("task_created", task, parent)
            if rec._instruments.wants("task_done"):
                task.add_done_callback(rec._task_done)
        if at < 0:
            record.created = t0
            return
        eager = _ran_eagerly(task)
        if eager and self.runner is not None and self._staged(at):
            t0 = self.runner.starts[at]
        record.created = t0
        self._resume(at, running, eager_id=record.id if eager else None)
        if eager and task.done():
            rec._finish(record, task, rec._clock(), name)

    def _staged(self, at: int) -> bool:
        """Whether our eager entry is still staged at ``at`` (not moved to the ring)."""
        runner = self.runner
        return runner is not None and at < len(runner.whos) and runner.whos[at] == EAGER

    def _resume(self, at: int, running: int, eager_id: int | None) -> None:
        """After ``create_task``: name the eager step's task (or drop the entry), and let the
        step that called ``create_task`` go on."""
        if at < 0 or self.runner is None:
            return
        whos = self.runner.whos
        if eager_id is not None and self._staged(at):
            whos[at] = eager_id
        elif self._staged(at) and at == len(whos) - 1:  # nothing ran: take the entry back
            del whos[at], self.runner.starts[at]
            return
        elif self._staged(at):
            whos[at] = CALLBACK
        task_id = task_of(running)
        self.runner.starts.append(self.recorder._clock())
        whos.append(IDLE if task_id is None else resumed(task_id))

    def task_cancelling(
        self, task: AnyTask, by: AnyTask | None, where: Site | None, msg: Any
    ) -> None:
        rec = self.recorder
        by_id = rec.task_id(by) if by is not None else None
        rec._ensure(task).cancel = (by_id, by.get_name() if by is not None else None, where, msg)

    def task_freed(self, task: AnyTask) -> None:
        rec = self.recorder
        record = rec._book.lookup(id(task))
        if record is None:
            return
        if task.done():
            rec._finish(record, task, rec._clock())
        rec._book.forget(id(task))
