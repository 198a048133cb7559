"""Which files ``asyncrepl check`` reads: Python files and notebooks under each folder, minus the
excluded ones. Only regular files are opened (a FIFO named ``x.py`` would wait forever for a
writer), and a folder that cannot be listed is an error, never a silent "nothing here"."""

from __future__ import annotations

import io
import os
import stat
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from asyncrepl.cli_check.config import Config, find_config

__all__ = ["Problem", "Target", "decode_source", "find_targets", "read_source"]

SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Target:
    """A file to check. :param shown: its path as the user wrote it (or joined to a folder they
    named); :param path: absolute; :param config: the settings that apply to it."""

    shown: str
    path: Path
    config: Config


@dataclass(frozen=True)
class Problem:
    """A file or folder that could not be checked. :param shown: its path as shown;
    :param text: the whole error line, starting with the path."""

    shown: str
    text: str


def find_targets(
    names: list[str], fixed: Config | None, cache: dict[Path, Config]
) -> Iterator[Target | Problem]:
    """Each file to check under ``names``, in sorted order, and each problem met on the way.

    :param names: files and folders from the command line.
    :param fixed: the configuration from ``--config``, or None to look for each folder's own.
    :param cache: folder -> configuration (see :func:`find_config`).
    :raises ConfigError: from a ``pyproject.toml`` met on the way.
    """
    for name in names:
        path = Path(name).absolute()
        config = fixed or find_config(path.parent, cache)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            yield Problem(name, f"{name}: no such file or folder")
            continue
        except OSError as error:
            yield Problem(name, f"{name}: cannot read: {error.strerror}")
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(name, path, fixed, cache)
        elif not stat.S_ISREG(mode):
            yield Problem(name, f"{name}: not a regular file, not read")
        elif not config.excluded_with_parents(path):
            yield Target(name, path, config)


def _walk(
    shown: str, folder: Path, fixed: Config | None, cache: dict[Path, Config]
) -> Iterator[Target | Problem]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as error:
        yield Problem(shown, f"{shown}: cannot read folder: {error.strerror}")
        return
    config = fixed or find_config(folder, cache)
    for entry in entries:
        path = folder / entry.name
        if config.excluded(path):
            continue
        shown_entry = entry.name if shown in (".", "./") else os.path.join(shown, entry.name)
        try:
            # Symlinked folders are not followed (a link to a parent would never end), nor
            # hidden ones (.git, .venv, an editor's backups) unless named.
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    yield from _walk(shown_entry, path, fixed, cache)
            elif entry.name.endswith(SUFFIXES) and stat.S_ISREG(entry.stat().st_mode):
                yield Target(shown_entry, path, config)
        except OSError as error:  # a dangling symlink, a file gone since the listing
            yield Problem(shown_entry, f"{shown_entry}: cannot read: {error.strerror}")


def decode_source(data: bytes) -> str:
    """Python source from its bytes, in the encoding its coding line or BOM names.

    :raises ValueError: for an unknown encoding or bytes that are not in it.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:  # its line number would point at no line of code
        raise ValueError(error.msg) from None
    return data.decode(encoding)


def read_source(path: Path) -> bytes:
    """The bytes of a regular file; opened without waiting, so that a file replaced by a FIFO
    since it was listed cannot hang the check.

    :raises OSError: when it cannot be read or is not a regular file.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path}: not a regular file")
        return stream.read()
