"""How the modules of ``publishing`` depend on each other: layers, never a
circle (imports inside functions count too), and no private name reached for
across modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "publishing"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` for each import in the file, anywhere in it, with
    relative imports made absolute."""
    package = _module_name(path)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [alias.name for alias in node.names]
            found.append((base, names))
            # "from . import lifecycle" imports the module publishing.lifecycle
            found += [(f"{base}.{name}", []) for name in names]
    return found


def _graph() -> dict[str, set[str]]:
    modules = {
        _module_name(path): path
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
    }
    return {
        name: {
            imported
            for imported, _names in _imports(path)
            if imported in modules and imported != name
            and not name.startswith(imported + ".")  # a package's own __init__
        }
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_publishing_has_no_import_cycle():
    graph = _graph()
    assert "publishing.lifecycle" in graph and graph["publishing.delivery"]
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]


def test_no_private_name_is_imported_from_another_module():
    wrong = []
    for directory in ("publishing", "channels", "council_site", "sandbox"):
        for path in (ROOT / directory).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for module, names in _imports(path):
                wrong += [
                    (str(path.relative_to(ROOT)), module, name)
                    for name in names
                    if name.startswith("_") and not name.startswith("__")
                ]
    assert wrong == []
