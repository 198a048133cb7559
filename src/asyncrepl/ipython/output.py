"""How a magic's answer reaches the user: formatted text in a terminal, a rich view (HTML
through ``_repr_html_``) anywhere else, so that Jupyter shows a table where a terminal shows
coloured text. One home for "is this shell a terminal?"."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prompt_toolkit.formatted_text import StyleAndTextTuples

__all__ = ["is_terminal", "show"]


def is_terminal(shell: Any) -> bool:
    """Whether ``shell`` draws on a terminal (prompt_toolkit), rather than a kernel.

    :param shell: an IPython shell.
    """
    from IPython.terminal.interactiveshell import TerminalInteractiveShell

    return isinstance(shell, TerminalInteractiveShell)


def show(shell: Any, view: object, text: Callable[[], StyleAndTextTuples]) -> None:
    """Show a magic's answer.

    :param shell: the shell the magic runs in.
    :param view: what a kernel displays (its ``_repr_html_`` and ``repr``).
    :param text: makes the formatted text a terminal prints.
    """
    if is_terminal(shell):
        from asyncrepl.render.printer import print_fragments  # loaded since the cells' wiring

        print_fragments(text())
        return
    from IPython.display import display

    display(view)  # type: ignore[no-untyped-call]  # IPython is untyped
