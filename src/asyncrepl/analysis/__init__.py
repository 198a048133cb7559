"""Static checks of source code for calls that block the event loop. No IPython here."""

from __future__ import annotations

from asyncrepl.analysis.catalogue import RULES, RuleInfo, describe_call, fix_for
from asyncrepl.analysis.checker import IncompleteCheck, check_source

__all__ = ["RULES", "IncompleteCheck", "RuleInfo", "check_source", "describe_call", "fix_for"]
