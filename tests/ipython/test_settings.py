"""Settings are IPython config traits on AsyncREPL, read at load and changeable with %config."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from traitlets.config import Config

from asyncrepl.ipython.settings import AsyncREPL
from asyncrepl.ipython.state import session_of, settings_of


@pytest.fixture
def reloaded_with(ip: Any) -> Iterator[Any]:
    """Reload asyncrepl under a config; restore the shell's config afterwards."""
    saved = copy.deepcopy(ip.config)

    def reload(config: Config) -> Any:
        ip.run_line_magic("unload_ext", "asyncrepl")
        ip.config.merge(config)
        ip.run_line_magic("load_ext", "asyncrepl")
        return settings_of(ip)

    yield reload
    ip.run_line_magic("unload_ext", "asyncrepl")
    ip.config = saved
    ip.run_line_magic("load_ext", "asyncrepl")


def test_config_is_read_at_load(reloaded_with: Any) -> None:
    config = Config()
    config.AsyncREPL.blocking = "strict"
    config.AsyncREPL.blocking_threshold = 0.25
    settings = reloaded_with(config)
    assert settings.blocking == "strict"
    assert settings.blocking_threshold == 0.25


def test_percent_config_changes_a_setting(arip: Any) -> None:
    arip.run_line_magic("config", "AsyncREPL.exit_timeout = 2.5")
    try:
        assert settings_of(arip).exit_timeout == 2.5
    finally:
        arip.run_line_magic("config", "AsyncREPL.exit_timeout = 1.0")


def test_asyncrepl_magic_lists_the_settings(arip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    arip.run_line_magic("asyncrepl", "")
    out = capsys.readouterr().out
    settings = settings_of(arip)
    assert f"AsyncREPL.blocking = {settings.blocking!r}" in out
    assert f"AsyncREPL.blocking_threshold = {settings.blocking_threshold!r}" in out


def test_a_bad_value_is_refused(arip: Any) -> None:
    from traitlets import TraitError

    before = settings_of(arip).blocking
    with pytest.raises(TraitError):
        settings_of(arip).blocking = "sometimes"
    assert settings_of(arip).blocking == before


def test_percent_config_exit_timeout_takes_effect_at_once(arip: Any) -> None:
    arip.run_line_magic("config", "AsyncREPL.exit_timeout = 5")
    try:
        assert arip._asyncrepl_state.live_loop.exit_timeout == 5
    finally:
        arip.run_line_magic("config", "AsyncREPL.exit_timeout = 1.0")
    assert arip._asyncrepl_state.live_loop.exit_timeout == 1.0


def test_percent_config_blocking_threshold_takes_effect_at_once(arip: Any) -> None:
    arip.run_cell("await asyncio.sleep(0)")  # the watchdog starts with the first cell
    before = arip._asyncrepl_state.session.watchdog
    arip.run_line_magic("config", "AsyncREPL.blocking_threshold = 2.0")
    try:
        watchdog = arip._asyncrepl_state.session.watchdog
        assert watchdog.threshold == 2.0 and watchdog.running
        assert before is None or not before.running
    finally:
        arip.run_line_magic("config", "AsyncREPL.blocking_threshold = 0.1")
    assert arip._asyncrepl_state.session.watchdog.threshold == 0.1


def test_percent_config_recorder_limits_take_effect_at_once(
    arip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arip.run_cell("await asyncio.sleep(0)")  # the recorder exists from the first cell
    recorder = arip._asyncrepl_state.session.recorder
    settings = settings_of(arip)
    steps, finished = settings.recorder_steps, settings.finished_tasks
    capsys.readouterr()
    arip.run_line_magic("config", "AsyncREPL.recorder_steps = 5000")
    arip.run_line_magic("config", "AsyncREPL.finished_tasks = 7")
    try:
        assert "%reload_ext" not in capsys.readouterr().out
        assert (recorder.capacity, recorder.finished_limit) == (5000, 7)
        arip.run_line_magic("asyncrepl", "")
        shown = capsys.readouterr().out
        assert "AsyncREPL.recorder_steps = 5000\n" in shown
        assert "AsyncREPL.finished_tasks = 7\n" in shown
    finally:
        arip.run_line_magic("config", f"AsyncREPL.recorder_steps = {steps}")
        arip.run_line_magic("config", f"AsyncREPL.finished_tasks = {finished}")
    assert (recorder.capacity, recorder.finished_limit) == (steps, finished)


@pytest.mark.parametrize(("name", "value"), [("watchdog", False), ("record", False)])
def test_a_setting_made_at_load_says_it_needs_a_reload(
    arip: Any, name: str, value: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    arip.run_cell("await asyncio.sleep(0)")
    before = getattr(settings_of(arip), name)
    capsys.readouterr()
    arip.run_line_magic("config", f"AsyncREPL.{name} = {value!r}")
    try:
        said = capsys.readouterr().out
        assert said.count("\n") == 1 and "%reload_ext asyncrepl" in said
        arip.run_line_magic("asyncrepl", "")
        shown = capsys.readouterr().out
        assert f"AsyncREPL.{name} = {before!r}  ({value!r} after %reload_ext asyncrepl)" in shown
    finally:
        arip.run_line_magic("config", f"AsyncREPL.{name} = {before!r}")
    arip.run_line_magic("asyncrepl", "")
    assert f"AsyncREPL.{name} = {before!r}\n" in capsys.readouterr().out


BAD_VALUES = [
    ("blocking_threshold", 0.0),
    ("blocking_threshold", float("inf")),
    ("blocking_threshold", float("nan")),
    ("exit_timeout", -1.0),
    ("recorder_steps", 0),
    ("finished_tasks", -1),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_a_bad_value_in_the_config_is_named_and_the_shell_works(
    reloaded_with: Any, name: str, value: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    default = AsyncREPL.class_traits()[name].default_value
    config = Config()
    config.AsyncREPL[name] = value
    settings = reloaded_with(config)
    said = capsys.readouterr().out
    assert said.count("\n") == 1 and f"AsyncREPL.{name}" in said and "refused" in said
    assert getattr(settings, name) == default
    result = settings.shell.run_cell("await asyncio.sleep(0)\n1 + 1")
    assert result.error_in_exec is None and result.result == 2


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_percent_config_refuses_a_bad_value_in_one_line(
    arip: Any, name: str, value: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    before = getattr(settings_of(arip), name)
    capsys.readouterr()
    arip.run_line_magic(
        "config",
        f"AsyncREPL.{name} = {value!r}".replace("inf", "float('inf')").replace(
            "nan", "float('nan')"
        ),
    )
    said = capsys.readouterr()
    assert said.out.count("\n") == 1 and "refused" in said.out and not said.err
    assert getattr(settings_of(arip), name) == before


@pytest.mark.parametrize("times", [1, 2])
def test_reloading_gives_the_magics_the_new_session(arip: Any, times: int) -> None:
    for _ in range(times):  # unloaded while its lazy magics were never used, then again
        arip.run_line_magic("reload_ext", "asyncrepl")
    arip.run_cell("1")
    for name in ("explain", "tasks", "timeline"):
        arip.run_cell(f"%{name} {'gather' if name == 'explain' else ''}")
        magic = arip.magics_manager.magics["line"][name]
        assert magic.__self__.session is session_of(arip), name
