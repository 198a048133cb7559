"""``%explain AR101`` and ``%explain sleep``: every finding code (static ``AR1xx``, run-time
``AR2xx``), its slug and a few plain words for it lead to a topic: what the code means, why it
matters, and the fix."""

from __future__ import annotations

import re

from asyncrepl.analysis.catalogue import RULES
from asyncrepl.explain.catalogue import entry
from asyncrepl.explain.entries import Explanation
from asyncrepl.explain.incidents import entry_for_rule
from asyncrepl.explain.topics import normalise

__all__ = ["RUNTIME_CODES", "explain_code", "find_code"]

#: The watchdog's codes: (slug, title, what, fix).
RUNTIME_CODES: dict[str, tuple[str, str, str, str]] = {
    "AR201": (
        "loop-blocked",
        "A call held the event loop (seen at run time)",
        "While your code ran, one call kept the event loop busy for longer than "
        "`AsyncREPL.blocking_threshold` (0.1 s): no other task ran meanwhile. The report names "
        "the line and the call.",
        "result = await asyncio.to_thread(blocking_call, arg)",
    ),
    "AR202": (
        "cpu-bound",
        "Your own code computed without an await (seen at run time)",
        "Your own Python code computed for longer than `AsyncREPL.blocking_threshold` without "
        "reaching an `await`, so no other task could run.",
        "result = await asyncio.to_thread(work, data)",
    ),
}

#: Plain words for a code: ``%explain sleep`` is ``%explain AR101``.
_WORDS = {
    "sleep": "AR101",
    "timesleep": "AR101",
    "requests": "AR102",
    "http": "AR102",
    "socket": "AR103",
    "subprocess": "AR104",
    "file": "AR105",
    "open": "AR105",
    "input": "AR106",
    "threadinglock": "AR107",
    "queuequeue": "AR108",
    "database": "AR110",
    "sqlite": "AR110",
    "nestedloop": "AR111",
    "rununtilcomplete": "AR111",
    "cpu": "AR112",
    "neverawaited": "AR113",
    "notawaited": "AR113",
    "unawaited": "AR113",
    "blocked": "AR201",
    "blockedloop": "AR201",
}
_SLUGS = {normalise(rule.slug): code for code, rule in RULES.items()}
_SLUGS.update({normalise(slug): code for code, (slug, *_) in RUNTIME_CODES.items()})


def find_code(text: str) -> str | None:
    """The code ``text`` names (``ar101``, ``blocking-sleep``, ``sleep``), or None.

    :param text: what the user typed after ``%explain``.
    """
    if re.fullmatch(r"\s*[aA][rR]\s*-?\d{3}\s*", text):
        code = "AR" + re.sub(r"\D", "", text)
        return code if code in RULES or code in RUNTIME_CODES else None
    key = normalise(text)
    return _SLUGS.get(key) or _WORDS.get(key)


def explain_code(code: str) -> Explanation:
    """What a finding code means, as a topic: why it matters and the fix.

    :param code: ``"AR101"`` (see :func:`find_code`).
    """
    rule = RULES.get(code)
    if rule is not None:
        base = entry_for_rule(rule.slug)
        return Explanation(
            key=f"topic:{code}",
            title=f"{code} {rule.slug}: {rule.title}",
            what=f"asyncrepl's static check reports {code} before a cell runs, with the line "
            f"and the call. {base.what}",
            why=rule.why,
            fix=base.fix,
            code=rule.fix.replace("(seconds)", "(1)"),
            code_is_example=True,
        )
    slug, title, what, fix = RUNTIME_CODES[code]
    blocking = entry("blocking-call")
    return Explanation(
        key=f"topic:{code}",
        title=f"{code} {slug}: {title}",
        what=what,
        why=blocking.why if blocking else "",
        fix=blocking.fix if blocking else "",
        code=fix,
        code_is_example=True,
    )
