"""User code versus library code, and how a place is labelled."""

from __future__ import annotations

import asyncio
import os
import sys

from asyncrepl.instrument import recorder
from asyncrepl.instrument.sites import is_user_file, site_location, user_site


def test_user_and_library_files() -> None:
    assert is_user_file(__file__)
    assert is_user_file("<ipython-input-3-abc>")
    assert not is_user_file(asyncio.__file__)
    assert not is_user_file(recorder.__file__)
    assert not is_user_file("<frozen runpy>")


def test_user_site_is_the_innermost_user_frame() -> None:
    where = user_site(sys._getframe())
    assert where is not None
    filename, lineno, function = where
    assert filename == __file__ and function == "test_user_site_is_the_innermost_user_frame"
    location = site_location(where, lambda name: "<cell 3>" if name == __file__ else None)
    assert location.label == f"<cell 3>:{lineno}"
    assert location.source == "where = user_site(sys._getframe())"


def test_a_failing_labeler_falls_back_to_the_file_name() -> None:
    def broken(filename: str) -> str | None:
        raise RuntimeError("labeler bug")

    location = site_location((__file__, 1, "<module>"), broken)
    assert location.label == f"{os.path.relpath(__file__)}:1" and location.function == ""
