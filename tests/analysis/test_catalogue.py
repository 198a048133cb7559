"""The catalogue as data for %explain and the watchdog: RULES, describe_call, fix_for."""

from __future__ import annotations

import re

import pytest

from asyncrepl.analysis import RULES, RuleInfo, describe_call, fix_for


def test_rules_are_complete_and_stable() -> None:
    assert list(RULES) == sorted(RULES)
    assert list(RULES)[:3] == ["AR101", "AR102", "AR103"]
    for code, info in RULES.items():
        assert isinstance(info, RuleInfo) and info.code == code
        assert re.fullmatch(r"AR1\d\d", code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", info.slug)
        assert info.title and info.why.endswith(".") and info.fix
    assert len({info.slug for info in RULES.values()}) == len(RULES)
    assert RULES["AR101"].slug == "blocking-sleep"
    assert "blocks the entire event loop" in RULES["AR101"].why


def test_rules_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        RULES["AR999"] = RULES["AR101"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("qualname", "code"),
    [
        ("time.sleep", "AR101"),
        ("requests.api.get", "AR102"),
        ("requests.sessions.Session.get", "AR102"),
        ("_thread.lock.acquire", "AR107"),
        ("queue.Queue.get", "AR108"),
        ("concurrent.futures._base.Future.result", "AR109"),
        ("builtins.input", "AR106"),
        ("posix.system", "AR104"),
        ("_socket.gethostbyname", "AR103"),
        ("asyncio.runners.run", "AR111"),
    ],
)
def test_describe_call_knows_real_module_paths(qualname: str, code: str) -> None:
    info = describe_call(qualname)
    assert info is not None and info.code == code


def test_describe_call_unknown_is_none() -> None:
    assert describe_call("math.sqrt") is None
    assert describe_call("asyncio.sleep") is None


@pytest.mark.parametrize(
    ("qualname", "call", "fix"),
    [
        ("time.sleep", "time.sleep(1)", "await asyncio.sleep(1)"),
        ("time.sleep", "  t.sleep(delay) ", "await asyncio.sleep(delay)"),
        ("requests.api.get", "requests.get(url)", "await asyncio.to_thread(requests.get, url)"),
        ("asyncio.run", "asyncio.run(main())", "await main()"),
        (
            "concurrent.futures._base.Future.result",
            "fut.result()",
            "await asyncio.wrap_future(fut)",
        ),
        ("mylib.crunch", "crunch(data, n=3)", "await asyncio.to_thread(crunch, data, n=3)"),
    ],
)
def test_fix_for(qualname: str, call: str, fix: str) -> None:
    assert fix_for(qualname, call) == fix


def test_fix_for_not_a_call_is_empty() -> None:
    assert fix_for("time.sleep", "time.sleep") == ""
    assert fix_for("time.sleep", "time.sleep(") == ""
    assert fix_for("time.sleep", "await x()") == ""
