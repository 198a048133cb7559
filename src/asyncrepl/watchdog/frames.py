"""Reading a stuck thread's stack: which frames are the user's, the call a frame is making
right now (from ``f_lasti`` and ``co_positions``), and what that call is named."""

from __future__ import annotations

import ast
import builtins
import dis
import inspect
import itertools
import linecache
import sys
import types
from collections.abc import Collection
from typing import NamedTuple

from asyncrepl.instrument import loopclass
from asyncrepl.instrument.collector import CollectorPauses
from asyncrepl.instrument.sites import is_boundary, is_user_file, site_location
from asyncrepl.records import Location, LocationLabeler, is_asyncios

__all__ = [
    "FrameFacts",
    "FrameState",
    "UserFiles",
    "call_span",
    "callee_name",
    "frame_facts",
    "make_location",
    "repl_work",
    "snapshot",
    "user_frame",
]

#: Instructions that are (part of) a call. The innermost frame sits on one of these while a
#: builtin runs; an outer frame's ``f_lasti`` may point into the CALL's inline CACHE entries.
_CALL_OPS = frozenset({"CALL", "PRECALL", "CALL_FUNCTION_EX", "CALL_KW"})
_ASYNC_FLAGS = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE
_MISSING = object()
#: Every step runs inside asyncio's round (or the recorder's, a boundary in ``sites``); the
#: frames outside it (``asyncio.run(main())``, the REPL) wait for the loop and are not what
#: blocks it.
_RUN_ONCE = loopclass.ORIGINAL["_run_once"].__code__
#: The import system's frames (``<frozen importlib._bootstrap>``, ``..._external>``).
_IMPORTING = "<frozen importlib._bootstrap"
#: The recorder's garbage-collector hook: it runs inside whatever code the collector
#: interrupted, and is no part of it (a sample taken then named it as the blocking call).
_COLLECTOR_HOOK = CollectorPauses.__call__.__code__


class UserFiles:
    """Decides, once per filename, whether code is the user's (:func:`is_user_file`); REPL
    cells (known to the labeler) always are.

    :param labeler: turns cell filenames into ``<cell 3>``.
    """

    def __init__(self, labeler: LocationLabeler) -> None:
        self.labeler = labeler
        self._known: dict[str, bool] = {}

    def __call__(self, filename: str) -> bool:
        known = self._known.get(filename)
        if known is None:
            known = self._known[filename] = is_user_file(filename, self.labeler)
        return known


class FrameFacts(NamedTuple):
    """What one sample found in the innermost user frame, as plain values.

    :param location: the user's line.
    :param call: the call expression at the instruction, as written, or ``""`` when the
        instruction is not a call.
    :param callee: the called function's ``module.qualname`` when it could be named.
    :param innermost: no frame below: a builtin runs, or the user's own bytecode.
    :param is_async: an ``await`` is possible there: a coroutine's frame, or the top level
        of a REPL cell (asyncrepl runs every cell on the loop, top-level ``await`` included).
    :param caller_call: for a plain function, the call of it in the nearest user coroutine.
    :param in_coroutine: a coroutine of the user's is on the way (this frame, or one that
        called it): the line is in async code, not at a cell's top level.
    """

    location: Location
    call: str
    callee: str
    innermost: bool
    is_async: bool
    caller_call: str = ""
    in_coroutine: bool = False


class FrameState(NamedTuple):
    """One frame of a stack as it was when sampled (a live frame's ``f_lasti`` moves on)."""

    frame: types.FrameType
    code: types.CodeType
    lasti: int
    lineno: int


def snapshot(frame: types.FrameType | None) -> list[FrameState]:
    """The stack ending at ``frame``, innermost first, down to the loop's round (asyncio's
    ``_run_once`` or the recorder's; what called the loop is not the step). Only attribute
    reads: the stuck thread cannot move on while this runs, since nothing here lets go of
    the interpreter lock.

    :param frame: the innermost frame of the stuck thread.
    """
    states: list[FrameState] = []
    if frame is not None and frame.f_code is _COLLECTOR_HOOK:
        frame = frame.f_back  # the collector ran inside the frame under it
    while frame is not None and frame.f_code is not _RUN_ONCE and not is_boundary(frame.f_code):
        code = frame.f_code
        states.append(FrameState(frame, code, frame.f_lasti, frame.f_lineno or 0))
        frame = frame.f_back
    return states


def user_frame(states: list[FrameState], user: UserFiles) -> int | None:
    """The index of the innermost user frame in ``states``; None when there is none.

    :param states: from :func:`snapshot`.
    :param user: the user-code test.
    """
    for index, state in enumerate(states):
        if user(state.code.co_filename) and not _generated_for_library(states, index, user):
            return index
    return None


def _generated_for_library(states: list[FrameState], index: int, user: UserFiles) -> bool:
    """Whether ``states[index]`` runs code compiled from a string (``<string>``: a
    namedtuple's ``__new__``, a dataclass's ``__init__``) on behalf of library code: such
    code belongs to whoever runs it (jedi's, during the first Tab completion), not the
    user. REPL cells are the user's wherever they run."""
    filename = states[index].code.co_filename
    if not filename.startswith("<") or user.labeler(filename) is not None:
        return False
    for outer in states[index + 1 :]:
        name = outer.code.co_filename
        if not name.startswith("<") or user.labeler(name) is not None:
            return not user(name)
    return False  # nothing outside it runs it: code of the user's, exec'd


def repl_work(states: list[FrameState], entries: Collection[types.CodeType]) -> bool:
    """Whether the stack is doing the REPL's work rather than the user's, though a user
    frame is on it: a learner has nothing to fix there.

    - A call of ``entries`` anywhere on the stack: IPython's magics and shell escapes
      (``%timeit`` runs the user's line thousands of times on purpose; ``%debug`` and the
      ``%reset`` prompt wait for the person; ``!cmd`` runs a command).
    - The person at the keyboard: pdb's prompt (``breakpoint()``, ``pdb.set_trace()``,
      IPython's debugger) and ``help()`` with its pager (see :func:`person_waits`). The loop
      waits while they debug or read, and there is nothing to fix (a thread for ``help`` or
      ``breakpoint`` would fight the prompt for the terminal).
    - The import machinery anywhere on the stack. An ``import`` is the user's line, but the
      time is the module's one-time start-up: it happens once a session, the next import
      of it is free, and the only "fix" is the import the learner just typed, done earlier.
      This holds for the top level of a module of their own too: it is not a coroutine of
      theirs holding the loop again and again. asyncrepl's own deferred imports (the first
      cell, the first ``%tasks``) are caught here as well.

    asyncrepl's other frames under a user's call (the recorder's task factory) are left to
    the user: they cost in proportion to what the user's line does (starting 5000 tasks).

    :param states: from :func:`snapshot`.
    :param entries: the REPL's code objects.
    """
    person = person_waits()
    return any(
        state.code in entries
        or state.code in person
        or state.code.co_filename.startswith(_IMPORTING)
        for state in states
    )


def person_waits() -> frozenset[types.CodeType]:
    """The code that waits for the person at the keyboard: ``help()`` (which shows its text
    in a pager), and pdb's prompt once pdb is loaded (IPython's debugger and ipdb call it too).
    Asked at each sample rather than at start: pdb is loaded by the first ``breakpoint()``."""
    codes: list[types.CodeType] = []
    helper = vars(type(getattr(builtins, "help", None))).get("__call__")  # site.py's _Helper
    pdb = sys.modules.get("pdb")
    interaction = getattr(getattr(pdb, "Pdb", None), "interaction", None)
    for function in (helper, interaction):
        code = getattr(function, "__code__", None)
        if isinstance(code, types.CodeType):
            codes.append(code)
    return frozenset(codes)


def frame_facts(states: list[FrameState], index: int, user: UserFiles) -> FrameFacts:
    """Facts about the user frame ``states[index]`` (found by :func:`user_frame`).

    :param states: from :func:`snapshot`.
    :param index: the user frame's index.
    :param user: the user-code test.
    """
    current = states[index]
    code, lasti = current.code, current.lasti
    lineno = current.lineno or code.co_firstlineno
    innermost = index == 0
    op = dis.opname[code.co_code[lasti]] if 0 <= lasti < len(code.co_code) else ""
    call = call_span(code, lasti) if not innermost or op in _CALL_OPS else ""
    callee = ""
    if call:
        inner = states[index - 1] if index else None
        callee = callee_name(call, current.frame) if inner is None else _frame_name(inner)
    is_async = _awaits(code, user)
    return FrameFacts(
        location=make_location(code, lineno, user.labeler),
        call=call,
        callee=callee,
        innermost=innermost,
        is_async=is_async,
        caller_call="" if is_async else _caller_call(states[index + 1 :], user),
        in_coroutine=any(_user_coroutine(state.code, user) for state in states[index:]),
    )


def make_location(code: types.CodeType, lineno: int, labeler: LocationLabeler) -> Location:
    """A :class:`Location` for line ``lineno`` of ``code``, labelled as the recorder labels.

    :param code: the frame's code object.
    :param lineno: the line.
    :param labeler: turns cell filenames into ``<cell 3>``.
    """
    return site_location((code.co_filename, lineno, code.co_qualname), labeler)


def call_span(code: types.CodeType, lasti: int) -> str:
    """The source of the expression the instruction at ``lasti`` belongs to, as written
    (one line; a call spread over lines is joined), or ``""`` when it cannot be read.

    :param code: the frame's code object.
    :param lasti: the frame's ``f_lasti`` (a byte offset; positions are per code unit).
    """
    if lasti < 0:
        return ""
    position = next(itertools.islice(code.co_positions(), lasti // 2, None), None)
    if position is None or None in position:
        return ""
    first, last, start, end = position
    assert first is not None and last is not None and start is not None and end is not None
    lines = [linecache.getline(code.co_filename, n).encode() for n in range(first, last + 1)]
    if not lines or not lines[0]:
        return ""
    if first == last:
        pieces = [lines[0][start:end]]
    else:
        pieces = [lines[0][start:], *lines[1:-1], lines[-1][:end]]
    text = " ".join(piece.decode(errors="replace").strip() for piece in pieces)
    return text.replace("( ", "(").replace(" )", ")")


def _frame_name(state: FrameState) -> str:
    """``module.qualname`` of the function a frame runs: ``"json.dumps"``."""
    module = state.frame.f_globals.get("__name__", "")
    return f"{module}.{state.code.co_qualname}" if module else state.code.co_qualname


def _user_coroutine(code: types.CodeType, user: UserFiles) -> bool:
    """Whether ``code`` is a coroutine function of the user's (a cell's top level with an
    ``await`` is compiled as a coroutine too, and is not one)."""
    return (
        bool(code.co_flags & _ASYNC_FLAGS) and code.co_name != "<module>" and user(code.co_filename)
    )


def _awaits(code: types.CodeType, user: UserFiles) -> bool:
    """Whether ``await`` can be written in ``code``: a coroutine, or a cell's top level."""
    if code.co_flags & _ASYNC_FLAGS:
        return True
    return code.co_name == "<module>" and user.labeler(code.co_filename) is not None


def _caller_call(outer: list[FrameState], user: UserFiles) -> str:
    """The call in the nearest frame of ``outer`` where the user can ``await``; ``""`` when
    that call is asyncio's own: the function ran inside it (a task factory, a done callback),
    and asyncio's calls cannot move to a thread (``to_thread(asyncio.gather, ...)`` breaks)."""
    for state in outer:
        if user(state.code.co_filename) and _awaits(state.code, user):
            call = call_span(state.code, state.lasti)
            callee = callee_name(call, state.frame) if call else ""
            return "" if is_asyncios(callee) else call
    return ""


def callee_name(call: str, frame: types.FrameType) -> str:
    """Name the function ``call`` calls, looking its name up in ``frame`` without running
    any of the user's code: names, module attributes, string constants and ``getattr``.
    Returns ``module.qualname`` (``"time.sleep"``, ``"_thread.lock.acquire"``) or ``""``.

    :param call: the call as written, ``"time.sleep(1)"``.
    :param frame: the frame making the call (read from another thread).
    """
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return ""
    if not isinstance(node, ast.Call):
        return ""
    value = _evaluate(node.func, frame, depth=0)
    return "" if value is _MISSING else _object_name(value)


def _evaluate(node: ast.expr, frame: types.FrameType, depth: int) -> object:
    if depth > 8:
        return _MISSING
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return _lookup(node.id, frame)
    if isinstance(node, ast.Attribute):
        return _attribute(_evaluate(node.value, frame, depth + 1), node.attr)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _evaluate(node.left, frame, depth + 1)
        right = _evaluate(node.right, frame, depth + 1)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return _MISSING
    if (
        isinstance(node, ast.Call)
        and len(node.args) == 2
        and not node.keywords
        and _evaluate(node.func, frame, depth + 1) is builtins.getattr
    ):
        name = _evaluate(node.args[1], frame, depth + 1)
        if isinstance(name, str):
            return _attribute(_evaluate(node.args[0], frame, depth + 1), name)
    return _MISSING


def _lookup(name: str, frame: types.FrameType) -> object:
    # Reading f_locals of a running frame from another thread is safe only with PEP 667's
    # proxy (3.13); before that it rebuilds the frame's locals dict, so use globals alone.
    if sys.version_info >= (3, 13) and frame.f_code.co_flags & inspect.CO_OPTIMIZED:
        value = frame.f_locals.get(name, _MISSING)
        if value is not _MISSING:
            return value
    value = frame.f_globals.get(name, _MISSING)
    return getattr(builtins, name, _MISSING) if value is _MISSING else value


def _attribute(base: object, name: str) -> object:
    if base is _MISSING:
        return _MISSING
    try:
        if isinstance(base, types.ModuleType):
            return getattr(base, name)
        # Static lookup: no property, __getattr__ or descriptor of the user's runs here.
        return inspect.getattr_static(base, name)
    except AttributeError:
        return _MISSING


def _object_name(value: object) -> str:
    owner = getattr(value, "__self__", None)
    name = getattr(value, "__name__", None)
    if isinstance(owner, types.ModuleType) and name:  # a builtin function: time.sleep
        return f"{owner.__name__}.{name}"
    objclass = getattr(value, "__objclass__", None)  # a C method descriptor
    if isinstance(objclass, type) and name:
        return f"{objclass.__module__}.{objclass.__qualname__}.{name}"
    if owner is not None and not isinstance(owner, type) and name:  # a bound method
        kind = type(owner)
        return f"{kind.__module__}.{kind.__qualname__}.{name}"
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str):
        return f"{module}.{qualname}"
    return ""
