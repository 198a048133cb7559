"""Nothing asyncrepl needs at run time lives only in the user namespace: ``%reset``, ``del``,
assignments and a new namespace leave the rewritten cells working, and only the cell being
run is rewritten, never the code that ``%time`` and ``%timeit`` compile on their own."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from asyncrepl.ipython.state import session_of


def run(ip: Any, cell: str) -> Any:
    return ip.run_cell(cell, store_history=True)


@pytest.fixture
def main_defined(arip: Any) -> Iterator[Any]:
    run(arip, "async def main():\n    return 42")
    yield arip


@pytest.mark.parametrize("wipe", ["%reset -f", "%reset_selective -f .", "del __asyncrepl__"])
def test_cells_keep_working_after_the_namespace_is_wiped(
    main_defined: Any, wipe: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ip = main_defined
    run(ip, wipe)
    assert run(ip, "print('still here')").error_in_exec is None
    assert run(ip, "async def main():\n    return 42").error_in_exec is None
    result = run(ip, "value = asyncio.run(main())")
    assert result.error_in_exec is None
    assert ip.user_ns["value"] == 42
    assert run(ip, "%tasks").error_in_exec is None
    run(ip, "main()")
    assert "nothing ran" in capsys.readouterr().out


def test_asyncio_is_imported_again_after_reset(arip: Any) -> None:
    run(arip, "%reset -f")
    assert arip.user_ns["asyncio"] is asyncio
    assert run(arip, "asyncio.get_running_loop()").error_in_exec is None


def test_asyncio_is_hidden_from_who(arip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run(arip, "%reset -f")
    run(arip, "mine = 1")
    capsys.readouterr()
    run(arip, "%who")
    assert capsys.readouterr().out.split() == ["mine"]


def test_any_name_can_be_reassigned(main_defined: Any) -> None:
    ip = main_defined
    run(ip, "__asyncrepl__ = 'mine'\nget_ipython_ = None")
    assert run(ip, "value = asyncio.run(main())").error_in_exec is None
    assert ip.user_ns["value"] == 42
    assert ip.user_ns["__asyncrepl__"] == "mine"


def test_a_new_namespace_keeps_the_rewrite(main_defined: Any) -> None:
    ip = main_defined
    saved = ip.user_ns
    ip.user_ns = {"asyncio": asyncio, "main": saved["main"]}
    try:
        assert run(ip, "value = asyncio.run(main())").error_in_exec is None
        assert ip.user_ns["value"] == 42
    finally:
        ip.user_ns = saved


def test_a_users_own_asyncio_run_is_respected(main_defined: Any) -> None:
    ip = main_defined
    run(
        ip,
        "import asyncio as aio\nreal_run = aio.run\naio.run = lambda coro: coro.close() or 'mine'",
    )
    try:
        result = run(ip, "value = asyncio.run(main())")
        assert result.error_in_exec is None
        assert ip.user_ns["value"] == "mine"
    finally:
        run(ip, "aio.run = real_run")
    assert [i.code for i in session_of(ip).journal] == []


def test_timeit_code_is_not_rewritten(
    main_defined: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ip = main_defined
    assert run(ip, "%timeit -n 3 -r 1 main().close()").error_in_exec is None
    out = capsys.readouterr().out
    assert "nothing ran" not in out and "per loop" in out
    run(ip, "%time c = main()")
    assert "nothing ran" not in capsys.readouterr().out
    run(ip, "c.close()")


def test_a_finished_cells_value_is_freed_by_reset(arip: Any) -> None:
    freed: list[int] = []

    class Watched:
        def __del__(self) -> None:
            freed.append(1)

    arip.user_ns["w"] = Watched()
    run(arip, "w")
    run(arip, "%reset -f")
    gc.collect()
    assert freed == [1]


def test_a_cell_run_by_a_cell_runs(arip: Any) -> None:
    run(arip, "%%capture captured\n1 + 2")
    assert arip.user_ns["captured"].outputs[0].data["text/plain"] == "3"


def test_run_of_a_script_is_not_rewritten(arip: Any, tmp_path: Any) -> None:
    script = tmp_path / "tutorial.py"
    script.write_text(
        "import asyncio\n"
        "async def main():\n    return asyncio.get_running_loop()\n"
        "loop_seen = asyncio.run(main())\n"
    )
    result = run(arip, f"%run {script}")
    assert result.error_in_exec is None
    # The script's own asyncio.run made its own loop, as in plain IPython.
    assert arip.user_ns["loop_seen"] is not arip._asyncrepl_state.loop
    assert session_of(arip).journal.last() is None
