"""The recorder's side of the patches in :mod:`~asyncrepl.instrument.install`: its stage in
the loop's recording round, and task-factory calls turned into creation notes and, for eager
tasks (3.12+), into the first step that ran inside ``create_task``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from asyncrepl.instrument.ring import CALLBACK, EAGER, IDLE, resumed, task_of
from asyncrepl.instrument.rounds import Stage
from asyncrepl.instrument.sites import Site
from asyncrepl.instrument.tasklog import TaskRecord, coro_name
from asyncrepl.instrument.tasks import Task

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
    """The recorder's side of :mod:`~asyncrepl.instrument.install`: its stage in the loop's
    round, and the task-factory hooks."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.stage: Stage | None = None

    def link(self, loop: asyncio.AbstractEventLoop) -> Stage:
        if self.stage is None or not self.stage.open:
            rec = self.recorder
            self.stage = Stage(rec._clock, rec.task_id, rec._store, rec._instruments, rec._fail)
        return self.stage

    def unlink(self) -> None:
        if self.stage is not None:
            self.stage.flush()
            self.stage.open = False

    def running(self) -> int:
        """Who the newest entry runs (IDLE when there is none)."""
        assert self.stage is not None
        if self.stage.whos:
            return self.stage.whos[-1]
        last = self.recorder._ring.last() if self.recorder._ring is not None else None
        return last[1] if last is not None else IDLE

    def task_creating(self) -> object:
        if self.stage is None or not self.stage.open:
            return None
        running = self.running()
        if running == EAGER:  # inside another eager first step: that task runs
            loop = self.recorder.loop
            current = asyncio.current_task(loop) if loop is not None else None
            running = self.recorder.task_id(current) if current is not None else CALLBACK
        self.stage.starts.append(self.recorder._clock())
        self.stage.whos.append(EAGER)  # if the task starts eagerly, this is its step
        return (len(self.stage.whos) - 1, running)

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
        t0 = rec._clock()
        if token is None and task is not None:  # the usual case: no eager first step
            self._note_created(task, coro, parent, where, t0)
            return
        at, running = token if isinstance(token, tuple) else _NO_TOKEN
        if task is None:
            self._resume(at, running, eager_id=None)
            return
        eager = at >= 0 and _ran_eagerly(task)
        if eager and self._staged(at):
            assert self.stage is not None
            t0 = self.stage.starts[at]
        record = self._note_created(task, coro, parent, where, t0)
        self._resume(at, running, eager_id=record.id if eager else None)
        if eager and task.done():
            rec._finish(record, task, rec._clock(), name)

    def _note_created(
        self, task: AnyTask, coro: object, parent: AnyTask | None, where: Site | None, t0: float
    ) -> TaskRecord:
        rec = self.recorder
        book = rec._book
        parent_id = None
        if parent is not None:
            parent_id = (book.lookup(id(parent)) or rec._ensure(parent)).id
        record = book.lookup(id(task))
        if record is None:
            record = book.register(task, t0, coro_name(coro), where, parent_id)
        else:  # already seen (asked about during its eager first step)
            record.site, record.parent_id, record.created = where, parent_id, t0
        if rec._instruments.tasks:
            self._tell_instruments(task, parent)
        return record

    def task_made(
        self, task: Task, coro: object, parent: AnyTask | None, where: Site | None
    ) -> None:
        """The short path of :meth:`task_created`, for a new asyncrepl task made by
        asyncio's own create_task while this is the loop's only watcher."""
        rec = self.recorder
        book = rec._book
        parent_id = None
        if parent is not None:
            parent_id = (book.lookup(id(parent)) or rec._ensure(parent)).id
        book.add_new(task, coro, rec._clock(), where, parent_id)
        if rec._instruments.tasks:
            self._tell_instruments(task, parent)

    def _tell_instruments(self, task: AnyTask, parent: AnyTask | None) -> None:
        rec = self.recorder
        rec._instruments.call("task_created", task, parent)
        if rec._instruments.wants("task_done"):
            task.add_done_callback(rec._task_done)

    def _staged(self, at: int) -> bool:
        """Whether our eager entry is still staged at ``at`` (not moved to the ring)."""
        stage = self.stage
        return stage is not None and at < len(stage.whos) and stage.whos[at] == EAGER

    def _resume(self, at: int, running: int, eager_id: int | None) -> None:
        """After ``create_task``: name the eager step's task (or drop the entry), and let the
        step that called ``create_task`` go on."""
        if at < 0 or self.stage is None:
            return
        whos = self.stage.whos
        staged = self._staged(at)
        if staged and eager_id is not None:
            whos[at] = eager_id
        elif staged and at == len(whos) - 1:  # nothing ran: take the entry back
            del whos[at], self.stage.starts[at]
            return
        elif staged:
            whos[at] = CALLBACK
        task_id = task_of(running)
        self.stage.starts.append(self.recorder._clock())
        whos.append(IDLE if task_id is None else resumed(task_id))

    def task_cancelling(
        self, task: AnyTask, by: AnyTask | None, where: Site | None, msg: Any
    ) -> None:
        rec = self.recorder
        by_id = rec.task_id(by) if by is not None else None
        rec._ensure(task).cancel = (by_id, by.get_name() if by is not None else None, where, msg)
