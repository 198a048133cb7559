"""Reading frames: whose code a file is, the call at an instruction, and naming the called
function without running any of the user's code."""

from __future__ import annotations

import json
import os
import sys
import time
import types
from typing import ClassVar

import pexpect

import asyncrepl.watchdog.frames
from asyncrepl.watchdog.frames import UserFiles, call_span, callee_name, make_location

nap = time.sleep


class Spy:
    """Records every attribute read through its property."""

    reads: ClassVar[list[str]] = []

    @property
    def sleep(self) -> object:
        Spy.reads.append("sleep")
        return time.sleep


spy = Spy()


def cells(filename: str) -> str | None:
    return "<cell 7>" if filename == "<ipython-input-7-abc>" else None


def test_user_files_are_neither_stdlib_nor_packages_nor_asyncrepl() -> None:
    user = UserFiles(cells)
    assert not user(os.__file__)
    assert not user(json.__file__)
    assert not user(pexpect.__file__)
    assert not user(asyncrepl.watchdog.frames.__file__)
    assert not user("<frozen importlib._bootstrap>")
    assert user(__file__)
    assert user("<ipython-input-7-abc>")
    assert user("<string>")


def caller_position() -> tuple[types.CodeType, int]:
    frame = sys._getframe(1)
    return frame.f_code, frame.f_lasti


def test_call_span_is_the_call_as_written_even_over_lines() -> None:
    code, lasti = caller_position()
    assert call_span(code, lasti) == "caller_position()"
    code, lasti = caller_position(
        # a call spread over lines comes back on one line
    )
    assert (
        call_span(code, lasti)
        == "caller_position(# a call spread over lines comes back on one line)"
    )


def test_call_span_of_an_unreadable_position_is_empty() -> None:
    code, _ = caller_position()
    assert call_span(code, -1) == ""


def test_callee_is_named_through_rebinding_and_getattr() -> None:
    frame = sys._getframe()
    assert callee_name("time.sleep(1)", frame) == "time.sleep"
    assert callee_name("nap(1)", frame) == "time.sleep"
    assert callee_name('getattr(time, "sle" + "ep")(1)', frame) == "time.sleep"
    assert callee_name("json.dumps(data)", frame) == "json.dumps"
    assert callee_name("undefined_name(1)", frame) == ""
    assert callee_name("not a call", frame) == ""


def test_naming_runs_none_of_the_users_code() -> None:
    Spy.reads.clear()
    callee_name("spy.sleep(1)", sys._getframe())
    assert Spy.reads == []


def test_location_labels_cells_and_reads_the_line() -> None:
    code = compile("x = 1\ny = 2\n", "<ipython-input-7-abc>", "exec")
    location = make_location(code, 2, cells)
    assert (location.label, location.function) == ("<cell 7>:2", "")
    here = make_location(
        caller_position.__code__, caller_position.__code__.co_firstlineno + 1, cells
    )
    assert here.label == f"{os.path.relpath(__file__)}:{here.lineno}"
    assert here.source == "frame = sys._getframe(1)"
    assert here.function == "caller_position"
