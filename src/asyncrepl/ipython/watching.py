"""Watching the loop: the background-failure reporter, the recorder and the watchdog."""

from __future__ import annotations

from asyncrepl.ipython.state import ExtensionState, explainable, note
from asyncrepl.records import BlockReport, Incident, IncidentKind
from asyncrepl.render.printer import print_fragments
from asyncrepl.shell.task_failures import TaskFailureReporter

__all__ = ["start_watching"]


def start_watching(state: ExtensionState) -> None:
    """Install the failure reporter, then the recorder (which wraps its task factory),
    then the watchdog (which reads the recorder)."""
    state.watching = True
    _install_reporter(state)
    _install_recorder(state)
    _install_watchdog(state)


def _install_reporter(state: ExtensionState) -> None:
    reporter = TaskFailureReporter(
        state.loop,
        labeler=state.session.labeler,
        explainable=explainable,
        report=lambda incident: note(state.session, incident),
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
    import threading

    from asyncrepl.render.blocks import render_block, render_still_blocked
    from asyncrepl.watchdog import Watchdog

    loop = state.loop

    def show(report: BlockReport) -> None:
        note(state.session, Incident(IncidentKind.BLOCK, report))
        print_fragments(render_block(report, explain_hint=True))

    def on_report(report: BlockReport) -> None:
        # Called from the watchdog's thread. While the loop is stuck only that thread can
        # speak; once it is free, the report goes through the loop to print above the prompt.
        if report.still_blocked:
            print_fragments(render_still_blocked(report))
        elif not loop.is_closed():
            loop.call_soon_threadsafe(show, report)

    watchdog = Watchdog(
        recorder,
        threshold=state.settings.blocking_threshold,
        labeler=state.session.labeler,
        on_report=on_report,
    )
    watchdog.start(threading.get_ident())
    state.session.watchdog = watchdog
    state.undo.append(watchdog.stop)
