"""What each finding says and the fix it gives, and where it points."""

from __future__ import annotations

import pytest

from asyncrepl.analysis import IncompleteCheck, check_source


def only(source: str) -> tuple[str, str, str]:
    [finding] = check_source("import asyncio, time, threading, queue, requests\n" + source)
    return finding.code, finding.message, finding.fix


@pytest.mark.parametrize(
    ("body", "code", "message", "fix"),
    [
        (
            "time.sleep(2 * 60)",
            "AR101",
            "`time.sleep(2 * 60)` sleeps for 120 seconds, and it runs on the event loop.",
            "await asyncio.sleep(2 * 60)",
        ),
        (
            "r = requests.get(url, timeout=5)",
            "AR102",
            "`requests.get(url, timeout=5)` waits for an HTTP response (up to 5 seconds), "
            "and it runs on the event loop.",
            "await asyncio.to_thread(requests.get, url, timeout=5)",
        ),
        (
            "asyncio.run(main())",
            "AR111",
            "`asyncio.run(main())` starts a second event loop inside the running one.",
            "await main()",
        ),
        (
            "asyncio.sleep(1)",
            "AR113",
            "`asyncio.sleep(1)` makes a coroutine, but nothing awaits it, so it never runs.",
            "await asyncio.sleep(1)",
        ),
        (
            "asyncio.create_task(work())",
            "AR114",
            "`asyncio.create_task(work())` starts a task and drops it: "
            "it can be garbage-collected mid-flight.",
            "task = asyncio.create_task(work())",
        ),
        (
            "queue.Queue().get(timeout=3)",
            "AR108",
            "`queue.Queue().get(timeout=3)` waits on a thread queue (up to 3 seconds), "
            "and it runs on the event loop.",
            "await asyncio.to_thread(queue.Queue().get, timeout=3)",
        ),
    ],
)
def test_message_and_fix(body: str, code: str, message: str, fix: str) -> None:
    assert only(f"async def main(url=None):\n    {body}\n") == (code, message, fix)


def test_with_lock_says_with_and_suggests_asyncio_lock() -> None:
    code, message, fix = only(
        "lock = threading.Lock()\nasync def f():\n    with lock:\n        pass\n"
    )
    assert code == "AR107"
    assert message.startswith("`with lock:` waits for a thread lock")
    assert fix == "async with lock:  # with lock = asyncio.Lock()"


def test_position_of_the_call() -> None:
    [finding] = check_source("import time\nasync def f():\n    x = 1; time.sleep(1)\n", "f.py")
    assert (finding.filename, finding.line, finding.col, finding.end_col) == ("f.py", 3, 11, 24)
    assert finding.source_line == "    x = 1; time.sleep(1)"


def test_columns_count_characters_not_bytes() -> None:
    [finding] = check_source("import time\nasync def f():\n    é = 'ü'; time.sleep(1)\n")
    assert finding.source_line[finding.col : finding.end_col] == "time.sleep(1)"


def test_long_call_is_shortened_in_the_message() -> None:
    call = "requests.post('https://example.com/a/very/long/path', json={'a': 1})"
    source = f"import requests\nasync def f():\n    {call}\n"
    [finding] = check_source(source)
    assert finding.message.startswith("`requests.post(…)` waits")


def test_recursive_helpers_end() -> None:
    source = (
        "import time\ndef a(n):\n    return b(n)\ndef b(n):\n    time.sleep(n)\n    return a(n)\n"
        "async def f():\n    a(1)\n"
    )
    [finding] = check_source(source)
    assert finding.code == "AR101" and finding.line == 8


def test_helpers_are_followed_as_deep_as_the_code_goes() -> None:
    chain = "import time\ndef h12():\n    time.sleep(1)\n"
    chain += "".join(f"def h{n}():\n    h{n + 1}()\n" for n in range(11, 0, -1))
    end = chain.count("\n")
    [finding] = check_source(chain + "async def f():\n    h1()\n")
    assert (finding.line, finding.code) == (end + 2, "AR101")
    assert "`time.sleep(1)` (line 3)" in finding.message
    # Each helper is read once: h5 summarised through h1 is the same when called directly.
    both = chain + "async def f():\n    h1()\nasync def g():\n    h5()\n"
    assert [f.line for f in check_source(both)] == [end + 2, end + 4]


def test_each_helper_is_read_once_however_often_it_is_reached() -> None:
    """20 levels, each calling the next twice: a million paths, 20 summaries."""
    import time

    source = "import time\ndef h20(x=1):\n    time.sleep(x)\n"
    source += "".join(
        f"def h{n}(x=1):\n    h{n + 1}(x)\n    h{n + 1}(x)\n" for n in range(19, 0, -1)
    )
    source += "async def main():\n    h1(2)\n"
    start = time.perf_counter()
    [finding] = check_source(source)
    assert time.perf_counter() - start < 2
    assert finding.code == "AR101" and "`time.sleep(x)` (line 3)" in finding.message


def test_a_module_used_without_an_import_is_that_module_in_a_file() -> None:
    """In a file it can only be the module (a NameError else); in the REPL the live
    namespace says what a name is, and there it is not bound."""
    source = "async def f(url):\n    subprocess.run(['ls'])\n    return httpx.get(url)\n"
    assert [f.code for f in check_source(source, "app.py")] == ["AR104", "AR102"]
    assert check_source(source, "<cell 1>", {"__name__": "__main__"}) == []


def test_the_garbage_collector_is_resumed_after_a_check() -> None:
    import gc

    check_source("import time\nasync def f():\n    time.sleep(1)\n")
    assert gc.isenabled()
    with pytest.raises(SyntaxError):
        check_source("async def (")
    assert gc.isenabled()
    gc.disable()
    try:
        check_source("import time\nasync def f():\n    time.sleep(1)\n")
        assert not gc.isenabled()  # off before, off after
    finally:
        gc.enable()


def test_findings_come_in_line_order_without_duplicates() -> None:
    source = "import time\nasync def f():\n    time.sleep(1)\nasync def g():\n    time.sleep(2)\n"
    assert [f.line for f in check_source(source)] == [3, 5]


def test_code_too_deep_to_walk_is_an_incomplete_check_not_a_clean_one() -> None:
    sum_of_many = " + ".join(f"time.sleep({n})" for n in range(900))
    # Each nesting level costs one frame of the walk: 900 terms are within the stack.
    assert len(check_source(f"import time\nasync def f():\n    return {sum_of_many}\n")) == 900
    # A walk that runs out of stack says so: never a partial, "clean" result. 2,000 levels
    # parse on 3.11-3.13 but are deeper than a walk of Python's stack.
    deeper = " + ".join(f"time.sleep({n})" for n in range(2000))
    with pytest.raises(IncompleteCheck, match="nested too deeply to analyse"):
        check_source(f"import time\nasync def f():\n    return {deeper}\n")
    too_deep = " + ".join(f"time.sleep({n})" for n in range(100_000))
    with pytest.raises(SyntaxError, match="too deeply nested"):
        check_source(f"import time\nasync def f():\n    return {too_deep}\n")


def test_warnings_about_the_source_are_not_repeated() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_source('async def f():\n    return "\\d"\n')
