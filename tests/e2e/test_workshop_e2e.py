"""``examples/WORKSHOP.md``, followed step by step in the real asyncrepl (80 columns): each
lesson file pasted as a cell, each magic the script names, each trap it shows, and every line
the script says the room sees."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.harness import Repl

EXAMPLES = Path(__file__).parents[2] / "examples"
SCRIPT = (EXAMPLES / "WORKSHOP.md").read_text(encoding="utf-8")


def lesson(number: int) -> str:
    return next(EXAMPLES.glob(f"0{number}_*.py")).read_text(encoding="utf-8")


class Room:
    """What the room sees, cell by cell: each step waits for the next prompt."""

    def __init__(self, repl: Repl) -> None:
        self.repl = repl
        self.cell = repl.expect_prompt()

    def step(self, code: str, *seen: str, paste: bool = False, timeout: float = 20) -> str:
        """Run one cell; check that each of ``seen`` (text, or ``re:`` and a pattern) shows,
        in that order, before the next prompt. Return what the cell showed."""
        start = len(self.repl.text)
        if paste:
            self.repl.paste(code)
        else:
            self.repl.send_line(code)
        self.repl.expect(rf"In \[{self.cell + 1}\]:", timeout)
        self.cell += 1
        shown = self.repl.text[start:]
        at = 0
        for text in seen:
            pattern = text[3:] if text.startswith("re:") else _literal(text)
            found = re.compile(pattern).search(shown, at)
            assert found, f"cell {self.cell - 1}: {text!r} not shown (after {at}):\n{shown}"
            at = found.end()
        return shown


def _literal(text: str) -> str:
    """A quoted line as a pattern: exact when it spans lines (the script shows how it wraps),
    else any run of spaces may be a wrap at the terminal's edge."""
    if "\n" in text:
        return re.escape(text)
    return r"\s+".join(re.escape(part) for part in text.split())


def promised(text: str) -> str:
    """``text`` is quoted in the script, so the test checks what the script says."""
    assert text in SCRIPT, f"WORKSHOP.md does not say {text!r}"
    return text


def test_the_workshop_as_the_script_says(tmp_path: Path) -> None:
    repl = Repl(tmp_path, timeout=30)
    try:
        follow(Room(repl))
        # "If something goes wrong on stage": a cell that hangs, a task that fails, leaving.
        repl.send_line("print('hanging'); await asyncio.sleep(30)")
        repl.expect(r"\nhanging\n")  # the cell runs
        repl.ctrl("c")
        repl.expect(r"KeyboardInterrupt: cell \[\d+\] cancelled")
        repl.expect_prompt()
        repl.paste("async def boom():\n    await asyncio.sleep(0.1)\n    raise ValueError('bad')\n")
        repl.expect_prompt()
        repl.send_line("b = asyncio.create_task(boom(), name='boom')")
        repl.expect(r"✗ Task 'boom' \(boom\) failed: ValueError: bad")
        repl.send_line("late = asyncio.create_task(asyncio.sleep(60))")
        repl.expect_prompt()
        assert repl.exit(typed=True) == 0
        assert "Cancelling 1 pending task:" in repl.text
    finally:
        repl.close()


def follow(room: Room) -> None:
    # 1. Coroutines: typed line by line, the editor indents.
    room.repl.send("async def main():\r")
    room.repl.send('print("main")\r')
    room.step("")  # the empty line ends the block
    room.step("type(main)", promised("Out[2]: function"))
    shown = room.step(
        "main()",
        "⚠ `main()` made a coroutine object, but nothing ran: a coroutine runs only when\n"
        "  you await it.\n"
        "  Fix: await main()  (%explain for more)",
    )
    assert "\nmain\n" not in shown
    room.step(
        "%explain",
        promised("⚠ A coroutine was never awaited"),
        "Where: <cell 3>",
        "main()",
        "Your code, fixed:",
        "await main()",
    )
    room.step("await main()", "main")
    room.step(
        lesson(1),
        "<class 'function'>",
        promised(
            "⚠ `main()` at <cell 6>:14 made a coroutine object, but nothing ran: a coroutine\n"
            "  runs only when you await it.\n"
            "  Fix: print(type(await main()))  (%explain for more)"
        ),
        "<class 'coroutine'>",
        promised(
            "↪ asyncio.run(main()): the event loop is already running here, so asyncrepl\n"
            "  awaited it on that loop."
        ),
        "main",
        paste=True,
    )
    room.step("%explain main", promised("» `main`: a coroutine function"))

    # 2. await, and the time.sleep trap.
    room.step(lesson(2), "something", "finished", paste=True)
    room.step(
        "%explain",
        promised("» What cell [8] did on the event loop"),
        promised("It created 1 task and ran for 1.0 s."),
    )
    trap = "import time\n" + lesson(2).replace("await asyncio.sleep(1)", "time.sleep(1)")
    room.step(
        trap,
        promised("⚠ <cell 10>, line 11: AR101 blocking-sleep"),
        "time.sleep(1)",
        promised("Fix: await asyncio.sleep(1)"),
        "something",
        "finished",
        paste=True,
    )
    room.step("%explain", "blocks the entire event loop", "await asyncio.sleep(1)")

    # 3. Tasks.
    room.step(
        lesson(3),
        promised("main continues immediately"),
        "something",
        "finished",
        paste=True,
    )
    room.step(promised('t = asyncio.create_task(asyncio.sleep(30), name="sleeper")'))
    shown = room.step(
        "%tasks",
        promised("1 task: 1 suspended"),
        r"re:sleeper\s+suspended\s+<cell 13>:1",
        "asyncio.sleep, ",
    )
    assert promised("`<cell 13>:1`") and "(this cell)" not in shown
    room.step(
        "%explain t", promised("» `t`: a task"), r"re:suspended,\s+waiting for asyncio\.sleep"
    )
    room.step("t.cancel()", "True")
    room.step("%tasks -a", promised("No task is running; "), r"re:sleeper\s+cancelled")

    # 4. Concurrent tasks.
    room.step(lesson(4), "1\n2\n3\n4\n5", paste=True)
    room.step(
        "%timeline",
        r"re:Timeline of cell 18 \(0\.6\d? s\)",
        "main",
        "print_values (Task-",
        "print_values (Task-",
        r"re:Ran concurrently: 0\.6\d? s instead of 1\.2 s one after another \(2 tasks\)\.",
    )
    assert promised("`Timeline of cell 18 (0.6x s)`")
    room.step(
        "%explain",
        promised("It created 3 tasks"),
        r"re:and ran for 0\.6\d? s\. They ran concurrently: 0\.6\d? s",
        "instead of 1.2 s one after",
        promised("They took 9 turns on the loop: main →"),
    )

    # 5. gather.
    room.step(lesson(5), "1\n2\n3\n4\n5", promised("[0.2, 0.3]"), paste=True)
    room.step("%timeline", r"re:Ran concurrently: 0\.6\d? s instead of 1\.2 s")
    room.step("%explain gather", promised("» asyncio.gather()"), "return_exceptions=True")

    # 6. A fetch alongside an algorithm.
    room.step(
        lesson(6),
        "Start fetching",
        "3",
        "Done fetching",
        "9",
        promised("[1, 2, 3]"),
        paste=True,
        timeout=30,
    )
    room.step(
        "%timeline",
        promised("fetch_data"),
        promised("run_algorithm"),
        promised("Ran concurrently: 5.0 s instead of 7.0 s one after another (2 tasks)."),
    )

    # 7. Async generators: the tutorial's mistake, explained.
    room.step(
        lesson(7),
        "9",
        promised("TypeError: 'async_generator' object is not iterable"),
        promised("(%explain for more)"),
        paste=True,
        timeout=30,
    )
    room.step(
        "%explain",
        promised("⚠ `for` over an async generator"),
        "for i in gen(10):  # ❌ TypeError — not iterable",
        "Your code, fixed:",
        promised("async for i in gen(10):") + "\n",
    )
    room.step("%explain gen", promised("» `gen`: an async generator function"))
    room.step("%explain async for", promised("» Async generators and async for"))

    # 8. Async methods, 9. questions.
    room.step(lesson(8), "hi", paste=True)
    room.step("%explain MyClass.test", promised("» `MyClass.test`: a coroutine function"))
    room.step("%explain threads", promised("» asyncio versus threads and the GIL"))
    for topic in ("cancellation", "timeouts", "taskgroup", "queue"):
        assert f"`%explain {topic}`" in SCRIPT
        room.step(f"%explain {topic}", "» ", "Try it:")
