"""``[tool.asyncrepl]`` in ``pyproject.toml`` and ``--select/--ignore``: which codes a file is
checked for and which paths are left out, with ruff's meaning of each key. A mistake in the
configuration is a one-line :class:`ConfigError`, never a traceback or a silently ignored key."""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncrepl.analysis import RULES

__all__ = ["Config", "ConfigError", "Selection", "find_config", "load_config", "parse_codes"]

#: ruff's default exclusions, and ``__pycache__``. (Folders whose names start with a dot are
#: not searched either, see :mod:`asyncrepl.cli_check.files`, but a file named in one is read.)
DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)
_KEYS = ("select", "ignore", "per-file-ignores", "exclude", "extend-exclude")


class ConfigError(Exception):
    """A configuration mistake, as one line naming the file, the value and the fix."""


@dataclass(frozen=True)
class Selection:
    """One layer of ``select`` and ``ignore`` (the file's, then the command line's).

    :param select: codes or prefixes to check for; None keeps the layer below's choice.
    :param ignore: codes or prefixes to leave out.
    """

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()

    def apply(self, codes: frozenset[str]) -> frozenset[str]:
        """The codes left on after this layer, ruff's way: the more specific prefix wins
        between ``select`` and ``ignore``, and ``ignore`` wins a tie."""
        if self.select is not None:
            codes = frozenset(c for c in RULES if _specificity(c, self.select) >= 0)
        kept = set()
        for code in codes:
            chosen = 0 if self.select is None else _specificity(code, self.select)
            if _specificity(code, self.ignore) < chosen:
                kept.add(code)
        return frozenset(kept)


def _specificity(code: str, selectors: tuple[str, ...]) -> int:
    """The length of the longest selector ``code`` starts with (``ALL`` counts as 0), or -1."""
    lengths = [0 if s == "ALL" else len(s) for s in selectors if s == "ALL" or code.startswith(s)]
    return max(lengths, default=-1)


@dataclass(frozen=True)
class Config:
    """The settings that apply to the files below ``root``.

    :param root: the folder of the ``pyproject.toml`` (the working folder without one);
        patterns with a ``/`` are relative to it.
    :param origin: the file the settings came from, for messages; ``""`` for the defaults.
    """

    root: Path
    origin: str = ""
    selection: Selection = field(default_factory=Selection)
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE

    def excluded(self, path: Path) -> bool:
        """Whether ``exclude``/``extend-exclude`` leave out ``path`` (absolute)."""
        return any(_matches(path, pattern, self.root) for pattern in self.exclude)

    def excluded_with_parents(self, path: Path) -> bool:
        """For a file named on the command line: itself or a folder it is in, below the root."""
        if self.excluded(path):
            return True
        return any(
            self.excluded(parent)
            for parent in path.parents
            if parent != self.root and self.root in parent.parents
        )

    def codes_for(self, path: Path, command_line: Selection) -> frozenset[str]:
        """The codes ``path`` is checked for: this file's layer, then the command line's,
        then ``per-file-ignores``."""
        codes = command_line.apply(self.selection.apply(frozenset(RULES)))
        for pattern, ignored in self.per_file_ignores:
            if _matches(path, pattern, self.root):
                codes = frozenset(c for c in codes if _specificity(c, ignored) < 0)
        return codes


def _matches(path: Path, pattern: str, root: Path) -> bool:
    """ruff's matching: a pattern matches the file's name, or its whole path with the pattern
    taken relative to the configuration's folder."""
    if fnmatch.fnmatchcase(path.name, pattern):
        return True
    anchored = os.path.normpath(root / pattern).replace(os.sep, "/")
    return fnmatch.fnmatchcase(path.as_posix(), anchored)


def parse_codes(value: str, where: str) -> tuple[str, ...]:
    """``"AR101,AR105"`` from the command line as a tuple of known codes or prefixes.

    :raises ConfigError: naming an unknown code.
    """
    return _codes([c.strip() for c in value.split(",") if c.strip()], where)


def _codes(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ConfigError(f'{where}: expected a list of codes, like ["AR101", "AR105"]')
    for code in value:
        if code != "ALL" and not any(known.startswith(code) for known in RULES):
            raise ConfigError(
                f"{where}: unknown code `{code}`; codes are {min(RULES)} to {max(RULES)}"
            )
    return tuple(value)


def _patterns(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ConfigError(f'{where}: expected a list of glob patterns, like ["tests/*"]')
    return tuple(value)


def load_config(path: Path, table: dict[str, Any] | None = None) -> Config:
    """The ``[tool.asyncrepl]`` table of ``path`` (a ``pyproject.toml``).

    :param table: the table when the caller has read it already.
    :raises ConfigError: for unreadable TOML, an unknown key, code or a value of the wrong type.
    """
    if table is None:
        table = _tool_table(path)
        if table is None:
            raise ConfigError(f"{path}: no [tool.asyncrepl] table")
    where = f"{path}: [tool.asyncrepl]"
    unknown = sorted(set(table) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown key `{unknown[0]}`; known: {', '.join(_KEYS)}")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(f"{where}: per-file-ignores: expected a table of pattern = [codes]")
    select = table.get("select")
    return Config(
        root=path.parent.absolute(),
        origin=str(path),
        selection=Selection(
            select=None if select is None else _codes(select, f"{where} select"),
            ignore=_codes(table.get("ignore", []), f"{where} ignore"),
        ),
        per_file_ignores=tuple(
            (pattern, _codes(codes, f"{where} per-file-ignores {pattern!r}"))
            for pattern, codes in per_file.items()
        ),
        exclude=_patterns(table.get("exclude", list(DEFAULT_EXCLUDE)), f"{where} exclude")
        + _patterns(table.get("extend-exclude", []), f"{where} extend-exclude"),
    )


def _tool_table(path: Path) -> dict[str, Any] | None:
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    table = data.get("tool", {}).get("asyncrepl")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.asyncrepl] must be a table")
    return table


def find_config(folder: Path, cache: dict[Path, Config]) -> Config:
    """The configuration of the nearest ``pyproject.toml`` with a ``[tool.asyncrepl]`` table in
    ``folder`` or above it (one without the table is passed over, as ruff does); the defaults,
    rooted at the working folder, when there is none.

    :param folder: absolute; :param cache: folder -> its configuration, shared across calls.
    """
    if folder in cache:
        return cache[folder]
    candidate = folder / "pyproject.toml"
    try:
        present = candidate.is_file()
    except OSError:  # a folder that may not be searched: what it holds cannot apply
        present = False
    table = _tool_table(candidate) if present else None
    if table is not None:
        found = load_config(candidate, table)
    elif folder.parent == folder:
        found = Config(root=Path.cwd())
    else:
        found = find_config(folder.parent, cache)
    cache[folder] = found
    return found
