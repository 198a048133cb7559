"""The static blocking-call check of each cell before it runs, and ``%blocking``.

The check is an IPython AST transformer: it reads the cell IPython is about to run, prints
what it finds, and in strict mode refuses the cell (``InputRejected``)."""

from __future__ import annotations

import ast
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from IPython.core.error import InputRejected, UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from asyncrepl.analysis import needs_check
from asyncrepl.ipython.state import settings_of
from asyncrepl.render.printer import print_fragments
from asyncrepl.session import Session

if TYPE_CHECKING:
    from asyncrepl.records import Finding

__all__ = ["MODES", "BlockingCheck", "BlockingMagics", "BlockingRejected", "install"]

log = logging.getLogger("asyncrepl")

#: The values of ``AsyncREPL.blocking``.
MODES = ("off", "warn", "strict")


class BlockingRejected(InputRejected):
    """Strict mode refused a cell. IPython shows :meth:`_render_traceback_`, one line."""

    def __init__(self, findings: list[Finding]) -> None:
        from asyncrepl.render.findings import refusal_text

        super().__init__(refusal_text(len(findings)))
        self.findings = findings

    def _render_traceback_(self) -> list[str]:
        from asyncrepl.render.findings import refusal_text

        return [refusal_text(len(self.findings))]


class BlockingCheck:
    """Checks each cell for blocking calls before it runs.

    ``pre_run_cell`` hands over the cell (IPython's transformed source, whose lines match
    the tree it parses); the AST transformer entry :meth:`visit` then checks it once.

    :param shell: the IPython shell; its ``user_ns`` is the live namespace.
    :param session: where findings are journalled.
    :param settings: anything with a ``blocking`` attribute (``AsyncREPL``).
    """

    def __init__(self, shell: Any, session: Session, settings: Any) -> None:
        self.shell = shell
        self.session = session
        self.settings = settings
        self._pending: tuple[int, str, str] | None = None
        self.broken = False

    def before(self, info: Any) -> None:
        """``pre_run_cell``: remember the cell the next :meth:`visit` belongs to."""
        if info.silent or self.broken:
            return
        count = self.shell.execution_count - (1 if info.store_history else 0)
        transformed = info.transformed_cell or info.raw_cell or ""
        self._pending = (count, info.raw_cell or "", transformed)

    def visit(self, node: ast.AST) -> ast.AST:
        """The AST transformer entry: check the pending cell, never change the tree.

        :raises BlockingRejected: in strict mode, when the cell has findings.
        """
        pending, self._pending = self._pending, None
        if pending is None or self.broken or self.mode() == "off":
            return node
        try:
            findings = self.check(*pending)
        except Exception:
            self.broken = True
            log.exception("asyncrepl: the blocking-call check failed and is now off")
            return node
        if findings and self.mode() == "strict":
            raise BlockingRejected(findings)
        return node

    def check(self, cell: int, raw: str, transformed: str) -> list[Finding]:
        """Check one cell, print and journal its findings.

        :param cell: its execution count; :param raw: as typed; :param transformed: as run.
        """
        if not needs_check(transformed):
            return []  # nothing in it runs on the loop: no parse, no checker to import
        # Imported with the first cell that may block the loop, not at start-up.
        from asyncrepl.analysis import IncompleteCheck, check_source
        from asyncrepl.records import Incident, IncidentKind
        from asyncrepl.render.findings import render_findings

        try:
            findings = check_source(
                transformed,
                f"<cell {cell}>",
                self.shell.user_ns,
                labeler=self.session.labeler,
            )
        except SyntaxError:
            return []  # IPython reports it
        except IncompleteCheck as error:
            # Saying nothing would read as "no blocking calls here".
            print_fragments([("", f"⚠ <cell {cell}> was not checked: {error.reason}.")])
            return []
        if findings:
            print_fragments(render_findings(findings))
        for finding in findings:
            self.session.journal.add(Incident(IncidentKind.FINDING, finding, cell, source=raw))
        return findings

    def mode(self) -> str:
        return str(getattr(self.settings, "blocking", "warn")).lower()


def install(shell: Any, session: Session, settings: Any) -> Callable[[], None]:
    """Check every cell of ``shell`` from now on; returns the function that stops it.

    :param shell: the IPython shell.
    :param session: the shell's :class:`Session`.
    :param settings: the ``AsyncREPL`` settings (``blocking`` is read for each cell).
    """
    check = BlockingCheck(shell, session, settings)
    shell.events.register("pre_run_cell", check.before)
    # First, so that the cell is checked as the user wrote it, before other rewrites.
    shell.ast_transformers.insert(0, check)

    def uninstall() -> None:
        if check in shell.ast_transformers:
            shell.ast_transformers.remove(check)
        with contextlib.suppress(ValueError):  # already unregistered
            shell.events.unregister("pre_run_cell", check.before)

    return uninstall


@magics_class
class BlockingMagics(Magics):
    """``%blocking``: the static check's mode."""

    def __init__(self, shell: Any, session: Session | None = None, settings: Any = None) -> None:
        super().__init__(shell)
        self.session = session
        self._settings = settings

    @property
    def settings(self) -> Any:
        if self._settings is None:
            self._settings = settings_of(self.shell)
        return self._settings

    @line_magic
    def blocking(self, line: str) -> None:
        """Show or set how asyncrepl checks each cell for calls that block the event loop.

        ``warn`` (the default) shows each blocking call before the cell runs, then runs
        it; ``strict`` shows them and does not run the cell; ``off`` does not check.

        In [1]: %blocking
        blocking: warn (blocking calls are shown, and the cell runs)
        In [2]: %blocking strict
        blocking: strict (cells with a blocking call will not run)

        Set it for every session with ``c.AsyncREPL.blocking = "strict"`` in your config.
        """
        mode = line.strip().lower()
        if mode and mode not in MODES:
            raise UsageError(f"%blocking {line.strip()!r}: use one of: off, warn, strict.")
        if mode:
            self.settings.blocking = mode
        print(_describe(str(self.settings.blocking)))  # noqa: T201  # the magic's answer


def _describe(mode: str) -> str:
    what = {
        "off": "cells are not checked",
        "warn": "blocking calls are shown, and the cell runs",
        "strict": "cells with a blocking call will not run",
    }.get(mode, "")
    return f"blocking: {mode} ({what})"
