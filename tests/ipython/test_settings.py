"""Settings are IPython config traits on AsyncREPL, read at load and changeable with %config."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from traitlets.config import Config

from asyncrepl.ipython.state import settings_of


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
