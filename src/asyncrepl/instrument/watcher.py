"""The recorder's side of the patches in :mod:`~asyncrepl.instrument.install`: it links the
recorder's step runner into the loop, and turns task-factory calls into creation notes and,
for eager tasks (3.12+), into the first step that ran inside ``create_task``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from asyncrepl.instrument import install
from asyncrepl.instrument.runner import EAGER, Relink, RunnerParts, StepRunner, make_runner
from asyncrepl.instrument.sites import Site
from asyncrepl.instrument.tasklog import coro_name

if TYPE_CHECKING:
    from asyncrepl.instrument.recorder import Recorder

__all__ = ["RecorderWatcher"]

AnyTask = asyncio.Task[Any]
#: From ``task_creating`` to ``task_created``: the step that was running, and when the call
#: started.
_Token = tuple["tuple[float, Any] | None", float]


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
        self._runner: tuple[StepRunner, Relink] | None = None

    def link(self, loop: asyncio.AbstractEventLoop, inner: StepRunner | None) -> StepRunner:
        if self._runner is None:
            rec = self.recorder
            assert rec._ring is not None
            parts = RunnerParts(
                ring=rec._ring,
                clock=rec._clock,
                now=rec._now,
                lookup=rec._book.lookup,
                first_seen=rec._first_seen,
                finish=rec._finish,
                instruments=rec._instruments,
                fail=rec._fail,
            )
            self._runner = make_runner(parts, install.dispatch)
        run, relink = self._runner
        relink(loop, inner)
        return run

    def unlink(self) -> None:
        if self._runner is not None:
            self._runner[1](None, None)

    def task_creating(self) -> object:
        now = self.recorder._now
        prev, t0 = now.step, self.recorder._clock()
        now.step = (t0, EAGER)  # if the task starts eagerly, this is its step
        return prev, t0

    def task_created(
        self,
        task: AnyTask | None,
        token: object,
        *,
        coro: object = None,
        parent: AnyTask | None = None,
        where: Site | None = None,
        name: str | None = None,
    ) -> None:
        rec = self.recorder
        prev, t0 = cast(_Token, token)
        if task is None:
            rec._now.step = prev
            return
        t1 = rec._clock()
        record = rec._book.lookup(id(task))
        if record is None:
            record = rec._book.register(task, t0, coro_name(coro))
        record.created, record.site = t0, where
        record.parent_id = rec._ensure(parent).id if parent is not None else None
        if rec._instruments.wants("task_created"):
            rec._instruments.call("task_created", task, parent)
        if not _ran_eagerly(task):
            rec._now.step = prev
            return
        segment = rec._now.step  # a nested eager task may have moved its start
        seg_start = segment[0] if segment is not None else t0
        if prev is not None:
            self._close_part(prev, t0)
        rec._append(record.id, seg_start, t1)
        record.steps += 1
        record.run_time += t1 - seg_start
        rec._now.step = (t1, prev[1]) if prev is not None else None
        if task.done():
            rec._finish(record, task, t1, name)

    def _close_part(self, prev: tuple[float, Any], t0: float) -> None:
        """The step that called ``create_task`` ran until ``t0``; the eager step follows."""
        rec = self.recorder
        start, task = prev
        if task is EAGER:
            task = asyncio.current_task(rec._loop) if rec._loop is not None else None
        task_id = 0
        if task is not None:
            record = rec._ensure(task)
            record.run_time += t0 - start
            task_id = record.id
        rec._append(task_id, start, t0)

    def task_cancelling(
        self, task: AnyTask, by: AnyTask | None, where: Site | None, msg: Any
    ) -> None:
        rec = self.recorder
        by_id = rec._ensure(by).id if by is not None else None
        rec._ensure(task).cancel = (by_id, by.get_name() if by is not None else None, where, msg)
