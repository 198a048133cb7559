"""Static checks of source code for calls that block the event loop. No IPython here.

The checker and its rule tables are imported on first use (module ``__getattr__``): a session
whose cells never run code on the loop (see :func:`needs_check`) never loads them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asyncrepl.analysis.gate import needs_check

if TYPE_CHECKING:
    from asyncrepl.analysis.catalogue import RULES, RuleInfo, describe_call, fix_for
    from asyncrepl.analysis.checker import IncompleteCheck, check_source

__all__ = [
    "RULES",
    "IncompleteCheck",
    "RuleInfo",
    "check_source",
    "describe_call",
    "fix_for",
    "needs_check",
]

_CATALOGUE = frozenset({"RULES", "RuleInfo", "describe_call", "fix_for"})
_CHECKER = frozenset({"IncompleteCheck", "check_source"})


def __getattr__(name: str) -> Any:
    # Imported when first asked for, for start-up's sake (see the module's docstring).
    if name in _CHECKER:
        from asyncrepl.analysis import checker

        return getattr(checker, name)
    if name in _CATALOGUE:
        from asyncrepl.analysis import catalogue

        return getattr(catalogue, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
