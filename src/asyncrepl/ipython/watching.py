"""Watching the loop: the background-failure reporter, the recorder and the watchdog."""

from __future__ import annotations

import sys
import threading
from types import CodeType

from IPython.core.interactiveshell import InteractiveShell

from asyncrepl.ipython.state import ExtensionState, explainable, note
from asyncrepl.records import BlockReport, Incident, IncidentKind
from asyncrepl.render.printer import print_fragments
from asyncrepl.session import Session
from asyncrepl.shell.task_failures import TaskFailureReporter

__all__ = ["flagged", "repl_entries", "restart_watchdog", "start_watchdog", "start_watching"]

#: IPython's methods that a cell's magics and shell escapes run through.
_REPL_METHODS = ("run_line_magic", "run_cell_magic", "system_piped", "system_raw", "getoutput")


def start_watching(state: ExtensionState, *, watchdog: bool = True) -> None:
    """Install the failure reporter, then the recorder (which wraps its task factory),
    then the watchdog (which reads the recorder) unless ``watchdog`` is false: then
    :func:`start_watchdog` starts it later."""
    state.watching = True
    _install_reporter(state)
    _install_recorder(state)
    if watchdog:
        _install_watchdog(state)
    else:
        # Imported now, while the prompt waits, so that starting the watchdog with the first
        # cell costs that cell only its thread.
        import asyncrepl.render.blocks
        import asyncrepl.watchdog  # noqa: F401


def start_watchdog(state: ExtensionState) -> None:
    """The watchdog that :func:`start_watching` left out."""
    _install_watchdog(state)


def _install_reporter(state: ExtensionState) -> None:
    reporter = TaskFailureReporter(
        state.loop,
        labeler=state.session.labeler,
        explainable=explainable,
        report=lambda incident: note(state.session, incident),
        show=lambda fragments: state.show_report(fragments),
        session=state.session,
    )
    reporter.install()
    state.undo.append(reporter.uninstall)
    if state.live_loop is not None:
        # Tasks cancelled on the way out are not failures worth a report.
        state.live_loop.before_shutdown.append(reporter.go_quiet)


def _install_recorder(state: ExtensionState) -> None:
    if not state.settings.record:
        return
    from asyncrepl.instrument.recorder import Recorder

    recorder = Recorder(
        capacity=state.settings.recorder_steps,
        finished_limit=state.settings.finished_tasks,
        labeler=state.session.labeler,
    )
    reason = recorder.attach(state.loop)
    if reason:
        print(reason)  # noqa: T201  # one line, once, at load
        return
    state.session.recorder = recorder
    state.undo.append(recorder.detach)


def _install_watchdog(state: ExtensionState) -> None:
    """The run-time detector: one report, with the blocking line, when the loop is blocked."""
    recorder = state.session.recorder
    if recorder is None or not state.settings.watchdog:
        return
    from asyncrepl.render.blocks import (
        STOP_CELL_IN_KERNEL,
        STOP_TASK_IN_KERNEL,
        render_block,
        render_flagged_block,
        render_still_blocked,
    )
    from asyncrepl.watchdog import Watchdog

    loop, session, live_loop = state.loop, state.session, state.live_loop

    def show(report: BlockReport) -> None:
        if not report.in_coroutine and not recorder.kept_waiting(
            report.started, report.started + report.duration
        ):
            # A cell's own line that computed, or wrote a file, with nothing else on the
            # loop: true that it held the loop, but it held up nobody, and a "Fix: to_thread"
            # under each json.dumps of a notebook taught noise. A coroutine that blocks is
            # reported whoever waited: it blocks wherever it runs.
            return
        note(session, Incident(IncidentKind.BLOCK, report))
        span = report.started, report.started + report.duration
        if flagged(session, report):
            state.show_report(render_flagged_block(report), span=span)
        else:
            state.show_report(render_block(report, explain_hint=True), span=span)

    def on_report(report: BlockReport) -> None:
        # Called from the watchdog's thread. While the loop is stuck only that thread can
        # speak; once it is free, the report goes through the loop to print above the prompt.
        if report.still_blocked:
            if live_loop is None:  # a kernel: its interrupt stops only a cell's own code
                in_cell = session.cell_running and report.task_name == f"cell [{session.cell}]"
                stop = STOP_CELL_IN_KERNEL if in_cell else STOP_TASK_IN_KERNEL
                print_fragments(render_still_blocked(report, stop=stop))
            # While the prompt waits, standard output goes through the prompt's loop, which
            # is stuck: write to the terminal itself.
            elif live_loop.cell_task is None:
                note_line = [("", "\n"), *render_still_blocked(report)]  # off the prompt's line
                print_fragments(note_line, file=sys.__stdout__, now=True)
            else:
                print_fragments(render_still_blocked(report))
        elif threading.get_ident() == watchdog.loop_thread_id:  # Watchdog.settle: now
            show(report)
        elif not loop.is_closed():
            loop.call_soon_threadsafe(show, report)

    watchdog = Watchdog(
        recorder,
        threshold=state.settings.blocking_threshold,
        labeler=session.labeler,
        on_report=on_report,
        repl_entries=repl_entries(),
        on_stuck=None if live_loop is None else live_loop.loop_stuck,
    )
    watchdog.start(threading.get_ident())
    session.watchdog = watchdog
    state.undo.append(watchdog.stop)


def restart_watchdog(state: ExtensionState) -> None:
    """Start the watchdog again, as it starts (a new ``blocking_threshold`` also sets how often
    it looks); nothing to do before it first started."""
    old = state.session.watchdog
    if old is None:
        return
    old.stop()
    if old.stop in state.undo:
        state.undo.remove(old.stop)
    state.session.watchdog = None
    _install_watchdog(state)


def repl_entries() -> list[CodeType]:
    """The code of IPython's methods that run the REPL's own work for a cell: magics (the
    user's code runs under them, ``%timeit`` thousands of times on purpose), shell escapes
    (``!ls``, ``x = !ls``). The transformed cell calls them: ``get_ipython().run_line_magic``.
    """
    methods = (getattr(InteractiveShell, name, None) for name in _REPL_METHODS)
    return [code for code in (getattr(m, "__code__", None) for m in methods) if code is not None]


def flagged(session: Session, report: BlockReport) -> bool:
    """Whether the static check flagged the line of ``report`` before its cell ran (a
    ``FINDING`` incident of the same cell and line).

    :param session: holds the journal.
    :param report: a final report.
    """
    location = report.location
    cell = None if location is None else session.labeler(location.filename)
    if location is None or cell is None:
        return False
    return any(
        incident.kind is IncidentKind.FINDING
        and incident.payload.filename == cell
        and incident.payload.line == location.lineno
        for incident in session.journal
    )
