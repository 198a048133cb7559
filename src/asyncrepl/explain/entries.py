"""The records of the explanation catalogue: an :class:`Entry` says how to recognise a problem
and what to tell the learner; an :class:`Explanation` is one entry applied to one occurrence."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from asyncrepl.records import Location

__all__ = ["Entry", "Explanation", "Pattern", "Rewrite", "Topic"]

#: ``(lines, index, names) -> corrected code or None``: ``lines`` is the cell or file, ``index``
#: the 0-based failing line, ``names`` the failing frame's names (looked up, never evaluated).
Rewrite = Callable[[Sequence[str], int, "dict[str, object]"], "str | None"]


@dataclass(frozen=True, slots=True)
class Pattern:
    """How to recognise an error or a warning by its type and message.

    :param types: exception (or warning category) class names, any class in the MRO matches;
        ``"loop"`` matches a message the event loop logs (``"Task was destroyed ..."``).
    :param message: a regular expression searched in the message.
    """

    types: tuple[str, ...]
    message: str = ""
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.message))


@dataclass(frozen=True, slots=True)
class Entry:
    """One thing that goes wrong with asyncio, as the catalogue tells it.

    :param key: stable slug, ``"asyncio-run-in-loop"``.
    :param title: a short heading.
    :param what: what happened, one sentence, second person.
    :param why: why, in the tutorial's words (coroutine, await, task, event loop ...).
    :param fix: the fix in words.
    :param example: a small corrected example, used when the user's own line cannot be fixed.
    :param patterns: how to recognise it; an entry with none is reached through its key
        (a finding, a block report, a hint) or through a check on the traceback.
    :param rewrite: corrects the user's line, when it can.
    """

    key: str
    title: str
    what: str
    why: str
    fix: str
    example: str
    patterns: tuple[Pattern, ...] = ()
    rewrite: Rewrite | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    """What ``%explain`` shows about one occurrence (or one object, or one cell).

    :param key: the catalogue entry's key (``"object"``, ``"cell"``, ``"topic:gather"`` for the
        other kinds).
    :param title: a short heading.
    :param what: what happened (or what the object is), one or two sentences.
    :param why: why, in the tutorial's words; may be empty.
    :param fix: the fix in words; may be empty.
    :param code: corrected code (the user's own line fixed) or an example; may be empty.
    :param where: the line it is about, with its source, or None.
    :param details: more lines: tasks of a cell, sub-exceptions, an await chain.
    :param code_is_example: True when ``code`` is a generic example, not the user's line.
    """

    key: str
    title: str
    what: str
    why: str = ""
    fix: str = ""
    code: str = ""
    where: Location | None = None
    details: tuple[str, ...] = ()
    code_is_example: bool = False


@dataclass(frozen=True, slots=True)
class Topic:
    """A concept ``%explain TOPIC`` teaches.

    :param key: the name to type, ``"gather"``.
    :param title: a short heading.
    :param text: the explanation, a few sentences.
    :param example: a small runnable program (ends with ``asyncio.run(main())``).
    :param aliases: other names that reach it (``"asyncio.gather"``).
    """

    key: str
    title: str
    text: str
    example: str
    aliases: tuple[str, ...] = ()
