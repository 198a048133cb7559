"""Which branches a helper takes when its call leaves parameters false.

``def get_node(host=None, node_name=None): if host: socket.gethostbyname(host)`` called as
``get_node(node_name=n)`` never looks ``host`` up: reporting that lookup would be a false
alarm. The call says which parameters are false (:func:`left_false`), and the walk of the
helper skips the branches those parameters rule out (:func:`branch_taken`)."""

from __future__ import annotations

import ast

from asyncrepl.analysis.scope import FuncRef, LiveRef

__all__ = ["FalseParams", "branch_taken", "left_false"]

#: Parameters a call leaves false, each with whether it is ``None`` (``("host", True)``).
FalseParams = frozenset[tuple[str, bool]]


def left_false(call: ast.Call, callee: FuncRef | LiveRef) -> FalseParams:
    """The parameters ``call`` leaves false: omitted with a false default (``None``, ``False``,
    ``0``, ``""``) or given one as a literal. Nothing when ``*args`` or ``**kwargs`` hide
    what is passed.

    :param call: the call; :param callee: the function it calls.
    """
    if not isinstance(callee, FuncRef) or any(isinstance(a, ast.Starred) for a in call.args):
        return frozenset()
    if any(k.arg is None for k in call.keywords):
        return frozenset()
    node = callee.node
    args = node.args
    given_values = [*call.args, *(k.value for k in call.keywords)]
    if not (args.defaults or any(args.kw_defaults)) and not any(
        isinstance(value, ast.Constant) for value in given_values
    ):
        return frozenset()  # nothing can be false: the common case, answered cheaply
    positional = [*args.posonlyargs, *args.args]
    skip = 1 if callee.self_ref is not None and not isinstance(node, ast.Lambda) else 0
    given = dict(zip((a.arg for a in positional[skip:]), call.args, strict=False))
    given.update((k.arg, k.value) for k in call.keywords if k.arg)
    defaults = [
        *zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True),
        *((a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d),
    ]
    values = {arg.arg: default for arg, default in defaults} | given
    return frozenset(
        (name, value.value is None)
        for name, value in values.items()
        if isinstance(value, ast.Constant) and not value.value
    )


def branch_taken(test: ast.expr, falsy: frozenset[str], nones: frozenset[str]) -> bool | None:
    """Whether ``test`` is true, when it asks about a parameter known false: ``if host:`` is
    not taken, ``if not host:`` is, and ``if host is not None:`` is not when ``host`` is
    ``None``. None when the test says nothing certain.

    :param falsy: the parameters known false; :param nones: those of them known ``None``.
    """
    if not falsy:
        return None
    if isinstance(test, ast.Name):
        return False if test.id in falsy else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = branch_taken(test.operand, falsy, nones)
        return None if inner is None else not inner
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        values = [branch_taken(value, falsy, nones) for value in test.values]
        return False if False in values else None
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.left, ast.Name)
        and test.left.id in nones
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    ):
        return {ast.Is: True, ast.IsNot: False}.get(type(test.ops[0]))
    return None
