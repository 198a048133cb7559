"""Fixtures shared by the whole suite: IPython's in-process test shell, with asyncrepl loaded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.testing import globalipapp


@pytest.fixture(scope="session")
def ip() -> Any:
    """IPython's in-process shell (one per test session). Call through the module: an
    imported ``get_ipython`` returns None the second time."""
    return globalipapp.get_ipython()


@pytest.fixture
def arip(ip: Any) -> Iterator[Any]:
    """The in-process shell with asyncrepl loaded; the journal is cleared for each test."""
    ip.run_line_magic("load_ext", "asyncrepl")
    from asyncrepl.ipython.state import session_of

    session_of(ip).journal.clear()
    yield ip
