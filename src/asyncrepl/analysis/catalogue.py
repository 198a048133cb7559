"""The catalogue of static findings as data, for ``%explain`` and the run-time watchdog:
``RULES`` (code -> :class:`RuleInfo`), :func:`describe_call` and :func:`fix_for`."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from asyncrepl.analysis.fixes import fix_code
from asyncrepl.analysis.library import canonical
from asyncrepl.analysis.rules import RULE_CLASSES, rule_for

__all__ = ["RULES", "RuleInfo", "describe_call", "fix_for"]


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What one code means, in the tutorial's words.

    :param code: ``"AR101"``; never reused.
    :param slug: ``"blocking-sleep"``.
    :param title: a short heading, ``"time.sleep() in async code"``.
    :param why: one or two sentences: why it stalls every other task.
    :param fix: the fix as a code template, ``"await asyncio.sleep(seconds)"``.
    """

    code: str
    slug: str
    title: str
    why: str
    fix: str


#: Every static code, in code order. Stable: other layers build their text from it.
RULES: Mapping[str, RuleInfo] = MappingProxyType(
    {
        code: RuleInfo(cls.code, cls.slug, cls.title, cls.why, cls.fix)
        for code, cls in sorted(RULE_CLASSES.items())
    }
)


def _known(qualname: str) -> str:
    for name in (qualname, canonical(qualname)):
        if rule_for(name) is not None:
            return name
    return ""


def describe_call(qualname: str) -> RuleInfo | None:
    """The rule for a call seen blocking at run time, or None when it is not catalogued
    (:func:`fix_for` gives the fix from the call as written).

    :param qualname: the called function, ``"time.sleep"``, ``"requests.api.get"`` or
        ``"_thread.lock.acquire"`` (real module paths are understood).
    """
    name = _known(qualname)
    cls = rule_for(name) if name else None
    return None if cls is None else RULES[cls.code]


def fix_for(qualname: str, call_source: str) -> str:
    """The corrected code for a blocking call: ``("time.sleep", "time.sleep(1)")`` ->
    ``"await asyncio.sleep(1)"``; an uncatalogued call goes to ``asyncio.to_thread``.
    ``""`` when ``call_source`` is not a call.

    :param qualname: as for :func:`describe_call`.
    :param call_source: the call as written.
    """
    try:
        node = ast.parse(call_source.strip(), mode="eval").body
    except SyntaxError:
        return ""
    if isinstance(node, ast.Await) or not isinstance(node, ast.Call):
        return ""
    name = _known(qualname)
    cls = rule_for(name) if name else None
    style = "thread" if cls is None else cls.fix_style
    return fix_code(style, name, node, call_source.strip().splitlines())
