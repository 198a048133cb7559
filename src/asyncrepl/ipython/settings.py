"""asyncrepl's settings, as IPython config traits (``c.AsyncREPL.blocking_threshold = 0.2``,
``--AsyncREPL.blocking=strict``, ``%config AsyncREPL.blocking = 'off'``), and ``%asyncrepl``."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from traitlets import Bool, CaselessStrEnum, Float, Int

__all__ = ["AsyncREPL"]


@magics_class
class AsyncREPL(Magics):
    """Settings of asyncrepl, read from IPython's config and the command line."""

    blocking_threshold = Float(
        0.1,
        help="Seconds one step may hold the event loop before it counts as blocking it "
        "(the run-time detector and %timeline's warning colour).",
    ).tag(config=True)
    blocking = CaselessStrEnum(
        ["off", "warn", "strict"],
        default_value="warn",
        help="Static check of each cell for blocking calls: 'off', 'warn' (show and run) "
        "or 'strict' (show and do not run).",
    ).tag(config=True)
    recorder_steps = Int(
        2_097_152,
        help="How many entries the recorder's ring buffer keeps, 12 bytes each: a loop step, "
        "or the loop waiting between rounds (so at least half of them are steps). What tasks "
        "waited for goes into a second ring an eighth as long, 32 bytes a wait.",
    ).tag(config=True)
    finished_tasks = Int(
        1000, help="How many finished tasks the recorder remembers for %tasks -a."
    ).tag(config=True)
    exit_timeout = Float(
        1.0, help="Seconds to wait for cancelled tasks to finish when the REPL exits."
    ).tag(config=True)
    record = Bool(True, help="Record the loop's steps for %tasks and %timeline.").tag(config=True)
    watchdog = Bool(
        True, help="Report, with the blocking line, when the event loop is blocked."
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        shell.configurables.append(self)

    @line_magic
    def asyncrepl(self, line: str) -> None:
        """Show asyncrepl's settings. Change them with ``%config``.

        In [1]: %asyncrepl
        In [2]: %config AsyncREPL.blocking_threshold = 0.2
        """
        for name in sorted(self.trait_names(config=True)):
            print(f"AsyncREPL.{name} = {getattr(self, name)!r}")  # noqa: T201  # this magic's output
