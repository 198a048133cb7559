"""README.md promises what the project does: its commands, code, tables and transcript."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from asyncrepl.analysis.catalogue import RULES
from asyncrepl.ipython.state import settings_of
from asyncrepl.watchdog import CODES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def blocks(language: str = "") -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)


def test_it_opens_with_the_two_commands() -> None:
    first = blocks()[0]
    assert first.splitlines()[0].startswith("make run")
    assert first.splitlines()[1].startswith("make test")


def test_the_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (code,) = blocks("python")
    exec(compile(code, "README.md", "exec"), {})
    assert "wall" in capsys.readouterr().out


def test_the_codes_table_is_the_catalogue() -> None:
    rows = dict(re.findall(r"^\| (AR\d{3}) \| ([a-z-]+) \|", README, re.MULTILINE))
    assert rows == {**{code: rule.slug for code, rule in RULES.items()}, **CODES}


def test_every_magic_in_the_table_exists(arip: Any) -> None:
    names = set(re.findall(r"^\| `%(\w+)", README, re.MULTILINE))
    assert names >= {"tasks", "timeline", "explain", "blocking", "asyncrepl"}
    for name in names:
        assert arip.find_line_magic(name) is not None, name


def test_every_setting_named_exists(arip: Any) -> None:
    section = README.split("## Settings", 1)[1].split("##", 1)[0]
    named = set(re.findall(r"`(\w+)`", section.split("them:", 1)[1]))
    assert named == set(settings_of(arip).trait_names(config=True))


def test_the_transcript(
    arip: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")  # the transcript's terminal: notes wrap at its width
    transcript = blocks()[1]
    arip.run_cell('async def main():\n    print("main")\n    return 42', store_history=True)
    result = arip.run_cell("asyncio.run(main())", store_history=True)
    assert result.result == 42
    result = arip.run_cell("main()", store_history=True)
    assert result.result is None
    arip.run_cell('async def boom():\n    raise ValueError("bad")', store_history=True)
    arip.run_cell('b = asyncio.create_task(boom(), name="bomb")', store_history=True)
    arip.run_cell("await asyncio.sleep(0.05)", store_history=True)
    out = capsys.readouterr().out
    for line in (
        "↪ asyncio.run(main()): the event loop is already running here, so asyncrepl\n"
        "  awaited it on that loop.",
        "⚠ `main()` made a coroutine object, but nothing ran: a coroutine runs only when\n"
        "  you await it.",
        "  Fix: await main()  (%explain for more)",
        "✗ Task 'bomb' (boom) failed: ValueError: bad",
        '        raise ValueError("bad")',
    ):
        assert line in transcript, line
        assert line in out, line


def test_the_check_settings_example_is_a_valid_configuration(tmp_path: Path) -> None:
    from asyncrepl.cli_check.config import load_config

    (toml,) = blocks("toml")
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    config = load_config(tmp_path / "pyproject.toml")
    assert config.selection.select == ("AR1",)
    assert "generated" in config.exclude


def test_the_pre_commit_example_names_the_hook_the_repository_defines() -> None:
    (yaml,) = blocks("yaml")
    hooks = (Path(__file__).resolve().parents[1] / ".pre-commit-hooks.yaml").read_text()
    (hook_id,) = re.findall(r"- id: (\S+)", yaml)
    assert re.findall(r"^- id: (\S+)$", hooks, re.MULTILINE) == [hook_id]
