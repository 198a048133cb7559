"""Short notes the shell prints when it steps in: a coroutine nobody awaited, ``asyncio.run``
awaited on the live loop, a cell interrupted, tasks cancelled at exit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asyncrepl.render.wrap import wrap_fragments

if TYPE_CHECKING:
    from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = [
    "EXPLAIN_HINT",
    "describe_task",
    "render_asyncio_run_note",
    "render_exit_report",
    "render_exit_stuck",
    "render_explain_hint",
    "render_interrupted",
    "render_leftover_tasks",
    "render_unawaited",
]

EXPLAIN_HINT = "(%explain for more)"


def describe_task(task: Any) -> str:
    """``'ticker' (ticker)``: a task's name and its coroutine, as the notes name tasks.

    :param task: an ``asyncio.Task``.
    """
    coro = getattr(task.get_coro(), "__qualname__", "?")
    return f"'{task.get_name()}' ({coro})"


def render_explain_hint() -> StyleAndTextTuples:
    """The one-line pointer printed after anything ``%explain`` can explain."""
    return [("class:ar.hint", EXPLAIN_HINT)]


def render_unawaited(
    source: str, qualname: str, *, where: str = "", fix: str = "", width: int | None = None
) -> StyleAndTextTuples:
    """A coroutine nobody awaited: the call, where it was made, and the line that awaits it.

    :param source: the call as written, ``"main()"``.
    :param qualname: the coroutine's name, ``"main"``.
    :param where: ``"<cell 3>:2"`` when the call was not the whole cell just typed.
    :param fix: the user's line with ``await`` before the call; ``await`` + the call if empty.
    :param width: wrap to this many columns; None means the terminal's width.
    """
    shown = source or f"{qualname}()"
    at = f" at {where}" if where else ""
    return wrap_fragments(
        [
            ("class:ar.warn", "⚠ "),
            ("", f"`{shown}`{at} made a coroutine object, but nothing ran: "),
            ("", "a coroutine runs only when you await it.\n"),
            ("", "  Fix: "),
            ("class:ar.fix", fix or f"await {shown}"),
            ("", "  "),
            ("class:ar.hint", EXPLAIN_HINT),
        ],
        width,
    )


def render_asyncio_run_note(source: str, runner: str) -> StyleAndTextTuples:
    """``asyncio.run(main())`` typed at the top level: asyncrepl awaited it instead.

    :param source: the call as written, ``"asyncio.run(main())"``.
    :param runner: ``"run"`` or ``"run_until_complete"``.
    """
    what = "asyncio.run()" if runner == "run" else "loop.run_until_complete()"
    return wrap_fragments(
        [
            ("class:ar.dim", f"↪ {source or what}: the event loop is already running here, "),
            ("class:ar.dim", "so asyncrepl awaited it on that loop."),
        ]
    )


def render_leftover_tasks(names: list[str], source: str) -> StyleAndTextTuples:
    """Tasks that ``main()`` left running, cancelled as ``asyncio.run`` does.

    :param names: ``"'Task-5' (print_something)"`` descriptions.
    :param source: the ``asyncio.run(...)`` call as written.
    """
    count = len(names)
    tasks = "task" if count == 1 else "tasks"
    return wrap_fragments(
        [
            ("class:ar.dim", f"↪ {source or 'asyncio.run()'} ended: cancelled {count} {tasks} "),
            ("class:ar.dim", f"it left running, as asyncio.run does: {', '.join(names)}"),
        ]
    )


def render_interrupted(cell: int, background: int) -> StyleAndTextTuples:
    """Ctrl-C cancelled the cell.

    :param cell: the cell's execution count.
    :param background: how many other tasks are still running.
    """
    still = ""
    if background:
        tasks = "task keeps" if background == 1 else "tasks keep"
        still = f"; {background} background {tasks} running"
    return wrap_fragments(
        [("class:ar.warn", "KeyboardInterrupt: "), ("", f"cell [{cell}] cancelled{still}.")]
    )


def render_exit_report(names: list[str], stuck: list[str]) -> StyleAndTextTuples:
    """What leaving the REPL did to the tasks that were still pending.

    :param names: the pending tasks that were cancelled.
    :param stuck: those that had not finished when the wait ended.
    """
    if not names:
        return []
    count = len(names)
    fragments: StyleAndTextTuples = [
        ("class:ar.dim", f"Cancelling {count} pending task{'s' if count != 1 else ''}: "),
        ("class:ar.dim", ", ".join(names)),
    ]
    if stuck:
        fragments.append(("", "\n"))
        fragments.extend(render_exit_stuck(stuck))
    return wrap_fragments(fragments)


def render_exit_stuck(stuck: list[str], *, forced: bool = False) -> StyleAndTextTuples:
    """The cancelled tasks that were still running when leaving stopped waiting for them.

    :param stuck: the tasks, described.
    :param forced: the user pressed Ctrl-C or Ctrl-D again rather than wait.
    """
    if not stuck:
        return []
    count, names = len(stuck), ", ".join(stuck)
    if forced:
        tasks = "task" if count == 1 else "tasks"
        return wrap_fragments(
            [("class:ar.warn", f"Left without waiting for {count} {tasks}: {names}")]
        )
    was = "was" if count == 1 else "were"
    return wrap_fragments(
        [("class:ar.warn", f"{count} did not finish in time and {was} left: {names}")]
    )
