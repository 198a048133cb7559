"""The timeline for Jupyter (an object with ``_repr_html_``) and as files: ``.json`` (Chrome
Trace Event Format), ``.svg`` (the picture) and ``.html`` (the picture and the summary)."""

from __future__ import annotations

import os
import secrets
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from asyncrepl.render.fragments import fragments_text
from asyncrepl.render.html import escape_text
from asyncrepl.render.style import CSS
from asyncrepl.render.svg import render_svg
from asyncrepl.render.timeline import render_timeline
from asyncrepl.render.trace import write_trace
from asyncrepl.windows import Timeline

__all__ = [
    "EXPORT_KINDS",
    "ExportError",
    "TimelineView",
    "check_export_path",
    "export_timeline",
    "render_timeline_page",
    "timeline_view",
]

#: File suffix -> what it holds, for messages.
EXPORT_KINDS = {
    ".json": "a trace for Perfetto (ui.perfetto.dev) or chrome://tracing",
    ".svg": "a picture of the chart",
    ".html": "a page with the chart and its summary",
}


#: Bytes of a trace gathered into one write (see :func:`_write_behind`).
_BATCH = 4 << 20
#: Writes handed to the writing thread and not yet done, at most.
_AHEAD = 2


class ExportError(ValueError):
    """The export path cannot be written; the message is one line for the user."""


class TimelineView:
    """The chart as text (``repr``, for a terminal) and as a picture (``_repr_html_``, for
    Jupyter), the picture drawn only when a frontend asks for it.

    :param timeline: the recorded window.
    :param width: terminal columns for the text chart.
    :param scope: what the window is: ``"cell 3"``.
    """

    def __init__(self, timeline: Timeline, *, width: int = 80, scope: str = "") -> None:
        self.timeline, self.scope = timeline, scope
        self.fragments = render_timeline(timeline, width=width, scope=scope)

    def __repr__(self) -> str:
        return fragments_text(self.fragments)

    def _repr_html_(self) -> str:
        if not self.timeline.steps and not self.timeline.tasks:
            return f"<p>{escape_text(repr(self))}</p>"
        return f"<div>{render_svg(self.timeline, scope=self.scope)}</div>"


def timeline_view(timeline: Timeline, *, width: int = 80, scope: str = "") -> TimelineView:
    """Both renderings of one timeline (see :class:`TimelineView`).

    :param timeline: the recorded window.
    :param width: terminal columns for the text chart.
    :param scope: what the window is: ``"cell 3"``.
    """
    return TimelineView(timeline, width=width, scope=scope)


def render_timeline_page(timeline: Timeline, *, scope: str = "") -> str:
    """A whole HTML page: the picture and the summary, with nothing to load from elsewhere.

    :param timeline: the recorded window.
    :param scope: what the window is: ``"cell 3"``.
    """
    title = f"asyncrepl timeline{f' of {scope}' if scope else ''}"
    # The picture holds the summary under the chart: once is enough.
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape_text(title)}</title><style>{CSS}"
        "body { font-family: sans-serif; margin: 1.5em; }</style></head><body>"
        f"{render_svg(timeline, scope=scope)}</body></html>\n"
    )


def check_export_path(path: str | os.PathLike[str]) -> Path:
    """The path, if a file of a known kind can be written there; else :class:`ExportError`.

    Checked before anything runs, so that a long script does not end in a failed export.

    :param path: where the user wants the file.
    """
    target = Path(path).expanduser()
    if target.suffix.lower() not in EXPORT_KINDS:
        raise ExportError(
            f"`{path}` has no known export type: end the name with .json (a trace for "
            "Perfetto or chrome://tracing), .svg (a picture) or .html (a page)."
        )
    folder = target.parent
    if not folder.is_dir():
        raise ExportError(f"Cannot write `{path}`: the folder `{folder}` does not exist.")
    if target.is_dir():
        raise ExportError(f"Cannot write `{path}`: it is a folder. Give a file name.")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise ExportError(f"Cannot write `{path}`: permission denied. Pick another place.")
    return target


def export_timeline(timeline: Timeline, path: str | os.PathLike[str], *, scope: str = "") -> Path:
    """Write the timeline to ``path``; the suffix picks the format (see :data:`EXPORT_KINDS`).

    The file is written beside the target under a temporary name and moved into place once
    whole, so a failure leaves no file behind and an older file as it was.

    :param timeline: the recorded window.
    :param path: a ``.json``, ``.svg`` or ``.html`` file.
    :param scope: what the window is, for the picture's title.
    :raises ExportError: the path cannot be written (one line, for the user).
    """
    target = check_export_path(path)
    suffix = target.suffix.lower()
    partial = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    try:
        # Made as open(target, "w") would make it: 0o666 less the umask.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        if suffix == ".json":
            with open(fd, "wb") as binary:  # the trace comes as UTF-8 bytes
                if _cores() > 1:
                    _write_behind(binary, lambda write: write_trace(timeline, write))
                else:  # a thread would only take turns with the formatting
                    write_trace(timeline, binary.write)
        else:
            with open(fd, "w", encoding="utf-8") as stream:
                if suffix == ".svg":
                    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
                    stream.write(render_svg(timeline, scope=scope))
                else:
                    stream.write(render_timeline_page(timeline, scope=scope))
        if target.exists():
            os.chmod(partial, target.stat().st_mode & 0o7777)
        os.replace(partial, target)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ExportError(f"Cannot write `{path}`: {reason.lower()}.") from None
    finally:
        partial.unlink(missing_ok=True)
    return target


def _cores() -> int:
    """The processors this process may run on."""
    if hasattr(os, "sched_getaffinity"):  # Linux: what taskset or a container allows
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _write_behind(stream: BinaryIO, produce: Callable[[Callable[[bytes], object]], None]) -> None:
    """Call ``produce`` with a ``write`` that gathers the pieces and hands them, a few MB at a
    time, to a thread, which writes them to ``stream`` in order. A failed write raises in
    ``produce`` at most :data:`_AHEAD` writes later, or at the end (the file is then thrown
    away: the writes already handed over may still be made).

    A trace of two million steps is 195 MB, and the kernel takes 0.2-0.5 s to put it in a new
    file (most of it finding fresh pages for the file's cache), all without the GIL: in a
    thread it overlaps the formatting of the next steps, on another processor (export at 2M
    steps 0.97-1.09 s -> 0.71-0.85 s; on one processor 0.93-1.03 s -> 1.05-1.14 s, so there
    the export writes for itself). The thread needs the GIL for each write, and waits for it
    (up to the switch interval, 5 ms) while the steps are formatted: one write per chunk of
    400 kB left it behind, and the formatting waiting for it (0.04-0.4 s of an export at 2M
    steps; with writes of 4 MB, 0.01-0.03 s).
    """
    with ThreadPoolExecutor(1, thread_name_prefix="asyncrepl-export") as writer:
        pending: deque[Future[int]] = deque()
        batch: list[bytes] = []
        gathered = 0

        def send() -> None:
            nonlocal gathered
            pending.append(writer.submit(stream.write, b"".join(batch)))
            batch.clear()
            gathered = 0
            if len(pending) > _AHEAD:
                pending.popleft().result()  # raises what the write raised

        def write(piece: bytes) -> None:
            nonlocal gathered
            batch.append(piece)
            gathered += len(piece)
            if gathered >= _BATCH:
                send()

        try:
            produce(write)
            if batch:
                send()
            while pending:
                pending.popleft().result()
        finally:
            for future in pending:  # after a failure, the rest need not be written
                future.cancel()
