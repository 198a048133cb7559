"""Static checks of source code for calls that block the event loop. No IPython here.

The checker and its rule tables are imported on first use (module ``__getattr__``): a session
whose cells never run code on the loop (see :func:`needs_check`) never loads them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asyncrepl.analysis.gate import needs_check

if TYPE_CHECKING:
    from asyncrepl.analysis.catalogue import RULES, RuleInfo, describe_call, fix_for
    from asyncrepl.analysis.checker import check_source

__all__ = ["RULES", "RuleInfo", "check_source", "describe_call", "fix_for", "needs_check"]

_CATALOGUE = frozenset({"RULES", "RuleInfo", "describe_call", "fix_for"})


def __getattr__(name: str) -> Any:
    # Imported when first asked for, for start-up's sake (see the module's docstring).
    if name == "check_source":
        from asyncrepl.analysis.checker import check_source

        return check_source
    if name in _CATALOGUE:
        from asyncrepl.analysis import catalogue

        return getattr(catalogue, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
