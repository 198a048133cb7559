"""A recorded window of time: its steps and its tasks kept as columns (a million steps or
100,000 tasks are a few arrays, not as many objects), and the :class:`Timeline` that holds
them for the chart, its summary, the exports and ``%explain``."""

from __future__ import annotations

import bisect
import operator
from array import array
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import compress, islice, repeat
from typing import Any, TypeVar, overload

from asyncrepl import cparts
from asyncrepl.records import BlockReport, Step, Suspension, TaskInfo

__all__ = ["BUSY_LOOP", "StepColumns", "Tally", "TaskColumns", "Timeline", "add_by_key", "tally"]

#: :func:`tally` in C (``_tally.c``), where it was built (see :mod:`cparts`): one pass over
#: the columns, where Python takes five (the end of a run of 100,000 tasks reads 300,000
#: steps).
_c_tally: Callable[..., tuple[Sequence[Any], ...]] | None = getattr(
    cparts.load("asyncrepl._tally"), "tally", None
)

_T = TypeVar("_T")

#: A loop busy running steps for more than this share of a window was computing, not
#: waiting: running its tasks concurrently saved little time, whatever their lifetimes say.
BUSY_LOOP = 0.5


#: Steps worked on at a time where a whole column would be copied.
_SLICE = 1 << 16


def add_by_key(totals: dict[int, float], keys: Iterable[int], values: Iterable[float]) -> None:
    """``totals[key] += value`` for each pair, in order, as C-level passes (no Python loop per
    pair: a million steps take a tenth of the time).

    :param totals: where the sums go; missing keys start at 0.
    :param keys: e.g. task ids.
    :param values: e.g. step durations, one for each key.
    """
    # The keys are read twice, so they are listed: a slice at a time, as a list of two
    # million task ids (one int object each) took 72 MB at the end of a long run.
    pending, values = iter(keys), iter(values)
    while chunk := list(islice(pending, _SLICE)):
        # map stops at the chunk's end, before taking a value: the two stay in step.
        sums = map(operator.add, map(totals.get, chunk, repeat(0.0)), values)
        # operator.setitem: a fast C call, where totals.__setitem__ goes through a wrapper.
        deque(map(operator.setitem, repeat(totals), chunk, sums), maxlen=0)


@dataclass(frozen=True, slots=True)
class Tally:
    """Each task's steps added up: the task ids in the order they first appear among the
    steps, and for each, its first step's start, its last step's end, its run time and how
    many steps it took."""

    ids: Sequence[int]
    first: Sequence[float]
    last: Sequence[float]
    total: Sequence[float]
    count: Sequence[int]


def tally(task_ids: Sequence[int], starts: Sequence[float], ends: Sequence[float]) -> Tally:
    """Each task's steps added up (see :class:`Tally`), from the three columns of steps.

    :param task_ids: who each step ran.
    :param starts: when each step started.
    :param ends: when each step ended.
    """
    if _c_tally is not None and _are_arrays(task_ids, starts, ends):
        return Tally(*_c_tally(task_ids, starts, ends))
    last = dict(zip(task_ids, ends, strict=True))
    ids = list(last)
    first = dict(zip(reversed(task_ids), reversed(starts), strict=True))
    totals: dict[int, float] = {}
    add_by_key(totals, task_ids, map(operator.sub, ends, starts))
    counts = Counter(task_ids)
    return Tally(
        ids,
        list(map(first.__getitem__, ids)),
        list(last.values()),
        list(map(totals.__getitem__, ids)),
        list(map(counts.__getitem__, ids)),
    )


def _are_arrays(task_ids: object, starts: object, ends: object) -> bool:
    return (
        type(task_ids) is array
        and type(starts) is array
        and type(ends) is array
        and task_ids.typecode == "i"
        and starts.typecode == ends.typecode == "d"
    )


class StepColumns(Sequence[Step]):
    """Steps in time order, kept as three columns (task ids, starts, ends) so that a million
    of them take three lists, not a million objects. Reads as a sequence of :class:`Step`;
    what adds steps up uses the columns.

    :param task_ids: each step's task id (0 for a plain callback).
    :param starts: when each step started.
    :param ends: when each step ended.
    :param nested: for each step, 1 when it ran inside the step that encloses it (a task's
        eager first step runs inside the ``create_task`` of the step that made it), else 0;
        None when no step did. Such steps overlap: they count once in :meth:`busy`.
    """

    __slots__ = ("_durations", "_tally", "ends", "nested", "starts", "task_ids")

    def __init__(
        self,
        task_ids: Sequence[int] = (),
        starts: Sequence[float] = (),
        ends: Sequence[float] = (),
        *,
        nested: bytes | None = None,
    ) -> None:
        if not len(task_ids) == len(starts) == len(ends):
            raise ValueError("the three columns must have the same length")
        if nested is not None and len(nested) != len(task_ids):
            raise ValueError("nested must have a flag for each step")
        self.task_ids, self.starts, self.ends = task_ids, starts, ends
        self.nested = nested if nested is not None and 1 in nested else None
        self._durations: array[float] | None = None
        self._tally: Tally | None = None

    @classmethod
    def of(cls, steps: Iterable[Step]) -> StepColumns:
        """``steps`` as columns (themselves when they already are).

        :param steps: steps in time order.
        """
        if isinstance(steps, StepColumns):
            return steps
        kept = list(steps)
        return cls([s.task_id for s in kept], [s.start for s in kept], [s.end for s in kept])

    def durations(self) -> array[float]:
        """How long each step took, in the same order (worked out once: do not change it).
        An array of doubles: two million take 16 MB, not the 64 MB of a list of floats."""
        if self._durations is None:
            # Made at its size, then filled a slice at a time: an array grown item by item
            # is moved as it grows, and left 27 MB of the heap in use for 16 MB of steps.
            count, ends, starts = len(self), self.ends, self.starts
            durations = array("d", [0.0]) * count
            for at in range(0, count, _SLICE):
                part = array(
                    "d", map(operator.sub, ends[at : at + _SLICE], starts[at : at + _SLICE])
                )
                durations[at : at + len(part)] = part
            self._durations = durations
        return self._durations

    def tally(self) -> Tally:
        """Each task's steps added up (worked out once: do not change the columns)."""
        if self._tally is None:
            self._tally = tally(self.task_ids, self.starts, self.ends)
        return self._tally

    def time_by_task(self) -> dict[int, float]:
        """Seconds of steps of each task id (0: plain callbacks)."""
        counted = self.tally()
        return dict(zip(counted.ids, counted.total, strict=True))

    def spans_of(self, task_ids: set[int]) -> dict[int, list[tuple[float, float]]]:
        """``(start, end)`` of each step of the tasks in ``task_ids``, by task.

        :param task_ids: the tasks wanted (0: plain callbacks).
        """
        spans: dict[int, list[tuple[float, float]]] = {task_id: [] for task_id in task_ids}
        keep = bytes(map(spans.__contains__, self.task_ids))  # a million steps: no loop here
        whos, starts, ends = self.task_ids, self.starts, self.ends
        at = keep.find(1)  # a Python step only for each step kept (a chart's: a few dozen)
        while at >= 0:
            spans[whos[at]].append((starts[at], ends[at]))
            at = keep.find(1, at + 1)
        return spans

    def busy(self, low: float, high: float) -> float:
        """Seconds of the steps inside ``[low, high]``. The steps are in time order, so only
        the first ones can start before it and only the last ones end after it.

        :param low: the window's start.
        :param high: the window's end.
        """
        if self.nested is not None:  # the loop was busy with the enclosing steps: those
            return self._select(bytes(map((1).__xor__, self.nested))).busy(low, high)
        durations = self.durations()
        inside_from = bisect.bisect_left(self.starts, low)
        inside_to = max(bisect.bisect_right(self.ends, high), inside_from)
        edges = [*range(inside_from), *range(inside_to, len(durations))]
        ends, starts = self.ends, self.starts
        cut: float = sum(max(min(ends[i], high) - max(starts[i], low), 0.0) for i in edges)
        inside: float = sum(memoryview(durations)[inside_from:inside_to])  # not a copy
        return inside + cut

    def only(self, task_ids: Collection[int]) -> StepColumns:
        """The steps of the tasks in ``task_ids``, in the same order.

        :param task_ids: the tasks kept (0: plain callbacks).
        """
        wanted = set(task_ids)
        return self._select(bytes(map(wanted.__contains__, self.task_ids)))  # no Python loop

    def _select(self, keep: bytes) -> StepColumns:
        """The steps whose flag in ``keep`` is 1, in the same order."""
        return self._kept(
            list(compress(self.task_ids, keep)),
            list(compress(self.starts, keep)),
            list(compress(self.ends, keep)),
            None if self.nested is None else bytes(compress(self.nested, keep)),
        )

    @staticmethod
    def _kept(
        task_ids: list[int], starts: list[float], ends: list[float], nested: bytes | None
    ) -> StepColumns:
        """Steps kept from these, a step left nested only if its enclosing step was kept
        (``%timeline TASK`` of an eager task alone: its steps count)."""
        if nested is not None:
            flags = bytearray(nested)
            reach = float("-inf")  # the latest end of a step kept whole before this one
            for at, flag in enumerate(flags):
                if flag and ends[at] <= reach:
                    continue
                flags[at] = 0
                reach = max(reach, ends[at])
            nested = bytes(flags)
        return StepColumns(task_ids, starts, ends, nested=nested)

    def __len__(self) -> int:
        return len(self.task_ids)

    @overload
    def __getitem__(self, index: int) -> Step: ...

    @overload
    def __getitem__(self, index: slice) -> StepColumns: ...

    def __getitem__(self, index: int | slice) -> Step | StepColumns:
        if isinstance(index, slice):
            return self._kept(
                list(self.task_ids[index]),
                list(self.starts[index]),
                list(self.ends[index]),
                None if self.nested is None else self.nested[index],
            )
        return Step(self.task_ids[index], self.starts[index], self.ends[index])

    def __iter__(self) -> Iterator[Step]:
        return map(Step, self.task_ids, self.starts, self.ends)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StepColumns):
            return (
                list(self.task_ids) == list(other.task_ids)
                and list(self.starts) == list(other.starts)
                and list(self.ends) == list(other.ends)
            )
        if isinstance(other, list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"StepColumns({list(self)!r})"


class TaskColumns(Sequence[TaskInfo]):
    """Tasks kept as columns (ids, when each was created and ended) beside their TaskInfos,
    so that a window of 100,000 tasks is counted with whole-column passes and only the tasks
    shown become objects. Most tasks of such a window are known only from their steps and
    their origin (see ``Recorder.timeline``): the tasks of one origin share one TaskInfo,
    and each one's own is made when it is read (a chart reads twenty). Reads as a sequence
    of :class:`TaskInfo`.

    :param ids: each task's id.
    :param created: when each was created (one known from its steps: its first step).
    :param ended: when each ended (its last step), None while it lives.
    :param infos: the TaskInfos, each once.
    :param info_at: the index in ``infos`` of each task's TaskInfo. One whose id is not the
        task's is shared by the tasks of an origin: its name, created and ended are theirs
        to fill in (:data:`FORGOTTEN`).
    """

    __slots__ = ("_all", "created", "ended", "ids", "info_at", "infos")

    def __init__(
        self,
        ids: Sequence[int] = (),
        created: Sequence[float] = (),
        ended: Sequence[float | None] = (),
        infos: Sequence[TaskInfo] = (),
        info_at: Sequence[int] = (),
    ) -> None:
        if not len(ids) == len(created) == len(ended) == len(info_at):
            raise ValueError("the four columns must have the same length")
        self.ids, self.created, self.ended = ids, created, ended
        self.infos, self.info_at = infos, info_at
        self._all: list[TaskInfo] | None = None

    @classmethod
    def of(cls, tasks: Iterable[TaskInfo]) -> TaskColumns:
        """``tasks`` as columns, in the same order (themselves when they already are).

        :param tasks: task snapshots.
        """
        if isinstance(tasks, TaskColumns):
            return tasks
        kept = list(tasks)
        ids = [task.id for task in kept]
        ended = [task.ended for task in kept]
        return cls(ids, [task.created for task in kept], ended, kept, range(len(kept)))

    def read(self, what: Callable[[TaskInfo], _T]) -> list[_T]:
        """``what(info)`` for each task, asked once of each TaskInfo: it must read only what
        the tasks of an origin share (not the id, name, created or ended).

        :param what: e.g. ``attrgetter("coro")``.
        """
        answers = [what(info) for info in self.infos]
        if all(answer is answers[0] for answer in answers):  # often: all True, say
            return answers[:1] * len(self)
        return list(map(answers.__getitem__, self.info_at))

    def distinct(self, what: Callable[[TaskInfo], _T]) -> set[_T]:
        """The answers of :meth:`read`, each once.

        :param what: e.g. ``attrgetter("parent_id")``.
        """
        return {what(self.infos[at]) for at in set(self.info_at)}

    def where(self, keep: Iterable[bool]) -> TaskColumns:
        """The tasks whose ``keep`` is true, in the same order.

        :param keep: one for each task.
        """
        chosen = bytes(keep)  # read once for each column
        return TaskColumns(
            list(compress(self.ids, chosen)),
            list(compress(self.created, chosen)),
            list(compress(self.ended, chosen)),
            self.infos,
            list(compress(self.info_at, chosen)),
        )

    def only(self, task_ids: Collection[int]) -> TaskColumns:
        """The tasks in ``task_ids``, in the same order.

        :param task_ids: the tasks kept.
        """
        return self.where(map(set(task_ids).__contains__, self.ids))  # no Python loop per task

    def find(self, task_id: int) -> TaskInfo | None:
        """The task with this id, None when there is none.

        :param task_id: a task id.
        """
        try:
            return self[self.ids.index(task_id)]
        except ValueError:
            return None

    def _task(self, task_id: int, created: float, ended: float | None, at: int) -> TaskInfo:
        """One task's TaskInfo: its own, or one made from its origin's."""
        info = self.infos[at]
        if info.id == task_id:
            return info
        return TaskInfo(
            task_id,
            f"Task #{task_id}",
            info.coro,
            info.state,
            created_at=info.created_at,
            is_cell=info.is_cell,
            created=created,
            ended=ended,
            outcome=info.outcome,
        )

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> TaskInfo: ...

    @overload
    def __getitem__(self, index: slice) -> TaskColumns: ...

    def __getitem__(self, index: int | slice) -> TaskInfo | TaskColumns:
        if isinstance(index, slice):
            return TaskColumns(
                list(self.ids[index]),
                list(self.created[index]),
                list(self.ended[index]),
                self.infos,
                list(self.info_at[index]),
            )
        if self._all is not None:
            return self._all[index]
        return self._task(
            self.ids[index], self.created[index], self.ended[index], self.info_at[index]
        )

    def __iter__(self) -> Iterator[TaskInfo]:
        # Whoever reads them all (an export, %explain) may read them again: made once.
        if self._all is None:
            self._all = list(map(self._task, self.ids, self.created, self.ended, self.info_at))
        return iter(self._all)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TaskColumns | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TaskColumns({list(self)!r})"


@dataclass(frozen=True, slots=True)
class Timeline:
    """What ``%timeline`` draws: tasks and their steps over a window of time.

    :param start: monotonic start of the window.
    :param end: monotonic end of the window.
    :param tasks: the tasks that lived in the window: a tuple of :class:`TaskInfo`, or (from
        the recorder) :class:`TaskColumns`.
    :param steps: their steps (and plain callbacks, ``task_id`` 0), in time order: a tuple of
        :class:`Step`, or (from the recorder) :class:`StepColumns`.
    :param blocks: loop blocks reported in the window.
    :param threshold: seconds above which a step counts as blocking the loop.
    :param notes: what the recording of the window lacks, in words (steps dropped, a loop
        not recorded in full): true of any part of it.
    :param waits: what each task waited for before the steps that woke it (filled in for
        exports: see ``Recorder.with_waits``).
    :param collector: when the garbage collector paused everything for a millisecond or
        more in the window: ``(start, end)`` each, oldest first (it runs inside steps).
    """

    start: float
    end: float
    tasks: Sequence[TaskInfo] = ()
    steps: Sequence[Step] = ()
    blocks: tuple[BlockReport, ...] = ()
    threshold: float = 0.1
    notes: tuple[str, ...] = field(default=())
    waits: tuple[Suspension, ...] = ()
    collector: tuple[tuple[float, float], ...] = ()

    def only(self, task_ids: Collection[int]) -> Timeline:
        """The same window with only the tasks in ``task_ids`` and their steps and waits.

        :param task_ids: the tasks kept (0: plain callbacks).
        """
        wanted = set(task_ids)
        return replace(
            self,
            tasks=TaskColumns.of(self.tasks).only(wanted),
            steps=StepColumns.of(self.steps).only(wanted),
            waits=tuple(w for w in self.waits if w.task_id in wanted),
        )

    def by_user(self) -> Timeline:
        """The same window with only the user's tasks (:attr:`TaskInfo.by_user`), their
        steps and waits: what every chart, export and explanation shows."""
        tasks = TaskColumns.of(self.tasks)
        mine = tasks.read(operator.attrgetter("by_user"))
        return self if all(mine) else self.only(list(compress(tasks.ids, mine)))
