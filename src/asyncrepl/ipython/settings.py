"""asyncrepl's settings, as IPython config traits: ``c.AsyncREPL.blocking_threshold = 0.2``."""

from __future__ import annotations

from traitlets import Bool, Float, Int, Unicode
from traitlets.config import Configurable

__all__ = ["AsyncREPL"]


class AsyncREPL(Configurable):  # type: ignore[misc]  # traitlets is untyped
    """Settings of asyncrepl, read from IPython's config and the command line."""

    blocking_threshold = Float(
        0.1,
        help="Seconds one step may hold the event loop before it counts as blocking it "
        "(the run-time detector and %timeline's warning colour).",
    ).tag(config=True)
    blocking = Unicode(
        "warn",
        help="Static check of each cell for blocking calls: 'off', 'warn' (show and run) "
        "or 'strict' (show and do not run).",
    ).tag(config=True)
    recorder_steps = Int(
        1_048_576, help="How many loop steps the recorder keeps (a ring buffer)."
    ).tag(config=True)
    finished_tasks = Int(
        1000, help="How many finished tasks the recorder remembers for %tasks -a."
    ).tag(config=True)
    exit_timeout = Float(
        1.0, help="Seconds to wait for cancelled tasks to finish when the REPL exits."
    ).tag(config=True)
    record = Bool(True, help="Record the loop's steps for %tasks and %timeline.").tag(config=True)
