"""What the rewritten cells call (``hooks_for(key).run(...)`` and so on): ``asyncio.run`` on
the live loop, and the check for a coroutine that nobody awaited."""

from __future__ import annotations

import asyncio
import inspect
import linecache
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from asyncrepl.labels import LocationLabeler, default_labeler
from asyncrepl.render.hints import (
    describe_task,
    render_asyncio_run_note,
    render_leftover_tasks,
    render_unawaited,
)
from asyncrepl.render.printer import print_fragments

if TYPE_CHECKING:
    from asyncrepl.records import Incident
    from asyncrepl.shell.timing import Timing

__all__ = ["CellHooks", "hooks_for"]

T = TypeVar("T")

#: The helpers of each shell that loaded asyncrepl, by :attr:`CellHooks.key`. Rewritten cells
#: find theirs here, so nothing they call lives in the user namespace.
_REGISTERED: dict[str, CellHooks] = {}


def hooks_for(key: str) -> CellHooks:
    """The helpers registered under ``key`` (what a rewritten cell calls).

    :param key: :attr:`CellHooks.key`.
    """
    return _REGISTERED[key]


class CellHooks:
    """The helpers a rewritten cell calls.

    :param report: called with each :class:`Incident` asyncrepl noticed (for ``%explain``).
    :param labeler: turns a cell's filename into ``<cell 3>`` (where a hint's call is).
    """

    def __init__(
        self,
        report: Callable[[Incident], None],
        labeler: LocationLabeler = default_labeler,
        timing: Callable[[], Timing] | None = None,
    ) -> None:
        self._report = report
        self._labeler = labeler
        #: Gives the awaiting ``%time``/``%timeit`` (set once the shell's transformer exists;
        #: made, and its IPython parts imported, with the first timing magic).
        self.timing = timing
        #: What a rewritten cell passes to :func:`hooks_for`, while registered. A string: other
        #: AST transformers rewrite numbers (IPython's own tests negate them).
        self.key = f"{id(self):x}"

    def register(self) -> None:
        """Make these the helpers :func:`hooks_for` gives for :attr:`key`."""
        _REGISTERED[self.key] = self

    def unregister(self) -> None:
        _REGISTERED.pop(self.key, None)

    def _hint(self, source: str, code: str) -> None:
        # The records are imported when a hint is given, not at start-up.
        from asyncrepl.records import Incident, IncidentKind

        self._report(Incident(IncidentKind.HINT, source, code=code))

    def check_unawaited(self, value: T, source: str = "") -> T | None:
        """Pass ``value`` through, unless it is a coroutine nobody will await: then say so,
        close it (no "never awaited" warning minutes later) and show nothing.

        :param value: the value of a top-level expression statement.
        :param source: the expression as written.
        """
        if not inspect.iscoroutine(value):
            return value
        qualname = getattr(value, "__qualname__", "coroutine")
        value.close()
        print_fragments(render_unawaited(source, qualname, where=self._line_in_cell()))
        self._hint(source, "unawaited-coroutine")
        return None

    def _line_in_cell(self) -> str:
        """``<cell 3>:5`` for the line of a longer cell that called :meth:`check_unawaited`;
        empty when the call was the whole cell (nothing to point at)."""
        frame = sys._getframe(2)
        filename, lineno = frame.f_code.co_filename, frame.f_lineno
        label = self._labeler(filename)
        code = [line for line in linecache.getlines(filename) if line.strip()]
        return f"{label}:{lineno}" if label is not None and len(code) > 1 else ""

    async def run(self, main: Any, *, debug: bool | None = None, source: str = "", **_: Any) -> Any:
        """``asyncio.run(main)`` typed at the top level: await ``main`` on the running loop,
        then cancel the tasks it left running, as ``asyncio.run`` does.

        :param main: the coroutine.
        :param debug: accepted for ``asyncio.run``'s signature; the loop's mode is kept.
        :param source: the call as written, for the note.
        """
        __tracebackhide__ = True  # see asyncrepl.shell.tracebacks
        if not inspect.iscoroutine(main):
            raise ValueError(f"a coroutine was expected, got {main!r}")
        print_fragments(render_asyncio_run_note(source, "run"))
        self._hint(source, "asyncio-run-awaited")
        before = asyncio.all_tasks()
        # Named after the coroutine, so %tasks and %timeline show `main`, not `Task-236`.
        task = asyncio.get_running_loop().create_task(main, name=main.__qualname__)
        try:
            return await task
        finally:
            await self._cancel_leftovers(before | {task}, source)

    async def time(self, line: str, cell: str | None = None) -> Any:
        """``%time`` / ``%%time`` of code that awaits (see :class:`Timing`)."""
        __tracebackhide__ = True  # see asyncrepl.shell.tracebacks
        assert self.timing is not None
        return await self.timing().time(line, cell)

    async def timeit(self, line: str, cell: str | None = None) -> Any:
        """``%timeit`` / ``%%timeit`` of code that awaits (see :class:`Timing`)."""
        __tracebackhide__ = True  # see asyncrepl.shell.tracebacks
        assert self.timing is not None
        return await self.timing().timeit(line, cell)

    async def capture(self, line: str, cell: str) -> None:
        """``%%capture`` of a cell that awaits (see :class:`Timing`)."""
        __tracebackhide__ = True  # see asyncrepl.shell.tracebacks
        assert self.timing is not None
        await self.timing().capture(line, cell)

    async def run_until_complete(self, future: Awaitable[T], *, source: str = "") -> T:
        """``loop.run_until_complete(x)`` typed at the top level: await ``x`` on the live loop.

        :param future: a coroutine, task or future.
        :param source: the call as written, for the note.
        """
        __tracebackhide__ = True  # see asyncrepl.shell.tracebacks
        print_fragments(render_asyncio_run_note(source, "run_until_complete"))
        self._hint(source, "asyncio-run-awaited")
        return await future

    async def _cancel_leftovers(self, before: set[asyncio.Task[Any]], source: str) -> None:
        current = asyncio.current_task()
        leftovers = [
            task
            for task in asyncio.all_tasks()
            if task not in before and task is not current and not task.done()
        ]
        if not leftovers:
            return
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        names = [describe_task(task) for task in leftovers]
        print_fragments(render_leftover_tasks(names, source))


def close_failed_run_argument(exc: BaseException) -> None:
    """``asyncio.run(main())`` refused to run inside a running loop: close ``main()``, which can
    never run now, so no "coroutine 'main' was never awaited" warning follows minutes later.

    :param exc: the exception a cell ended with.
    """
    if not isinstance(exc, RuntimeError) or "running event loop" not in str(exc):
        return
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "run" and code.co_filename == asyncio.runners.__file__:
            main = tb.tb_frame.f_locals.get("main")
            if inspect.iscoroutine(main) and inspect.getcoroutinestate(main) == "CORO_CREATED":
                main.close()
            return
        tb = tb.tb_next
