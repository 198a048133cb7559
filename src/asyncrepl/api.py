"""Record what the event loop did while your code ran, then look at it, from plain Python::

with asyncrepl.api.recording() as rec:
    asyncio.run(main())
rec.show()                  # the chart and summary, as %timeline draws it
rec.export("trace.json")    # open in https://ui.perfetto.dev; or .svg / .html
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import shutil
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from asyncrepl.instrument import starts
from asyncrepl.instrument.recorder import Recorder
from asyncrepl.records import BlockReport
from asyncrepl.render.fragments import fragments_text
from asyncrepl.render.printer import print_fragments
from asyncrepl.render.timeline import render_timeline
from asyncrepl.render.timeline_html import export_timeline, timeline_view
from asyncrepl.render.timeline_summary import TimelineSummary, summarize
from asyncrepl.windows import Timeline

__all__ = ["Recording", "recording"]

log = logging.getLogger("asyncrepl")


class Recording:
    """What one :func:`recording` block saw. Read it during the block or after it.

    :param recorder: the recorder that watched the loops.
    :param threshold: seconds above which a step counts as blocking the loop.
    """

    def __init__(self, recorder: Recorder, threshold: float) -> None:
        self.recorder = recorder
        self.threshold = threshold
        self.start = recorder.now()
        self.end: float | None = None
        #: Why a loop could not be recorded (e.g. its handles are not asyncio's), else None.
        self.reason: str | None = None
        #: The blocking-call watchdog, when the block was asked to run one.
        self.watchdog: Any = None
        #: What was recorded, for titles: ``"app.py"`` gives "Timeline of app.py".
        self.scope = ""

    def timeline(self, tasks: Collection[int | str] | None = None) -> Timeline:
        """The recorded tasks and steps between the start of the block and its end (or now).

        :param tasks: only these tasks, by id, name or coroutine name.
        """
        found: Timeline = self.recorder.timeline(self.start, self.end)
        if tasks is not None:
            wanted = {str(name) for name in tasks}
            ids = [t.id for t in found.tasks if wanted & {str(t.id), t.name, t.coro}]
            found = self.recorder.timeline(self.start, self.end, ids)
        blocks = (
            () if self.watchdog is None else tuple(self.watchdog.reports(found.start, found.end))
        )
        return dataclasses.replace(found, threshold=self.threshold, blocks=blocks)

    def summary(self) -> TimelineSummary:
        """Wall time, loop busy time, steps, the longest step and what concurrency saved."""
        return summarize(self.timeline())

    def render(self, width: int = 100) -> str:
        """The chart and its summary as plain text.

        :param width: columns.
        """
        return fragments_text(render_timeline(self.timeline(), width=width, scope=self.scope))

    def show(self, file: TextIO | None = None, width: int | None = None) -> None:
        """Print the chart and its summary (in colour on a terminal).

        :param file: the stream, standard output by default.
        :param width: columns; the terminal's width by default.
        """
        columns = width or shutil.get_terminal_size((100, 24)).columns
        print_fragments(
            render_timeline(self.timeline(), width=columns, scope=self.scope), file=file
        )

    def export(self, path: str | os.PathLike[str]) -> Path:
        """Write the timeline: ``.json`` (a trace for Perfetto or chrome://tracing), ``.svg``
        (a picture) or ``.html`` (a page with the picture and the summary).

        :param path: the file to write.
        :raises asyncrepl.render.timeline_html.ExportError: the path cannot be written.
        """
        return export_timeline(self.recorder.with_waits(self.timeline()), path, scope=self.scope)

    def _repr_html_(self) -> str:
        """Jupyter shows the picture."""
        return timeline_view(self.timeline(), scope=self.scope)._repr_html_()

    def __repr__(self) -> str:
        return self.render()


@contextmanager
def recording(
    *,
    threshold: float = 0.1,
    capacity: int = 1 << 21,
    watch_blocking: bool = False,
    on_block: Callable[[BlockReport], None] | None = None,
) -> Iterator[Recording]:
    """Record every asyncio event loop that runs inside the block, in any thread.

    A loop that already runs (``with recording(): await main()`` inside a coroutine) is
    recorded at once; every loop that starts in the block from its start, however it was
    made (``asyncio.run``, ``asyncio.Runner``, a policy or ``loop_factory`` of the
    program's own), each in its own ring. The watchdog and the "loop" of the recorder are
    this thread's.

    :param threshold: seconds above which a step counts as blocking the loop.
    :param capacity: how many ring entries to keep for each loop, each a step or the loop
        waiting (older ones are dropped first).
    :param watch_blocking: also run the blocking-call watchdog on this thread's loops: its
        reports (the line and the call that blocked) go into the timeline's ``blocks``.
    :param on_block: called from the watchdog's thread with each report as it comes.
    """
    recorder = Recorder(capacity=capacity)
    result = Recording(recorder, threshold)
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        result.reason = recorder.attach(running)
    stop_listening = starts.listen(_Follower(recorder, result, threading.get_ident()))
    if watch_blocking:
        result.watchdog = _start_watchdog(recorder, threshold, on_block)
    try:
        yield result
    finally:
        result.end = recorder.now()
        stop_listening()
        if result.watchdog is not None:
            _stop_watchdog(result.watchdog)
        recorder.detach()


class _Follower:
    """Told of each loop that starts: this thread's becomes the recorder's loop (when the one
    before has stopped), the others' are followed."""

    def __init__(self, recorder: Recorder, result: Recording, thread: int) -> None:
        self.recorder = recorder
        self.result = result
        self.thread = thread

    def __call__(self, loop: asyncio.AbstractEventLoop) -> None:
        current = self.recorder.loop
        mine = threading.get_ident() == self.thread
        if mine and (current is None or current is loop or not current.is_running()):
            reason = self.recorder.attach(loop)
        else:
            reason = self.recorder.follow(loop)
        if reason is not None:
            self.result.reason = reason


def _start_watchdog(
    recorder: Recorder, threshold: float, on_block: Callable[[BlockReport], None] | None
) -> Any:
    """The watchdog on this thread, or None: it is optional, and never stops the recording."""
    try:
        from asyncrepl.watchdog import Watchdog

        dog = Watchdog(recorder, threshold=threshold, on_report=on_block)
        dog.start(threading.get_ident())
    except Exception:  # our own bug: the recording goes on without the watchdog
        log.exception("asyncrepl: the blocking-call watchdog could not start")
        return None
    return dog


def _stop_watchdog(dog: Any) -> None:
    """Stop it now: its last look reports a block that ended since the one before (the
    script's last step, say), so the exit never waits for its next look."""
    dog.stop()
