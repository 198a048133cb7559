"""The layering rule of STYLE.md: the core never imports IPython or prompt_toolkit, nothing
imports upward, and no two modules import each other (directly or around a ring). Each
failure names the offending import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "asyncrepl"

#: Layers from the bottom up. A module may import its own layer and the layers below it.
LAYERS: dict[str, int] = {
    "cparts": 0,
    "_tally": 0,
    "labels": 0,
    "durations": 0,
    "records": 0,
    "windows": 0,
    "instrument": 1,
    "analysis": 1,
    "explain": 1,
    "watchdog": 2,
    "session": 3,
    "render": 4,
    "shell": 5,
    "ipython": 6,
    "cli": 7,
    "cli_check": 7,
    "cli_run": 7,
    "api": 7,
    "__init__": 8,
    "__main__": 8,
}
CORE = {
    "cparts",
    "labels",
    "durations",
    "records",
    "windows",
    "instrument",
    "analysis",
    "watchdog",
    "explain",
    "session",
}
UI_PACKAGES = ("IPython", "prompt_toolkit", "ipykernel", "traitlets")


def layer_of(path: Path, src: Path = SRC) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return parts[0]


def imports_of(path: Path, src: Path = SRC) -> list[tuple[int, str]]:
    """Every import in ``path``, wherever it stands (a function-level import counts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            package = path.parent.relative_to(src.parent).parts
            base = package[: len(package) - node.level + 1]
            found.append((node.lineno, ".".join([*base, node.module or ""]).rstrip(".")))
    return found


def layer_problems(path: Path, src: Path = SRC) -> list[str]:
    layer = layer_of(path, src)
    if layer not in LAYERS:
        return [f"{path}: new top-level module {layer!r}: give it a place in LAYERS"]
    problems = []
    for lineno, name in imports_of(path, src):
        top = name.split(".")[0]
        if layer in CORE and top in UI_PACKAGES:
            problems.append(f"{path.name}:{lineno} imports {name}: the core never imports {top}")
        if top == src.name and "." in name:
            target = name.split(".")[1]
            if target in LAYERS and LAYERS[target] > LAYERS[layer]:
                problems.append(
                    f"{path.name}:{lineno} imports {name}: {layer} may not import upward"
                )
    return problems


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    problems = layer_problems(path)
    assert not problems, "\n".join(problems)


def test_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The checker itself must be able to fail."""
    src = tmp_path / "asyncrepl"
    bad = src / "instrument" / "probe.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("import IPython\nfrom asyncrepl.render import text\n", encoding="utf-8")
    names = [name for _, name in imports_of(bad, src)]
    assert names == ["IPython", "asyncrepl.render", "asyncrepl.render.text"]
    problems = layer_problems(bad, src)
    assert any("never imports IPython" in p for p in problems)
    assert any("may not import upward" in p for p in problems)


def module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(src: Path) -> dict[str, set[str]]:
    """``module -> the package's modules it imports`` (``from pkg import mod`` names ``mod``;
    importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``)."""
    modules = {module_name(path, src): path for path in src.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for _, imported in imports_of(path, src):
            parts = imported.split(".")
            for end in range(2, len(parts) + 1):
                target = ".".join(parts[:end])
                if target in modules and target != name and not name.startswith(target + "."):
                    targets.add(target)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, around a ring (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = [stack.pop()]
            while group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


#: Cycles known and being removed, each with its reason; the test fails on any other.
KNOWN_CYCLES: dict[tuple[str, ...], str] = {}


def test_no_import_cycles() -> None:
    found = [c for c in cycles(import_graph(SRC)) if tuple(c) not in KNOWN_CYCLES]
    assert not found, "modules that import each other: " + "; ".join(map(" <-> ".join, found))


def test_a_cycle_is_caught(tmp_path: Path) -> None:
    """The cycle check itself must be able to fail, even through a function-level import."""
    src = tmp_path / "asyncrepl"
    (src / "ipython").mkdir(parents=True)
    (src / "__init__.py").write_text("", encoding="utf-8")
    (src / "ipython" / "__init__.py").write_text("", encoding="utf-8")
    (src / "ipython" / "a.py").write_text("from asyncrepl.ipython import b\n", encoding="utf-8")
    (src / "ipython" / "b.py").write_text(
        "def late():\n    from asyncrepl.ipython.a import thing\n", encoding="utf-8"
    )
    assert cycles(import_graph(src)) == [["asyncrepl.ipython.a", "asyncrepl.ipython.b"]]
