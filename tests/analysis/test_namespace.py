"""REPL mode: names the cell does not bind come from the live namespace, and functions from
earlier cells are read back from their source (as IPython keeps cells in linecache)."""

from __future__ import annotations

import asyncio
import linecache
import queue
import threading
import time
from typing import Any

from asyncrepl.analysis import check_source


def codes(source: str, namespace: dict[str, Any]) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in check_source(source, "<cell 2>", namespace)]


def define_cell(namespace: dict[str, Any], source: str, filename: str) -> None:
    """Run ``source`` as IPython runs a cell: its text in linecache, its names in the namespace."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)


def test_module_aliases_from_the_namespace() -> None:
    namespace = {"__name__": "__main__", "t": time, "nap": time.sleep, "pause": time.sleep}
    source = "async def f():\n    t.sleep(1)\n    nap(1)\n    pause(1)\n"
    assert codes(source, namespace) == [(2, "AR101"), (3, "AR101"), (4, "AR101")]


def test_objects_whose_type_is_known() -> None:
    namespace = {"lock": threading.Lock(), "jobs": queue.Queue(), "alock": asyncio.Lock()}
    source = (
        "async def f():\n    with lock:\n        pass\n    jobs.get()\n"
        "    async with alock:\n        pass\n"
    )
    assert codes(source, namespace) == [(2, "AR107"), (4, "AR108")]


def test_safe_names_in_the_namespace() -> None:
    namespace = {"sleep": asyncio.sleep, "requests": {"get": 1}, "asyncio": asyncio}
    source = "async def f():\n    await sleep(1)\n    requests.get('x')\n"
    assert codes(source, namespace) == []


def test_the_cell_binding_wins_over_the_namespace() -> None:
    namespace = {"time": time}
    source = "import asyncio as time\nasync def f():\n    await time.sleep(1)\n"
    assert codes(source, namespace) == []


def test_unknown_names_are_not_guessed() -> None:
    assert codes("async def f():\n    sleep(1)\n", {}) == []


def test_helper_from_an_earlier_cell() -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    define_cell(namespace, "import time\n\ndef slow(n):\n    time.sleep(n)\n", "<cell-1-test>")
    [finding] = check_source(
        "async def job():\n    slow(2)\n",
        "<cell 2>",
        namespace,
        labeler=lambda name: "<cell 1>" if name == "<cell-1-test>" else None,
    )
    assert finding.code == "AR101" and finding.line == 2
    assert finding.message == ("`slow(2)` calls `time.sleep(n)` (<cell 1>, line 4), which sleeps.")
    assert finding.fix == "await asyncio.to_thread(slow, 2)"


def test_coroutine_function_from_an_earlier_cell_not_awaited() -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    define_cell(namespace, "async def fetch():\n    return 1\n", "<cell-3-test>")
    source = "async def main():\n    fetch()\n    await fetch()\n"
    assert codes(source, namespace) == [(2, "AR113")]


def test_method_of_a_class_from_an_earlier_cell() -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    define_cell(
        namespace,
        "import time\nclass Bot:\n    def rest(self):\n        time.sleep(1)\nbot = Bot()\n",
        "<cell-4-test>",
    )
    assert codes("async def main():\n    bot.rest()\n", namespace) == [(2, "AR101")]


def test_helper_without_source_is_skipped() -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile("def gone():\n    pass\n", "<no-source>", "exec"), namespace)
    assert codes("async def main():\n    gone()\n", namespace) == []


def test_top_level_of_a_cell_is_not_async_code() -> None:
    namespace = {"time": time}
    assert codes("time.sleep(0.1)\n", namespace) == []
    assert codes("async with x:\n    time.sleep(1)\n", namespace) == [(2, "AR101")]


def test_a_cell_of_only_a_syntax_error_raises() -> None:
    try:
        check_source("def (:\n", "<cell 1>", {})
    except SyntaxError as error:
        assert error.filename == "<cell 1>"
    else:
        raise AssertionError("no SyntaxError")
