"""The catalogue of explanations: what happened, why, and the fix. No IPython here.

``explain_exception`` and ``explain_warning`` are cheap: the shell asks them about every error
to decide whether to print ``(%explain for more)``.
"""

from __future__ import annotations

from asyncrepl.explain.catalogue import ENTRIES, entry
from asyncrepl.explain.cells import explain_cell
from asyncrepl.explain.codes import explain_code, find_code
from asyncrepl.explain.entries import Entry, Explanation, Pattern, Topic
from asyncrepl.explain.incidents import explain_block, explain_finding, explain_incident
from asyncrepl.explain.matching import explain_exception, explain_loop_error, explain_warning
from asyncrepl.explain.objects import explain_object
from asyncrepl.explain.topics import TOPICS, closest_topics, find_topic

__all__ = [
    "ENTRIES",
    "TOPICS",
    "Entry",
    "Explanation",
    "Pattern",
    "Topic",
    "closest_topics",
    "entry",
    "explain_block",
    "explain_cell",
    "explain_code",
    "explain_exception",
    "explain_finding",
    "explain_incident",
    "explain_loop_error",
    "explain_object",
    "explain_topic",
    "explain_warning",
    "find_code",
    "find_topic",
]


def explain_topic(topic: Topic) -> Explanation:
    """A concept as an :class:`Explanation`: its text and its runnable example.

    :param topic: from :data:`TOPICS` (see :func:`find_topic`).
    """
    return Explanation(
        key=f"topic:{topic.key}",
        title=topic.title,
        what=topic.text,
        code=topic.example.rstrip("\n"),
        code_is_example=True,
    )
