"""The ``%explain`` magic: what just went wrong, what a live object is doing, or a concept."""

from __future__ import annotations

import ast
import builtins
import shutil
from dataclasses import replace
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from asyncrepl.explain import (
    Explanation,
    closest_topics,
    explain_cell,
    explain_code,
    explain_incident,
    explain_object,
    explain_topic,
    find_code,
    find_topic,
)
from asyncrepl.ipython.output import show
from asyncrepl.ipython.state import session_of
from asyncrepl.records import Incident
from asyncrepl.render.explanation import ExplanationView, render_explanation
from asyncrepl.session import Session

__all__ = ["ExplainMagics", "explain_last", "explain_request"]

#: Notes that are not mistakes: asyncrepl awaited ``asyncio.run(main())`` as asked.
_NOT_WRONG = {"asyncio-run-awaited"}


@magics_class
class ExplainMagics(Magics):
    """``%explain``: explanations for learners, from asyncrepl's catalogue."""

    def __init__(self, shell: Any, session: Session) -> None:
        super().__init__(shell)
        self.session = session

    @line_magic
    def explain(self, line: str) -> None:
        """Explain asyncio: what just went wrong, a live object, or a concept.

        ``%explain`` alone explains the last thing that went wrong in your session (an error,
        a coroutine never awaited, a call that blocks the event loop): what happened, why, the
        line, and your line corrected. If nothing went wrong, it tells what the last cell did
        on the event loop: the tasks it created, how they took turns, and the time saved.

        ``%explain EXPR`` tells what an object is and what it is doing now: a coroutine
        function or coroutine, a task (its state and what it awaits), a future, an async
        generator, the event loop (``%explain asyncio.get_running_loop()``).

        ``%explain TOPIC`` explains a concept with a small example you can paste: coroutine,
        await, task, event-loop, future, gather, create-task-vs-await, async-generator,
        async-methods, threads, cancellation, timeouts, taskgroup, semaphore, queue, lock,
        event, to-thread, run-in-executor. Every report's code is a topic too
        (``%explain AR101``), and so are a few words for them (``%explain sleep``).

        A name defined in your session wins over a topic of the same name: if you have a
        variable called ``task``, ``%explain task`` explains your task.

        In [1]: for i in gen(10):
           ...:     print(i)
        TypeError: 'async_generator' object is not iterable
        (%explain for more)

        In [2]: %explain
        In [3]: %explain gather
        In [4]: %explain my_task
        """
        shell: Any = self.shell
        namespace = shell.user_ns
        found = explain_request(line.strip(), self.session, namespace)
        _show(shell, found)


def explain_request(text: str, session: Session, namespace: dict[str, Any]) -> Explanation:
    """What ``%explain text`` explains; raises UsageError for a name or topic it cannot find.

    :param text: the magic's argument, stripped.
    :param session: the session (journal, recorder, cell windows).
    :param namespace: the user's namespace, where EXPR is evaluated.
    """
    if not text:
        return explain_last(session)
    first = _first_name(text)
    if first is not None and (first in namespace or hasattr(builtins, first)):
        value = _evaluate(text, namespace)
        found = explain_object(value, text, recorder=session.recorder, labeler=session.labeler)
        topic = find_topic(getattr(value, "__name__", "") or "")
        if topic is not None and found.title.endswith("an asyncio function"):
            return explain_topic(topic)
        return found
    topic = find_topic(text)
    if topic is not None:
        return explain_topic(topic)
    code = find_code(text)
    if code is not None:
        return explain_code(code)
    if first is None:
        raise UsageError(
            f"%explain {text}: not a name, an expression or a topic. "
            f"Topics: {', '.join(closest_topics(text))}"
        )
    raise UsageError(
        f"%explain {text}: no variable or topic of that name. "
        f"Topics, closest first: {', '.join(closest_topics(text))}"
    )


def _first_name(text: str) -> str | None:
    """The first name an expression reads (``t`` in ``t.done()``), or None if it is not one."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    node: ast.AST = tree.body
    while not isinstance(node, ast.Name):
        children = list(ast.iter_child_nodes(node))
        if not children:
            return None
        node = children[0]
    return node.id


def _evaluate(text: str, namespace: dict[str, Any]) -> Any:
    try:
        return eval(text, namespace)  # the user's own expression, in the user's namespace
    except Exception as error:
        raise UsageError(
            f"%explain {text}: evaluating it raised {type(error).__name__}: {error}. "
            "Check the expression, or give a topic name."
        ) from None


def _latest_problem(session: Session) -> Incident | None:
    for incident in list(session.journal)[::-1]:  # newest first
        if incident.code not in _NOT_WRONG and session.counts(incident):
            return incident
    return None


def explain_last(session: Session) -> Explanation:
    """The last thing that went wrong in the last cell that ran the user's code, else what
    that cell did on the loop. Cells that only ran magics or shell commands do not count.

    :param session: the session.
    """
    incident = _latest_problem(session)
    last_cell = session.last_user_cell or 0
    recent = incident is not None and (incident.cell == 0 or incident.cell >= last_cell)
    if incident is not None and recent:
        found = explain_incident(incident, session.labeler)
        if found is not None:
            return found
    recorder = session.recorder
    if recorder is not None and last_cell in session.cell_windows:
        start, end = session.cell_windows[last_cell]
        return explain_cell(recorder.timeline(start, end).by_user(), last_cell)
    if incident is not None:
        found = explain_incident(incident, session.labeler)
        if found is not None:
            later = f"It happened in cell [{incident.cell}]; the cells after it ran without errors."
            return replace(found, details=(*found.details, later))
    return Explanation(
        key="cell",
        title="Nothing went wrong",
        what="No error or warning so far, and the event loop recorder has no cell to tell "
        "about yet.",
        why="Try `%explain TOPIC` (`%explain gather`) or `%explain` with one of your "
        "variables (`%explain main`).",
    )


def _show(shell: Any, explanation: Explanation) -> None:
    """A terminal gets formatted text, as wide as it is; Jupyter gets HTML."""
    width = min(shutil.get_terminal_size().columns, 100) - 4
    show(shell, ExplanationView(explanation), lambda: render_explanation(explanation, width=width))


def load_ipython_extension(shell: Any) -> None:
    """asyncrepl declares %explain lazily: its first use loads this module, which registers it.

    :param shell: the shell that loaded asyncrepl.
    """
    shell.register_magics(ExplainMagics(shell, session=session_of(shell)))
