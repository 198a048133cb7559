"""Tasks kept as columns: they read as a sequence of TaskInfo, the tasks of one origin share
one, and a window keeps or drops them as it would the objects."""

from __future__ import annotations

from operator import attrgetter

import pytest

from asyncrepl.records import FORGOTTEN, Location, TaskInfo, TaskState
from asyncrepl.windows import TaskColumns, Timeline

WHERE = Location("app.py", 12, "app.py:12")
MAIN = TaskInfo(1, "Task-1", "main", TaskState.DONE, created_at=WHERE, created=0.0, ended=9.0)
SPIN = TaskInfo(0, "", "spin", TaskState.DONE, created_at=WHERE, outcome=FORGOTTEN)
UNKNOWN = TaskInfo(0, "", "?", TaskState.DONE, outcome=FORGOTTEN)


def columns() -> TaskColumns:
    """main (known), three spins and one task of unknown origin (known from their steps)."""
    return TaskColumns(
        [1, 4, 5, 6, 7],
        [0.0, 1.0, 2.0, 3.0, 4.0],
        [9.0, 1.5, 2.5, 3.5, 4.5],
        [MAIN, SPIN, UNKNOWN],
        [0, 1, 1, 2, 1],
    )


def test_each_task_reads_as_its_own_task_info() -> None:
    tasks = columns()
    assert len(tasks) == 5 and tasks[0] is MAIN
    spin = tasks[1]
    assert (spin.id, spin.name, spin.coro, spin.created_at) == (4, "Task #4", "spin", WHERE)
    assert (spin.created, spin.ended, spin.outcome, spin.by_user) == (1.0, 1.5, FORGOTTEN, True)
    assert [t.id for t in tasks] == [1, 4, 5, 6, 7] and tasks[-1].name == "Task #7"
    assert not tasks[3].by_user  # the one of unknown origin
    assert list(tasks) == list(tasks) and list(tasks)[1] is list(tasks)[1]  # made once
    assert tasks == tuple(tasks) and tasks[1:3] == [tasks[1], tasks[2]]
    assert tasks.find(6) == tasks[3] and tasks.find(99) is None


def test_objects_become_columns_in_their_order() -> None:
    two = TaskInfo(2, "b", "work", TaskState.SUSPENDED, created=5.0)
    plain = (two, MAIN)
    tasks = TaskColumns.of(plain)
    assert list(tasks.ids) == [2, 1] and list(tasks.ended) == [None, 9.0]
    assert tasks == plain and tasks[0] is two and TaskColumns.of(tasks) is tasks
    with pytest.raises(ValueError, match="same length"):
        TaskColumns([1, 2], [0.0], [None, None], [MAIN], [0, 0])


def test_a_question_is_asked_once_of_each_task_info() -> None:
    asked: list[int] = []

    def coro(info: TaskInfo) -> str:
        asked.append(info.id)
        return info.coro

    assert columns().read(coro) == ["main", "spin", "spin", "?", "spin"]
    assert sorted(asked) == [0, 0, 1]
    assert columns().read(attrgetter("is_cell")) == [False] * 5
    assert columns().distinct(attrgetter("coro")) == {"main", "spin", "?"}
    assert columns().only([1, 5]).distinct(attrgetter("coro")) == {"main", "spin"}


def test_a_window_keeps_and_drops_tasks_known_only_by_their_origin() -> None:
    tasks = columns()
    kept = tasks.only({5, 7, 1})
    assert [t.id for t in kept] == [1, 5, 7] and kept[1] == tasks[2]
    assert [t.id for t in tasks.where([False, True, False, True, False])] == [4, 6]
    window = Timeline(start=0.0, end=9.0, tasks=tasks)
    assert [t.id for t in window.by_user().tasks] == [1, 4, 5, 7]  # not the unknown one
    assert [t.id for t in window.only([6, 4]).tasks] == [4, 6]
    mine = Timeline(start=0.0, end=9.0, tasks=tasks.only([1, 4]))
    assert mine.by_user() is mine
