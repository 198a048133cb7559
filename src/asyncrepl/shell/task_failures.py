"""Reports a task's exception that nobody retrieved (awaited the task, gathered it, called
``.exception()``): at once while the prompt waits, else when the running cell ends, so that a
failure the cell itself handles is never reported; and the loop's own errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from prompt_toolkit.formatted_text import StyleAndTextTuples

from asyncrepl.records import Incident, IncidentKind, Location, LocationLabeler
from asyncrepl.render.hints import render_explain_hint
from asyncrepl.render.printer import print_fragments
from asyncrepl.render.task_errors import render_loop_error, render_task_failure
from asyncrepl.session import Session

__all__ = ["TaskFailureReporter"]

log = logging.getLogger("asyncrepl")

TaskFactory = Callable[..., "asyncio.Future[Any]"]


class TaskFailureReporter:
    """Wraps the loop's task factory to watch every task end, and handles the loop's errors.

    :param loop: the live loop.
    :param labeler: turns cell filenames into ``<cell 3>``.
    :param explainable: whether ``%explain`` knows an exception (adds the hint).
    :param report: receives an :class:`Incident` for each failure shown.
    :param show: writes a failure's report (a kernel sends it to the cell it belongs to).
    :param session: tells whether a cell runs, and when it ends; without it every failure
        nobody retrieved is shown at once.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        labeler: LocationLabeler,
        explainable: Callable[[BaseException], bool],
        report: Callable[[Incident], None],
        show: Callable[[StyleAndTextTuples], None] = print_fragments,
        session: Session | None = None,
    ) -> None:
        self._loop = loop
        self._labeler = labeler
        self._explainable = explainable
        self._report = report
        self._show = show
        self._previous_factory: TaskFactory | None = None
        #: the factory installed (a ListeningFactory, around the loop's own if it had one)
        self._factory: TaskFactory | None = None
        self._previous_handler: Any = None
        self._session = session
        #: Failed while a cell ran, not retrieved yet: looked at again when the cell ends.
        self._held: list[asyncio.Future[Any]] = []
        #: While True (the REPL is leaving), failures are not shown.
        self.quiet = False

    def install(self) -> None:
        # Our Task (it notes who cancels it, and survives CPython 3.13.0's set_name(None)
        # after a task factory) and a done callback, made by the loop's own factory if it
        # has one: a recorder that watches the loop makes such tasks on its short path when
        # there is none (see ListeningFactory).
        from asyncrepl.instrument.tasks import ListeningFactory

        self._previous_factory = self._loop.get_task_factory()
        self._previous_handler = self._loop.get_exception_handler()
        self._factory = ListeningFactory(self._watch, make=self._previous_factory)
        self._loop.set_task_factory(self._factory)
        self._loop.set_exception_handler(self._handle_loop_error)
        if self._session is not None:
            self._session.at_cell_end.append(self._cell_ended)

    def go_quiet(self) -> None:
        """Show no more failures (the REPL is leaving)."""
        self.quiet = True

    def uninstall(self) -> None:
        from asyncrepl.instrument.tasks import ListeningFactory

        self.quiet = True  # a recorder may still tell our listener about tasks: no reports
        current = self._loop.get_task_factory()
        if current == self._factory:
            self._loop.set_task_factory(self._previous_factory)
        elif isinstance(current, ListeningFactory) and current.listener == self._watch:
            # the recorder left it watching a factory the user set since: theirs alone now
            self._loop.set_task_factory(current.make)
        self._loop.set_exception_handler(self._previous_handler)
        if self._session is not None and self._cell_ended in self._session.at_cell_end:
            self._session.at_cell_end.remove(self._cell_ended)

    def _watch(self, task: asyncio.Future[Any]) -> None:
        task.add_done_callback(self._on_done)

    def _on_done(self, task: asyncio.Future[Any]) -> None:
        # Only a failure nobody retrieved yet (asyncio's own flag): a task that returned is
        # not kept waiting in the loop's queue, with its result, until the loop runs again.
        if getattr(task, "_log_traceback", False):
            # The awaiting tasks' wake-ups were scheduled together with this callback and
            # retrieve the exception when they run; look after them.
            self._loop.call_soon(self._report_if_unretrieved, task)

    def _report_if_unretrieved(self, task: asyncio.Future[Any]) -> None:
        if not getattr(task, "_log_traceback", False):
            return
        if self._session is not None and self._session.cell_running:
            # The cell may still await it, gather it or ask for .exception(): wait for its end.
            self._held.append(task)
            return
        self._report_now(task)

    def _cell_ended(self) -> None:
        held, self._held = self._held, []
        for task in held:
            if getattr(task, "_log_traceback", False):
                self._report_now(task)

    def _report_now(self, task: asyncio.Future[Any]) -> None:
        exc = task.exception()  # retrieving it also stops asyncio's own "never retrieved"
        if exc is None or self.quiet:
            return
        try:
            self._show_failure(task, exc)
        except Exception:  # our bug must not break the user's loop
            log.exception("asyncrepl could not report a task's failure")

    def _show_failure(self, task: asyncio.Future[Any], exc: BaseException) -> None:
        name = task.get_name() if isinstance(task, asyncio.Task) else "future"
        coro = task.get_coro() if isinstance(task, asyncio.Task) else None
        qualname = getattr(coro, "__qualname__", "?")
        self._show(
            render_task_failure(
                name,
                qualname,
                exc,
                labeler=self._labeler,
                explainable=self._explainable(exc),
            )
        )
        self._report(Incident(IncidentKind.TASK_EXCEPTION, exc, where=self._created_at(task)))

    def _created_at(self, task: asyncio.Future[Any]) -> Location | None:
        """The user's line that created ``task`` (for the fix: await it), if recorded."""
        recorder = self._session.recorder if self._session is not None else None
        if recorder is None or not isinstance(task, asyncio.Task):
            return None
        where: Location | None = recorder.stats(task).created_at
        return where

    def _handle_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if self.quiet:
            return
        message = str(context.get("message") or "Unhandled error in the event loop")
        exc = context.get("exception")
        try:
            from asyncrepl.explain import explain_loop_error

            explanation = explain_loop_error(context)
            fragments = render_loop_error(message, exc, self._labeler)
            if explanation is not None:
                fragments += [("", "\n  "), *render_explain_hint()]
            self._show(fragments)
            payload = exc if exc is not None else message
            code = explanation.key if explanation is not None else ""
            self._report(Incident(IncidentKind.WARNING, payload, code=code))
        except Exception:
            log.exception("asyncrepl could not report a loop error")
