"""The layering rule of STYLE.md: the core never imports IPython or prompt_toolkit, and
nothing imports upward. Each failure names the offending import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "asyncrepl"

#: Layers from the bottom up. A module may import its own layer and the layers below it.
LAYERS: dict[str, int] = {
    "labels": 0,
    "records": 0,
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
CORE = {"labels", "records", "instrument", "analysis", "watchdog", "explain", "session"}
UI_PACKAGES = ("IPython", "prompt_toolkit", "ipykernel", "traitlets")


def layer_of(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return parts[0]


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            package = path.parent.relative_to(SRC.parent).parts
            base = package[: len(package) - node.level + 1]
            found.append((node.lineno, ".".join([*base, node.module or ""]).rstrip(".")))
    return found


MODULES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_down(path: Path) -> None:
    layer = layer_of(path)
    assert layer in LAYERS, f"{path}: new top-level module {layer!r}: give it a place in LAYERS"
    problems = []
    for lineno, name in imports_of(path):
        top = name.split(".")[0]
        if layer in CORE and top in UI_PACKAGES:
            problems.append(f"{path.name}:{lineno} imports {name}: the core never imports {top}")
        if top == "asyncrepl" and "." in name:
            target = name.split(".")[1]
            if target in LAYERS and LAYERS[target] > LAYERS[layer]:
                problems.append(
                    f"{path.name}:{lineno} imports {name}: {layer} may not import upward"
                )
    assert not problems, "\n".join(problems)


def test_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The checker itself must be able to fail."""
    bad = SRC / "instrument" / "_layering_probe.py"
    bad.write_text("import IPython\nfrom asyncrepl.render import text\n", encoding="utf-8")
    try:
        names = [name for _, name in imports_of(bad)]
        assert names == ["IPython", "asyncrepl.render"]
        with pytest.raises(AssertionError, match="never imports IPython"):
            test_imports_point_down(bad)
    finally:
        bad.unlink()
