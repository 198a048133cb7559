"""Where in the user's code something happened: the innermost frame outside Python's own
library, installed packages and asyncrepl, kept as plain numbers and labelled on demand."""

from __future__ import annotations

import asyncio
import functools
import linecache
import os
import site
import sys
from types import CodeType, FrameType

from asyncrepl.records import Location, LocationLabeler

__all__ = [
    "Site",
    "add_boundary",
    "caller_site",
    "is_boundary",
    "is_user_file",
    "line_at",
    "site_location",
    "user_site",
    "user_site_tables",
]

#: ``(filename, lineno, qualname)`` of one frame: cheap to keep, keeps nothing alive.
Site = tuple[str, int, str]

_CACHE_LIMIT = 10_000  # filenames remembered as user / library code


@functools.cache
def _library_dirs() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Directories whose files are not the user's: the standard library, installed packages,
    console scripts, and asyncrepl itself; resolved, then as code objects usually name them
    (unresolved). Worked out when first asked (reading sysconfig's data takes 1.5 ms, and a
    session that never labels a site never asks)."""
    import sysconfig

    paths = sysconfig.get_paths()
    keys = ("stdlib", "platstdlib", "purelib", "platlib", "scripts")
    dirs = {paths.get(key, "") for key in keys}
    dirs.update(getattr(site, "getsitepackages", list)())  # absent in old virtualenvs
    dirs.add(site.getusersitepackages())
    dirs.add(os.path.dirname(os.__file__))  # the standard library this interpreter runs
    dirs.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # asyncrepl/
    dirs.discard("")
    resolved = tuple({os.path.join(os.path.realpath(d), "") for d in dirs})
    return resolved, tuple({os.path.join(os.path.abspath(d), "") for d in dirs})


#: filename -> _USER, _LIBRARY, or _BORDER (library code holding a boundary). Keyed by name
#: because a filename's hash is kept and a code object's is not (3.13 computes it each time).
_kinds: dict[str, int] = {}
_LIBRARY_CODE, _USER, _BORDER = 0, 1, 2
_UNKNOWN = -1
#: Where a loop step begins (``Handle._run``, the recorder's round): the frames further out
#: run the loop itself, so the line that started the loop is never blamed for a step's deeds.
#: By ``id()``: each is a function's code, alive as long as the process.
_boundaries: set[int] = set()
_border_files: set[str] = set()


def add_boundary(code: CodeType) -> None:
    """Stop :func:`user_site` at frames of ``code`` (a function that runs loop steps).

    :param code: a function's ``__code__`` (kept alive by the function's module).
    """
    _boundaries.add(id(code))
    _border_files.add(code.co_filename)
    _kinds.pop(code.co_filename, None)


def is_boundary(code: CodeType) -> bool:
    """Whether frames of ``code`` run loop steps (see :func:`add_boundary`).

    :param code: a frame's code.
    """
    return id(code) in _boundaries


add_boundary(asyncio.events.Handle._run.__code__)


def is_user_file(filename: str, labeler: LocationLabeler | None = None) -> bool:
    """True for the user's code: a script, a module of their project, a REPL cell; False for
    the standard library, installed packages (wherever they live) and asyncrepl. The one
    answer to "is this the user's file?" for the recorder, the watchdog and ``%explain``.

    :param filename: a code object's ``co_filename``.
    :param labeler: names the REPL's cells: a file it knows is a cell, always the user's
        (a kernel's cells are files in a temporary folder).
    """
    if labeler is not None and labeler(filename) is not None:
        return True
    if filename.startswith("<"):  # an IPython cell, exec'd source; frozen modules are not
        return not filename.startswith("<frozen")
    resolved, raw = _library_dirs()
    if filename.startswith(resolved) or filename.startswith(raw):
        return False
    path = os.path.realpath(filename)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:  # another environment's packages
        return False
    return not path.startswith(resolved)


#: The Site :func:`user_site` found last (any thread's: a stale one is only not shared).
_last_site: list[Site | None] = [None]


def user_site(frame: FrameType | None, depth: int = 64) -> Site | None:
    """The innermost frame of user code, starting at ``frame`` and going outwards.

    :param frame: where to start, usually ``sys._getframe(n)``.
    :param depth: how many frames to look at before giving up.
    """
    kinds = _kinds
    for _ in range(depth):
        if frame is None:
            return None
        code = frame.f_code
        kind = kinds.get(code.co_filename, _UNKNOWN)
        if kind:  # library frames, the most common, skip this
            if kind is _UNKNOWN:
                kind = _kind_of(code.co_filename)
            if kind == _USER:
                site = code.co_filename, frame.f_lineno or code.co_firstlineno, code.co_qualname
                if site == _last_site[0]:  # 100,000 tasks made on one line share one Site
                    return _last_site[0]
                _last_site[0] = site
                return site
            if kind == _BORDER and id(code) in _boundaries:
                return None
        frame = frame.f_back
    return None


def user_site_tables() -> tuple[dict[str, int], set[int], list[Site | None]]:
    """What :func:`user_site` reads, for its C twin (``_tasknote.c``): the kinds of the
    files seen (user 1, library 0, border 2; a file not in it is Python's to find out), the
    ids of the codes that run loop steps, and the last Site found (a list of one)."""
    return _kinds, _boundaries, _last_site


def _kind_of(filename: str) -> int:
    if len(_kinds) > _CACHE_LIMIT:
        _kinds.clear()
    if filename in _border_files:
        kind = _BORDER
    else:
        kind = _USER if is_user_file(filename) else _LIBRARY_CODE
    _kinds[filename] = kind
    return kind


def caller_site(skip: int) -> Site | None:
    """:func:`user_site` from the caller ``skip`` frames up."""
    try:
        return user_site(sys._getframe(skip + 1))
    except ValueError:  # the stack is not that deep
        return None


def line_at(code: CodeType, offset: int) -> int | None:
    """The source line of the instruction at byte ``offset`` of ``code`` (a frame's
    ``f_lasti``), None when there is none.

    :param code: a function's code.
    :param offset: a byte offset into its bytecode.
    """
    for start, end, line in code.co_lines():
        if start <= offset < end:
            return line
    return None


def site_location(
    where: Site, labeler: LocationLabeler, known: dict[Site, Location] | None = None
) -> Location:
    """A :class:`~asyncrepl.records.Location` a person can read: ``<cell 3>:4`` or
    ``app.py:12``, with the source line.

    :param where: a :data:`Site`.
    :param labeler: turns a cell's filename into ``<cell 3>``.
    :param known: the sites labelled so far by one query, filled in here: the tasks of a long
        run share a few lines, and labelling one (a relative path) takes 20 µs.
    """
    if known is not None:
        found = known.get(where)
        if found is None:
            found = known[where] = site_location(where, labeler)
        return found
    filename, lineno, qualname = where
    try:
        name = labeler(filename) or _short_path(filename)
    except Exception:  # a labeler bug must not cost the whole record
        name = _short_path(filename)
    source = linecache.getline(filename, lineno).strip()
    function = "" if qualname == "<module>" else qualname
    return Location(filename, lineno, f"{name}:{lineno}", source, function)


def _short_path(filename: str) -> str:
    """``app/models.py`` below the current folder, else the file's name alone."""
    if filename.startswith("<"):
        return filename
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return os.path.basename(filename)
    return relative if not relative.startswith("..") else os.path.basename(filename)
