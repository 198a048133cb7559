"""A setting changed with ``%config`` takes effect at once, or says in one line that it waits
for ``%reload_ext asyncrepl`` (and ``%asyncrepl`` goes on showing the value in force)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asyncrepl.ipython.state import ExtensionState

__all__ = ["AT_ONCE", "ON_RELOAD", "follow_settings"]

#: Settings that take effect as soon as they change (``blocking`` is read for each cell).
AT_ONCE = ("blocking_threshold", "exit_timeout", "recorder_steps", "finished_tasks")

#: Settings that decide whether the recorder and the watchdog exist at all: they take effect
#: when asyncrepl loads again.
ON_RELOAD = ("record", "watchdog")


def follow_settings(state: ExtensionState) -> Callable[[], None]:
    """Watch ``state.settings`` for changes; returns the function that stops watching.

    :param state: what asyncrepl put into the shell.
    """
    settings = state.settings

    def at_once(change: Any) -> None:
        if change["name"] == "exit_timeout" and state.live_loop is not None:
            state.live_loop.exit_timeout = change["new"]
        elif change["name"] == "blocking_threshold":
            from asyncrepl.ipython.watching import restart_watchdog

            restart_watchdog(state)
        elif state.session.recorder is not None:  # else the first cell makes it so
            if change["name"] == "recorder_steps":
                state.session.recorder.capacity = change["new"]
            elif change["name"] == "finished_tasks":
                state.session.recorder.finished_limit = change["new"]

    def on_reload(change: Any) -> None:
        name, new = change["name"], change["new"]
        if not state.watching:
            return  # nothing is made yet: the first cell makes it with the new value
        in_force = settings.in_force.setdefault(name, change["old"])
        if in_force == new:
            del settings.in_force[name]
            return
        print(  # noqa: T201  # the answer to the user's %config
            f"asyncrepl: AsyncREPL.{name} = {new!r} takes effect after %reload_ext asyncrepl "
            f"({in_force!r} until then)."
        )

    settings.observe(at_once, names=list(AT_ONCE))
    settings.observe(on_reload, names=list(ON_RELOAD))

    def stop() -> None:
        settings.unobserve(at_once, names=list(AT_ONCE))
        settings.unobserve(on_reload, names=list(ON_RELOAD))

    return stop
