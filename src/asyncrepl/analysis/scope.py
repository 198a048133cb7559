"""Resolves names the way Python will: the source's own imports, assignments and definitions,
then the live namespace, then builtins. A name resolves to a :data:`Ref`."""

from __future__ import annotations

import ast
import builtins
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncrepl.analysis.library import (
    ATTRIBUTES,
    COROUTINE_FUNCTIONS,
    LIST_OF,
    OFFLOAD_FUNCTIONS,
    RETURNS,
    live_name,
)
from asyncrepl.analysis.patterns import all_args, bound_names, statements
from asyncrepl.analysis.rules import RULE_CLASSES

__all__ = [
    "LIST_OF",
    "UNKNOWN",
    "ClassRef",
    "FuncRef",
    "InstanceRef",
    "LiveRef",
    "Ref",
    "Scope",
    "Unit",
    "annotated",
    "attribute",
    "element_of",
    "function_scope",
    "instance_of",
    "live_ref",
    "resolve",
]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


@dataclass(frozen=True, eq=False)
class Unit:
    """One piece of source: the checked cell or file, or a live function's own source.

    :param filename: its filename; :param label: what a person reads (``"<cell 2>"``).
    :param lines: its lines; :param offset: added to the parsed line numbers.
    """

    filename: str
    label: str
    lines: tuple[str, ...]
    offset: int = 0
    namespace: Mapping[str, Any] | None = None


class _Unknown:
    """A name that is bound, to something the checker does not know (it shadows builtins)."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(eq=False)
class FuncRef:
    """A function (or lambda) defined in source the checker has read."""

    node: FunctionNode
    scope: Scope
    unit: Unit
    self_ref: Ref | None = None

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)


@dataclass(eq=False)
class ClassRef:
    """A class defined in source the checker has read, with its methods and attributes."""

    node: ast.ClassDef
    scope: Scope
    unit: Unit
    methods: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    _attrs: dict[str, Ref] | None = None

    @property
    def attrs(self) -> dict[str, Ref]:
        """What its attributes hold: class-level assignments and dataclass fields, then
        ``self.x = ...`` in its methods. Read when first asked (most classes never are), by
        then with every module-level name bound."""
        if self._attrs is None:
            self._attrs = _class_attrs(self.node, self.scope)
        return self._attrs


def _class_attrs(node: ast.ClassDef, scope: Scope) -> dict[str, Ref]:
    attrs: dict[str, Ref] = {}
    for item in node.body:
        if isinstance(item, ast.Assign) and len(item.targets) == 1:
            if isinstance(item.targets[0], ast.Name):
                attrs[item.targets[0].id] = resolve(item.value, scope) or UNKNOWN
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            # A dataclass field: ``session: requests.Session`` is a Session on instances.
            ref = resolve(item.value, scope) if item.value is not None else None
            attrs[item.target.id] = ref or annotated(item.annotation, scope) or UNKNOWN
    value: ast.expr | None
    kind: ast.expr | None
    for found in statements(node.body, nested=True):
        if isinstance(found, ast.Assign) and len(found.targets) == 1:
            target, value, kind = found.targets[0], found.value, None
        elif isinstance(found, ast.AnnAssign):
            target, value, kind = found.target, found.value, found.annotation
        else:
            continue
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            ref = resolve(value, scope) if value is not None else None
            ref = ref or (annotated(kind, scope) if kind is not None else None)
            attrs.setdefault(target.attr, ref or UNKNOWN)
    return attrs


@dataclass(frozen=True, eq=False)
class InstanceRef:
    """An instance of a :class:`ClassRef`."""

    cls: ClassRef


@dataclass(frozen=True, eq=False)
class LiveRef:
    """A function, class or instance of the user's own, from the live namespace."""

    value: Any


#: A qualified name (``"time.sleep"``; an instance is ``"requests.Session()"``) or a ref.
Ref = str | FuncRef | ClassRef | InstanceRef | LiveRef | _Unknown

_BUILTINS = frozenset(dir(builtins))

#: The top-level modules the checker knows calls of. A name the source never binds can only
#: be a module it forgot to import (or imports with ``*``): ``httpx.get(url)`` with no import.
_MODULES = (
    frozenset(
        name.split(".", 1)[0]
        for name in (
            *(call for cls in RULE_CLASSES.values() for call in cls.calls),
            *RETURNS,
            *COROUTINE_FUNCTIONS,
            *OFFLOAD_FUNCTIONS,
        )
        if "." in name and "()" not in name.split(".", 1)[0]
    )
    - _BUILTINS
)


class Scope:
    """Names bound in one function (or the module), looked up like Python does.

    :param parent: the enclosing function's or the module's scope; None for the module.
    :param local_names: every name bound anywhere in the function (so that a local name never
        falls through to a global one); None for the module.
    :param namespace: the live namespace, for names the source does not bind.
    """

    def __init__(
        self,
        parent: Scope | None,
        local_names: set[str] | None = None,
        namespace: Mapping[str, Any] | None = None,
    ) -> None:
        self.parent = parent
        self.local_names = local_names or set()
        self.namespace: Mapping[str, Any] | None = namespace if parent is None else parent.namespace
        self.names: dict[str, Ref] = {}
        #: Names with a declared type (an annotation): what they hold whatever is assigned.
        self.declared: dict[str, Ref] = {}
        #: Parameters with no annotation (what they are used as tells what they are).
        self.untyped: frozenset[str] = frozenset()
        #: Parameters a call left false (``None``, ``0`` ...): ``if host:`` is not taken.
        self.falsy: frozenset[str] = frozenset()
        #: Those of them that are ``None``: ``if host is None:`` is taken.
        self.nones: frozenset[str] = frozenset()

    def lookup(self, name: str) -> Ref | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            if name in scope.local_names:
                return UNKNOWN
            scope = scope.parent
        if self.namespace is not None and name in self.namespace:
            return live_ref(self.namespace[name], self.namespace)
        if name in _BUILTINS or (name in _MODULES and self.namespace is None):
            return name
        return None

    def bind(self, name: str, ref: Ref | None) -> None:
        self.names[name] = UNKNOWN if ref is None else ref


def live_ref(value: Any, namespace: Mapping[str, Any]) -> Ref:
    """What a live object is to the checker: a known name, the user's own code, or unknown."""
    if getattr(value, "__globals__", None) is namespace:
        return LiveRef(value)
    own = namespace.get("__name__", "__main__")
    cls = value if inspect.isclass(value) else type(value)
    if getattr(cls, "__module__", None) == own:
        return LiveRef(value)
    return live_name(value) or UNKNOWN


def instance_of(ref: Ref | None) -> Ref | None:
    """What calling ``ref`` returns, when the checker knows."""
    if isinstance(ref, str):
        return RETURNS.get(ref)
    if isinstance(ref, ClassRef):
        return InstanceRef(ref)
    if isinstance(ref, LiveRef) and inspect.isclass(ref.value):
        return LiveRef(_Instance(ref.value))
    return None


class _Instance:
    """Stands for an instance of a live class without making one."""

    def __init__(self, cls: type) -> None:
        self.cls = cls


def attribute(ref: Ref | None, name: str) -> Ref | None:
    """``ref.name``."""
    if isinstance(ref, str):
        qualname = f"{ref}.{name}"
        return ATTRIBUTES.get(qualname, qualname)
    if isinstance(ref, InstanceRef | ClassRef):
        cls = ref.cls if isinstance(ref, InstanceRef) else ref
        if name in cls.methods:
            return FuncRef(cls.methods[name], cls.scope, cls.unit, self_ref=InstanceRef(cls))
        return cls.attrs.get(name)
    if isinstance(ref, LiveRef):
        value = ref.value
        owner = value.cls if isinstance(value, _Instance) else value
        if not inspect.isclass(owner):
            owner = type(owner)
        member = inspect.getattr_static(owner, name, None)
        if inspect.isfunction(member):
            return LiveRef(member)
    return None


def resolve(node: ast.expr, scope: Scope) -> Ref | None:
    """What ``node`` refers to, or None when the checker cannot tell.

    :param node: a name, an attribute chain, a call, ``await`` of a call ...
    :param scope: the scope ``node`` is evaluated in.
    """
    if isinstance(node, ast.Name):
        return scope.lookup(node.id)
    if isinstance(node, ast.Attribute):
        return attribute(resolve(node.value, scope), node.attr)
    if isinstance(node, ast.Call):
        return instance_of(resolve(node.func, scope))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        # ``Path(__file__).parent / "data.json"``, or a string on the left of a path.
        sides = (resolve(node.left, scope), resolve(node.right, scope))
        return "pathlib.Path()" if "pathlib.Path()" in sides else None
    if isinstance(node, ast.Await):
        return resolve(node.value, scope)
    if isinstance(node, ast.ListComp | ast.List | ast.Tuple | ast.Set):
        # A list of one known kind of object, so that ``for t in threads: t.join()`` is seen.
        items = [node.elt] if isinstance(node, ast.ListComp) else node.elts
        kinds = {resolve(item, scope) for item in items}
        kind = kinds.pop() if len(kinds) == 1 else None
        return f"{LIST_OF}{kind}" if isinstance(kind, str) and kind.endswith("()") else None
    return None


def element_of(ref: Ref | None) -> Ref | None:
    """What iterating over ``ref`` gives, when it is a list of one known kind."""
    if isinstance(ref, str) and ref.startswith(LIST_OF):
        return ref[len(LIST_OF) :]
    return None


def annotated(annotation: ast.expr, scope: Scope) -> Ref | None:
    """What a value of the annotated type is: ``f: io.TextIOWrapper`` is a file, and so is
    ``Optional[TextIOWrapper]``, ``TextIOWrapper | None`` and ``"TextIOWrapper"``."""
    node = annotation
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value.strip(), mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        kinds = [side for side in (node.left, node.right) if not _is_none(side)]
        return annotated(kinds[0], scope) if len(kinds) == 1 else None
    if isinstance(node, ast.Subscript):
        outer = node.value.attr if isinstance(node.value, ast.Attribute) else None
        outer = node.value.id if isinstance(node.value, ast.Name) else outer
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if outer == "Optional" or outer == "Annotated":
            return annotated(inner[0], scope)
        kinds = [kind for kind in inner if not _is_none(kind)]
        return annotated(kinds[0], scope) if outer == "Union" and len(kinds) == 1 else None
    return instance_of(resolve(node, scope))


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def function_scope(func: FuncRef, falsy: frozenset[tuple[str, bool]] = frozenset()) -> Scope:
    """The scope of a call of ``func``: its parameters (``self`` bound for a method, an
    annotated parameter as an instance of its annotation) and its other local names.

    :param falsy: the parameters the call leaves false, each with whether it is ``None``
        (known only while the body never assigns them).
    """
    node = func.node
    body = node.body if isinstance(node.body, list) else []
    assigned = bound_names(body)
    scope = Scope(func.scope, assigned | {arg.arg for arg in all_args(node.args)})
    params = [*node.args.posonlyargs, *node.args.args]
    if func.self_ref is not None and params and not isinstance(node, ast.Lambda):
        scope.bind(params[0].arg, func.self_ref)
    untyped = set()
    for arg in [*params, *node.args.kwonlyargs]:
        if arg.arg in scope.names:
            continue
        if arg.annotation is None:
            untyped.add(arg.arg)
            continue
        kind = annotated(arg.annotation, func.scope)
        scope.bind(arg.arg, kind)
        if kind is not None:
            scope.declared[arg.arg] = kind
    scope.untyped = frozenset(untyped - assigned)
    scope.falsy = frozenset(name for name, _ in falsy) - assigned
    scope.nones = frozenset(name for name, none in falsy if none) - assigned
    return scope
