"""e2e tests drive the real asyncrepl in a pseudo-terminal (POSIX only)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Repl

pytestmark = pytest.mark.e2e


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)
            if sys.platform == "win32":
                item.add_marker(pytest.mark.skip(reason="pseudo-terminals are POSIX only"))


@pytest.fixture
def repl(tmp_path: Path) -> Iterator[Repl]:
    """A fresh asyncrepl, started and showing its first prompt."""
    session = Repl(tmp_path)
    session.expect_prompt()
    yield session
    session.close()
