"""The ``%tasks`` magic: the live tasks of the REPL's event loop, one task in depth, the tree
of who awaits whom, and cancelling a task by name."""

from __future__ import annotations

import asyncio
import difflib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Float, Int

from asyncrepl.instrument.snapshot import TaskIds, snapshot_tasks
from asyncrepl.ipython.arguments import parse_line
from asyncrepl.ipython.output import show
from asyncrepl.ipython.state import session_of
from asyncrepl.records import TaskInfo
from asyncrepl.render.html import HtmlView, block_view
from asyncrepl.render.tasks import render_task_detail, render_task_tree, tasks_table_view
from asyncrepl.session import Session

__all__ = ["TaskBoard", "TasksMagics"]

AnyTask = asyncio.Task[Any]
# IPython's argument helpers are untyped: typed names keep mypy strict for the rest.
_ARGS: Callable[[], Callable[[Any], Any]] = magic_arguments
_ARG: Callable[..., Callable[[Any], Any]] = argument


@dataclass
class TaskBoard:
    """The tasks of the session's loop, for ``%tasks``: snapshots, look-up by name or id, and
    cancelling. Holds no IPython state.

    :param session: gives the recorder (when one watches the loop) and the cell labeler.
    :param limit: table rows shown before the rest is only counted.
    :param cancel_wait: seconds to run a loop that is not running, so a cancelled task ends.
    """

    session: Session
    limit: int = 40
    cancel_wait: float = 0.5
    ids: TaskIds = field(default_factory=TaskIds)

    def loop(self) -> asyncio.AbstractEventLoop:
        """The recorder's loop, else the running loop, else IPython's own asyncio loop."""
        recorder = self.session.recorder
        if recorder is not None and recorder.loop is not None:
            loop: asyncio.AbstractEventLoop = recorder.loop
            return loop
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            from IPython.core.async_helpers import get_asyncio_loop

            # The loop IPython runs cells with top-level `await` on (an untyped function).
            ipython_loop: Callable[[], asyncio.AbstractEventLoop] = get_asyncio_loop
            return ipython_loop()

    def snapshot(self) -> tuple[dict[int, AnyTask], list[TaskInfo]]:
        """The live tasks by id, and the snapshots of the user's (:attr:`TaskInfo.by_user`;
        without a recorder nobody knows who made a task, so all of them)."""
        loop, recorder = self.loop(), self.session.recorder
        infos = snapshot_tasks(loop, recorder=recorder, labeler=self.session.labeler, ids=self.ids)
        if recorder is not None:
            infos = [info for info in infos if info.by_user]
        ident = recorder.task_id if recorder is not None else self.ids.id_of
        return {ident(task): task for task in asyncio.all_tasks(loop)}, infos

    def _now(self) -> float | None:
        recorder = self.session.recorder
        return None if recorder is None else float(recorder.now())

    def _all_finished(self) -> list[TaskInfo]:
        recorder = self.session.recorder
        return [] if recorder is None else [i for i in recorder.finished() if i.by_user]

    def finished(self) -> list[TaskInfo]:
        """Recently finished tasks that the user's code made, oldest first: not the cells'
        own, nor the REPL's (the prompt's tasks). None without a recorder."""
        return [i for i in self._all_finished() if not i.is_cell]

    def answer(
        self, task: str | None, finished: bool, tree: bool, cancel: str | None, *, width: int
    ) -> HtmlView:
        """What ``%tasks`` shows for its arguments: a cancel, one task, the tree, or the table.

        :raises LookupError: with the message for the user when a task is not found.
        """
        if cancel is not None:
            return self.cancel(cancel)
        if task is not None:
            return self.detail(task, width=width)
        return self.tree(width=width) if tree else self.table(finished=finished, width=width)

    def table(self, *, finished: bool, width: int) -> HtmlView:
        """The table of live tasks (and finished ones with ``finished``), without the cell
        that runs ``%tasks``: it is always there, running, and says nothing."""
        tasks, infos = self.snapshot()
        loop = self.loop()
        current = asyncio.current_task(loop) if loop.is_running() else None
        return tasks_table_view(
            [info for info in infos if current is None or tasks.get(info.id) is not current],
            finished=self.finished() if finished else None,
            now=self._now(),
            recorded=self.session.recorder is not None,
            width=width,
            limit=self.limit,
        )

    def tree(self, *, width: int) -> HtmlView:
        """The live tasks nested under the tasks that await or created them."""
        return block_view(render_task_tree(self.snapshot()[1], width=width, limit=self.limit * 5))

    def detail(self, query: str, *, width: int) -> HtmlView:
        """Every task that ``query`` names, in depth."""
        _, infos = self.snapshot()
        everything = [*infos, *self._all_finished()]
        out: list[Any] = []
        recorded = self.session.recorder is not None
        for info in self.find(query, infos):
            if out:
                out.append(("", "\n\n"))
            waits = self.session.recorder.suspensions(info.id) if recorded else []
            out += render_task_detail(
                info, everything, now=self._now(), recorded=recorded, waits=waits, width=width
            )
        return block_view(out)

    def find(self, query: str, live: list[TaskInfo]) -> list[TaskInfo]:
        """The live tasks ``query`` names, else the newest finished one: an id (``3`` or
        ``#3``), else a name, else a coroutine. Quotes around it go: IPython leaves them in
        (``%tasks "cell [3]"``).

        :raises LookupError: with the message for the user when nothing matches.
        """
        query = query.strip()
        if len(query) > 1 and query[0] == query[-1] and query[0] in "'\"":
            query = query[1:-1]
        finished = self._all_finished()
        found = _matches(query, live) or _matches(query, finished)[-1:]
        if found:
            return found
        names = sorted({i.name for i in [*live, *finished]} | {i.coro for i in live})
        close = difflib.get_close_matches(query, names, n=3)
        hint = f" Did you mean {', '.join(f'`{n}`' for n in close)}?" if close else ""
        wanted = query.removeprefix("#")
        what = f"has id {wanted}" if wanted.isdigit() else f"is called `{query}`"
        raise LookupError(f"No task {what}.{hint} `%tasks` lists the live ones.")

    def cancel(self, query: str) -> HtmlView:
        """Cancel the one live task ``query`` names, and say what became of it.

        :raises LookupError: when no task, or more than one, matches, or it is this cell's.
        """
        tasks, infos = self.snapshot()
        found = self.find(query, infos)
        if len(found) > 1:
            ids = ", ".join(str(info.id) for info in found)
            raise LookupError(
                f"{len(found)} tasks are called `{query}` (ids {ids}): cancel one by id, "
                f"`%tasks --cancel {found[0].id}`."
            )
        info, task = found[0], tasks.get(found[0].id)
        title = f"Task {info.name!r} (id {info.id})"
        if task is None or task.done():
            return _message(f"{title} already ended: {info.outcome or info.state.value}.")
        loop = task.get_loop()
        if loop.is_running() and asyncio.current_task(loop) is task:
            raise LookupError(
                f"{title} runs this cell, so it cannot cancel itself: press Ctrl-C to stop a cell."
            )
        task.cancel()
        # The loop runs (the magic is inside it), or cannot run here: the task ends later.
        if loop.is_running() or loop.is_closed() or asyncio._get_running_loop() is not None:
            return _message(
                f"Cancel requested: {title} stops at its next `await`, "
                "where it gets `CancelledError`."
            )
        loop.run_until_complete(asyncio.wait([task], timeout=self.cancel_wait))
        if task.cancelled():
            return _message(f"{title} was cancelled.")
        if task.done():
            return _message(f"{title} caught the cancellation and ended anyway.")
        return _message(
            f"Cancel requested: {title} has not stopped after {self.cancel_wait} s. "
            "It may be catching `CancelledError`."
        )


def _matches(query: str, infos: list[TaskInfo]) -> list[TaskInfo]:
    wanted = query.removeprefix("#")
    if wanted.isdigit():
        return [info for info in infos if info.id == int(wanted)]
    found = [info for info in infos if info.name == query]
    return found or [info for info in infos if query in (info.coro, info.coro.split(".")[-1])]


def _message(text: str) -> HtmlView:
    return block_view([("", text)])


@magics_class
class TasksMagics(Magics):
    """``%tasks``: see the tasks on the event loop."""

    limit = Int(40, help="Rows %tasks shows before it only counts the rest.").tag(config=True)
    cancel_wait = Float(
        0.5, help="Seconds %tasks --cancel runs a stopped loop so the task can end."
    ).tag(config=True)

    def __init__(self, shell: Any, session: Session) -> None:
        super().__init__(shell)
        self.session = session
        self.board = TaskBoard(session, limit=self.limit, cancel_wait=self.cancel_wait)

    @_ARGS()
    @_ARG("task", nargs="?", help="a task's name or id: show that task in depth")
    @_ARG("-a", "--all", action="store_true", help="also list the tasks that finished recently")
    @_ARG("--tree", action="store_true", help="nest each task under the task awaiting it")
    @_ARG("--cancel", metavar="NAME", help="cancel the task with this name or id")
    @line_magic
    def tasks(self, line: str) -> None:
        """See the tasks on the event loop: where each one waits, and for what.

        In [1]: worker = asyncio.create_task(asyncio.sleep(60), name="worker")

        In [2]: %tasks
        1 task: 1 suspended
         id  name    state      where                         awaits
          1  worker  suspended  <cell 1>:1  worker = asyn...  asyncio.sleep, 59.91 s left

        ``%tasks worker`` (or its id, ``%tasks 1``) shows one task in depth: its whole await
        chain with each source line, who awaits it, where it was created and by which task.
        ``%tasks -a`` adds the tasks that finished recently and how they ended. ``%tasks
        --tree`` nests each task under the task that awaits it (``gather`` and ``TaskGroup``
        children under their parent). ``%tasks --cancel worker`` cancels a task: it stops at
        its next ``await``, where it gets ``CancelledError``. Quote a name with spaces:
        ``%tasks "my task"``.
        """
        args = parse_line(self.tasks, line)
        self.board.limit, self.board.cancel_wait = self.limit, self.cancel_wait
        width = shutil.get_terminal_size().columns
        try:
            view = self.board.answer(args.task, args.all, args.tree, args.cancel, width=width)
        except LookupError as exc:
            raise UsageError(str(exc)) from None
        show(self.shell, view, lambda: view.fragments)


def load_ipython_extension(shell: Any) -> None:
    """asyncrepl declares %tasks lazily: its first use loads this module, which registers it.

    :param shell: the shell that loaded asyncrepl.
    """
    shell.register_magics(TasksMagics(shell, session=session_of(shell)))
