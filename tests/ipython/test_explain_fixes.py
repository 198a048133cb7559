"""``%explain`` on the mistakes learners make, run on their exact lines in a real shell: the
fix is their own line corrected (comments dropped), it compiles, and where it can, it runs."""

from __future__ import annotations

import ast
import gc
from typing import Any

import pytest

from asyncrepl.explain import explain_code, find_code
from asyncrepl.ipython.explain_magics import explain_last
from asyncrepl.ipython.state import session_of

SETUP = """\
async def print_something():
    print("something")

async def main():
    print("main")
    return 1

async def boom():
    raise ValueError("bad")

async def gen(n):
    for i in range(n):
        yield i

lock = asyncio.Lock()
"""

#: (the learner's cell, the entry it is, the fix %explain gives, whether the fix runs here)
CASES = [
    ("await print_something", "await-function", "await print_something()", True),
    ("await asyncio.sleep", "await-function", "await asyncio.sleep(1)", True),
    ("await print('hi')", "not-awaitable", "print('hi')", True),
    ("await gen(3)", "await-async-generator", "[item async for item in gen(3)]", True),
    ("next(gen(3))", "next-on-async-generator", "await anext(gen(3))", True),
    (
        "for i in gen(10):  # ❌ TypeError — not iterable\n    print(i)",
        "for-over-async-iterable",
        "async for i in gen(10):",
        False,
    ),
    (
        "async for i in range(3):\n    print(i)",
        "async-for-over-iterable",
        "for i in range(3):",
        False,
    ),
    ("with lock:  # a plain with\n    print('x')", "with-async-cm", "async with lock:", False),
    (
        "async def outer():\n    asyncio.run(main())\n\nawait outer()",
        "asyncio-run-in-loop",
        "await main()",
        True,
    ),
    (
        # In a plain def, `return await main()` alone would not compile: the def turns async.
        "def go():\n    return asyncio.run(main())\n\ngo()",
        "asyncio-run-in-loop",
        "async def go():\n    return await main()",
        True,
    ),
    (
        "done, pending = await asyncio.wait([main(), main()])",
        "wait-coroutines",
        "done, pending = await asyncio.wait([asyncio.create_task(main()), "
        "asyncio.create_task(main())])",
        True,
    ),
    (
        "t = asyncio.create_task(main)",
        "coroutine-function-given",
        "t = asyncio.create_task(main())",
        True,
    ),
    (
        "await asyncio.gather([main(), main()])",
        "gather-list",
        "await asyncio.gather(*[main(), main()])",
        True,
    ),
    (
        "await asyncio.gather(main(), boom())",
        "gather-exception",
        "await asyncio.gather(main(), boom(), return_exceptions=True)",
        True,
    ),
    (
        "await asyncio.wait_for(asyncio.sleep(1), timeout=0.01)",
        "timeout",
        "try:\n    await asyncio.wait_for(asyncio.sleep(1), timeout=0.01)\n"
        'except TimeoutError:\n    print("it took too long")',
        True,
    ),
    (
        "async with asyncio.timeout(0.01):  # too short\n    await asyncio.sleep(1)",
        "timeout",
        "try:\n    async with asyncio.timeout(0.01):\n        ...\n"
        'except TimeoutError:\n    print("it took too long")',
        True,
    ),
    (
        "t = asyncio.create_task(boom(), name='bomb')  # never awaited\nawait asyncio.sleep(0.01)",
        "task-exception-never-retrieved",
        "t = asyncio.create_task(boom(), name='bomb')\ntry:\n    await t\n"
        "except ValueError as error:\n    print('t failed:', error)",
        True,
    ),
    (
        "result = main()\nprint(result + 1)",
        "coroutine-as-value",
        "result = await main()\nprint(result + 1)",
        True,
    ),
]


def learner(ip: Any, cell: str) -> Any:
    """Run the learner's cell as typed, then %explain's answer."""
    session_of(ip).journal.clear()
    ip.run_cell(cell, store_history=True)
    gc.collect()
    return explain_last(session_of(ip))


def runs(ip: Any, code: str) -> None:
    compile(code, "<fix>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = ip.run_cell(code, store_history=True)
    assert result.error_before_exec is None and result.error_in_exec is None, code


@pytest.mark.parametrize(("cell", "key", "fixed", "run"), CASES, ids=[c[1] for c in CASES])
def test_the_fix_is_the_learners_line_corrected(
    arip: Any, cell: str, key: str, fixed: str, run: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    arip.run_cell(SETUP, store_history=True)
    found = learner(arip, cell)
    capsys.readouterr()
    assert (found.key, found.code) == (key, fixed)
    assert not found.code_is_example and "#" not in found.code
    if run:
        runs(arip, found.code)
    else:  # a block header: compile it with a body
        compile(found.code + "\n    pass", "<fix>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_a_coroutine_made_in_a_plain_def_makes_the_def_async(arip: Any) -> None:
    arip.run_cell(SETUP, store_history=True)
    arip.run_line_magic("reload_ext", "asyncrepl")  # its warning hook, not pytest's
    found = learner(arip, "def later():\n    main()  # forgot await\n\nlater()")
    assert found.key == "unawaited-coroutine"
    assert found.code == "async def later():\n    await main()"
    runs(arip, found.code + "\nawait later()")


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("AR101", "AR101"),
        ("ar113", "AR113"),
        ("sleep", "AR101"),
        ("blocking-sleep", "AR101"),
        ("AR201", "AR201"),
        ("cpu-bound", "AR202"),
        ("never awaited", "AR113"),
    ],
)
def test_codes_and_words_lead_to_topics(typed: str, code: str) -> None:
    assert find_code(typed) == code
    topic = explain_code(code)
    assert topic.title.startswith(code) and topic.code


def test_every_code_is_a_topic() -> None:
    from asyncrepl.analysis.catalogue import RULES
    from asyncrepl.explain.codes import RUNTIME_CODES

    for code in [*RULES, *RUNTIME_CODES]:
        assert explain_code(code).title.startswith(f"{code} ")


def test_explain_magic_takes_a_code(arip: Any, capsys: pytest.CaptureFixture[str]) -> None:
    arip.run_line_magic("explain", "AR101")
    arip.run_line_magic("explain", "sleep")
    out = capsys.readouterr().out
    assert out.count("» AR101 blocking-sleep: time.sleep() in async code") == 2
