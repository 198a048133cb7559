"""The ``asyncrepl`` command: the REPL, ``asyncrepl run SCRIPT`` and ``asyncrepl check PATH``."""

from __future__ import annotations

import sys
from typing import Any

from asyncrepl import __version__

__all__ = ["banner", "embed", "main"]

USAGE = """\
usage: asyncrepl [--no-banner] [IPython options]    the REPL
       asyncrepl run [--export trace.json] SCRIPT.py [ARGS]
       asyncrepl check PATH... [--format text|json|github|sarif]

An asyncio REPL on IPython: every cell runs on one event loop that keeps running
while the prompt waits, so `await` works at the top level and tasks go on in
the background. Inside: %tasks, %timeline, %explain, %blocking, %asyncrepl.

commands:
  run [--export PATH] SCRIPT.py [ARGS]
                        run a script under the loop recorder and the blocking
                        detector, then print its timeline (PATH: .json .svg .html)
  check PATH...         find calls that block the event loop in files, folders
                        and notebooks (exit 1 when something is found); see
                        asyncrepl check --help

options:
  -h, --help            show this help and exit
  --version             print asyncrepl's version and exit
  --no-banner           start without the banner
  --AsyncREPL.blocking=off|warn|strict
                        check each cell for blocking calls (default: warn)
  --AsyncREPL.blocking_threshold=SECONDS
                        a step longer than this blocks the loop (default: 0.1)
  --AsyncREPL.record=False
                        do not record the loop (%timeline has nothing to show)
  --AsyncREPL.exit_timeout=SECONDS
                        wait this long for cancelled tasks at exit (default: 1);
                        a second Ctrl-C or Ctrl-D leaves at once

IPython's own options and config work too (profiles, --colors,
--InteractiveShell.*): see `asyncrepl --help-all`.
"""


def main(argv: list[str] | None = None) -> int:
    """Run the ``asyncrepl`` command.

    :param argv: the arguments after the program name; ``sys.argv[1:]`` when None.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if args and args[0] == "run":
        from asyncrepl.cli_run import main_run

        return int(main_run(args[1:]))
    if args and args[0] == "check":
        from asyncrepl.cli_check import main_check

        return int(main_check(args[1:]))
    if args[:1] in (["-h"], ["--help"]):
        print(USAGE, end="")
        return 0
    if args[:1] == ["--version"]:
        print(f"asyncrepl {__version__}")
        return 0
    return start_repl(args)


def banner() -> str:
    """The short banner: what asyncrepl adds, and the magics, in lines a workshop's terminal
    with a large font (64 columns) shows whole."""
    import IPython

    python = ".".join(map(str, sys.version_info[:3]))
    return (
        f"asyncrepl {__version__} (IPython {IPython.__version__}, Python {python})\n"
        "Top-level `await`; the event loop keeps running while you type.\n"
        "asyncio is imported. Magics: %tasks %timeline %explain %blocking\n"
        "Ctrl-C cancels the running cell; Ctrl-D exits.\n"
    )


def start_repl(argv: list[str]) -> int:
    """Start IPython with asyncrepl loaded, passing IPython its own options.

    :param argv: IPython's command-line arguments.
    """
    app = _make_app()
    app.initialize(argv)
    app.start()
    return 0


def embed(**kwargs: Any) -> None:
    """An asyncrepl session (``IPython.embed`` plus asyncrepl) in the namespace ``user_ns``
    (a fresh one when not given): :func:`asyncrepl.embed` passes its caller's variables.

    :param kwargs: passed to ``IPython.terminal.embed.InteractiveShellEmbed``.
    """
    from IPython.terminal.embed import InteractiveShellEmbed

    kwargs.setdefault("banner1", banner())
    shell = InteractiveShellEmbed.instance(**kwargs)
    assert shell.extension_manager is not None
    shell.extension_manager.load_extension("asyncrepl")
    shell()


def _make_app() -> Any:
    from IPython.terminal.ipapp import TerminalIPythonApp
    from traitlets import default
    from traitlets.config import Config

    from asyncrepl.ipython.settings import AsyncREPL

    class AsyncREPLApp(TerminalIPythonApp):
        name = "asyncrepl"

        @default("classes")
        def _classes_default(self) -> list[Any]:
            return [*super()._classes_default(), AsyncREPL]

        def init_extensions(self) -> None:
            super().init_extensions()  # type: ignore[no-untyped-call]
            assert self.shell is not None
            from asyncrepl.ipython.extension import load

            # As load_extension("asyncrepl") does, but what cells need is wired once the
            # first prompt is drawn (or before code runs): the prompt does not wait for it.
            with self.shell.builtin_trap:
                load(self.shell, wire_after_first_prompt=True)
            assert self.shell.extension_manager is not None
            self.shell.extension_manager.loaded.add("asyncrepl")

    config = Config()
    config.TerminalInteractiveShell.banner1 = banner()
    # Like `python -m asyncio`: Ctrl-D leaves at once (a profile may still ask to confirm).
    config.TerminalInteractiveShell.confirm_exit = False
    config.TerminalInteractiveShell.enable_tip = False  # the banner stays short
    return AsyncREPLApp.instance(config=config)
