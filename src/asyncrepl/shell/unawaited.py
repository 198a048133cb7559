"""A coroutine made and never awaited anywhere but a bare top-level call (inside an expression,
stored then dropped, inside a coroutine): Python warns when it is collected, with the cell's
raw file name. asyncrepl shows its own hint instead, once per line, with the cell, the line
and the user's call awaited, and stays quiet on a line the static check already flagged."""

from __future__ import annotations

import linecache
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from asyncrepl.labels import LocationLabeler
from asyncrepl.render.hints import render_unawaited
from asyncrepl.render.printer import print_fragments

if TYPE_CHECKING:
    from asyncrepl.records import Finding, Incident, Location

__all__ = ["NEVER_AWAITED", "UnawaitedHints"]

#: Python's warning for a coroutine collected before anything awaited it.
NEVER_AWAITED = re.compile(r"coroutine '([^']*)' was never awaited")


class UnawaitedHints:
    """Turns "coroutine ... was never awaited" warnings into asyncrepl's hint.

    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param findings: the static check's findings so far (AR113 on the same line is enough).
    :param report: receives the :class:`Incident` of each hint shown, for ``%explain``.
    :param cells: the cells' filenames, newest first: where a coroutine stored in a variable
        and dropped later was made.
    """

    def __init__(
        self,
        *,
        labeler: LocationLabeler,
        findings: Callable[[], Iterable[Finding]],
        report: Callable[[Incident], None],
        cells: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self._labeler = labeler
        self._findings = findings
        self._report = report
        self._cells = cells
        self._seen: set[tuple[str, int, str]] = set()

    def handle(self, message: str, filename: str, lineno: int) -> bool:
        """Show the hint for a "never awaited" warning (or nothing, when it was already said).

        :param message: the warning's text.
        :param filename: the file of the frame that dropped the coroutine.
        :param lineno: its line.
        :returns: whether it was such a warning (then Python's own must not be shown).
        """
        match = NEVER_AWAITED.search(message)
        if match is None:
            return False
        # Imported with the first such warning, not at start-up.
        from asyncrepl.explain.rewrite import await_calls, call_named
        from asyncrepl.records import Incident, IncidentKind

        qualname = match.group(1)
        name = qualname.rsplit(".", 1)[-1]
        where = self._made_at(filename, lineno, name)
        key = (where.filename, where.lineno, qualname)
        if key in self._seen or self._flagged(where):
            return True
        self._seen.add(key)
        call = call_named(where.source, name) or call_named(where.source, "") or ""
        fix = (await_calls((where.source,), 0, {}, only=name) or "") if call else ""
        shown = call or f"{name}()"
        label = where.label if self._labeler(where.filename) is not None or call else ""
        print_fragments(render_unawaited(shown, qualname, where=label, fix=fix))
        self._report(Incident(IncidentKind.HINT, where, code="unawaited-coroutine"))
        return True

    def _made_at(self, filename: str, lineno: int, name: str) -> Location:
        """The line that made the coroutine: the warning's own line when it is the user's and
        calls something, else (``del c``: it was kept in a variable; or a library dropped it)
        the newest cell line that calls ``name``."""
        from asyncrepl.explain.rewrite import call_named
        from asyncrepl.instrument.sites import is_user_file

        here = self._location(filename, lineno, name)
        if is_user_file(filename) and call_named(here.source, "") is not None:
            return here  # a call on the line made it, named or not (``pick[0]()``)
        for cell in self._cells():
            lines = linecache.getlines(cell)
            for index in range(len(lines) - 1, -1, -1):
                if name in lines[index] and call_named(lines[index], name) is not None:
                    return self._location(cell, index + 1, name)
        return here

    def _location(self, filename: str, lineno: int, name: str) -> Location:
        from asyncrepl.explain.rewrite import without_comments
        from asyncrepl.records import Location

        lines = linecache.getlines(filename)
        line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
        label = self._labeler(filename) or filename.rsplit("/", 1)[-1]
        return Location(filename, lineno, f"{label}:{lineno}", without_comments(line.strip()), name)

    def _flagged(self, where: Location) -> bool:
        """The static check flagged this line before it ran (AR113): it said so already."""
        names = {where.filename, self._labeler(where.filename)}  # findings name the cell
        return any(
            f.code == "AR113" and f.filename in names and f.line == where.lineno
            for f in self._findings()
        )
