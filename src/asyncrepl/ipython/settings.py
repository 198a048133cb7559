"""asyncrepl's settings, as IPython config traits (``c.AsyncREPL.blocking_threshold = 0.2``,
``--AsyncREPL.blocking=strict``, ``%config AsyncREPL.blocking = 'off'``), and ``%asyncrepl``."""

from __future__ import annotations

import math
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from traitlets import Bool, CaselessStrEnum, Float, Int, TraitError, validate
from traitlets.config import Config

__all__ = ["AsyncREPL"]

#: What each number-valued setting accepts: name -> (smallest allowed, whether it may equal it,
#: how to say it).
_LIMITS: dict[str, tuple[float, bool, str]] = {
    "blocking_threshold": (0.0, False, "a number of seconds above 0, such as 0.1"),
    "exit_timeout": (0.0, True, "a number of seconds, 0 or more, such as 1"),
    "recorder_steps": (1.0, True, "a number of entries, 1 or more, such as 2097152"),
    "finished_tasks": (0.0, True, "a number of tasks, 0 or more, such as 1000"),
}


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
        1000,
        help="How many of your finished tasks the recorder remembers for %tasks -a and the "
        "charts (tasks made outside your code, such as the prompt's own, are kept apart).",
    ).tag(config=True)
    exit_timeout = Float(
        1.0,
        help="Seconds to wait for cancelled tasks to finish when the REPL exits (a second "
        "Ctrl-C or Ctrl-D leaves at once).",
    ).tag(config=True)
    record = Bool(True, help="Record the loop's steps for %tasks and %timeline.").tag(config=True)
    watchdog = Bool(
        True, help="Report, with the blocking line, when the event loop is blocked."
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        #: Settings changed that take effect only after ``%reload_ext asyncrepl``:
        #: name -> the value still in force.
        self.in_force: dict[str, Any] = {}
        super().__init__(shell=shell, **kwargs)  # Magics adds it to shell.configurables

    @validate(*_LIMITS)
    def _refuse_out_of_range(self, proposal: Any) -> Any:
        name, value = proposal["trait"].name, proposal["value"]
        low, inclusive, how = _LIMITS[name]
        number = float(value)
        if (
            math.isnan(number)
            or math.isinf(number)
            or number < low
            or (number == low and not inclusive)
        ):
            raise TraitError(f"AsyncREPL.{name} = {value!r} is refused: use {how}.")
        return value

    def _load_config(self, cfg: Config, section_names: Any = None, traits: Any = None) -> None:
        """Config from the command line, a profile or ``%config``: a value a setting refuses
        is named in one line and the setting keeps its value, so the REPL always starts."""
        mine = self._find_my_config(cfg)
        for name in list(mine):
            single = Config({"AsyncREPL": {name: mine[name]}})
            try:
                super()._load_config(single, section_names, traits)
            except TraitError as error:
                message = str(error).splitlines()[0] if str(error) else repr(error)
                print(f"asyncrepl: {message}")  # noqa: T201  # one line, for the user's mistake

    @line_magic
    def asyncrepl(self, line: str) -> None:
        """Show asyncrepl's settings, as they are in force. Change them with ``%config``.

        In [1]: %asyncrepl
        In [2]: %config AsyncREPL.blocking_threshold = 0.2
        """
        for name in sorted(self.trait_names(config=True)):
            if name in self.in_force:
                wanted = getattr(self, name)
                shown = f"{self.in_force[name]!r}  ({wanted!r} after %reload_ext asyncrepl)"
            else:
                shown = repr(getattr(self, name))
            print(f"AsyncREPL.{name} = {shown}")  # noqa: T201  # this magic's output
