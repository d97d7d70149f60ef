"""The Python layout's rules, checked on the source with ast: no module imports another
that imports it back (directly or round a longer loop), and scripts/ use only public
names of the project's packages."""

from __future__ import annotations

import ast
from pathlib import Path

from resi import PROJECT_ROOT

PACKAGES = ("loader", "resi")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
    }


def imported_modules(tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    """The project modules a module imports, anywhere in it (function-level too):
    `from pkg import mod` counts as importing pkg.mod when that is a module."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return {name for name in found if name in modules}


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: imported_modules(ast.parse(path.read_text()), modules) - {name}
        for name, path in modules.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop (a list of modules, first == last), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (loop := visit(nxt)):
                return loop
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (loop := visit(node)):
            return loop
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_from_package_import_module() -> None:
    graph = import_graph()
    assert "loader.load" in graph["loader.command"]
    assert "resi.database.connection" in graph["resi.cli"]


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert find_cycle(import_graph()) is None


def test_scripts_use_only_public_names() -> None:
    modules = project_modules()
    private = []
    for script in sorted((PROJECT_ROOT / "scripts").glob("*.py")):
        tree = ast.parse(script.read_text())
        aliases: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PACKAGES:
                for alias in node.names:
                    if alias.name.startswith("_"):
                        private.append(f"{script.name}: from {node.module} import {alias.name}")
                    if f"{node.module}.{alias.name}" in modules:
                        aliases.add(alias.asname or alias.name)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
            ):
                private.append(f"{script.name}: {node.value.id}.{node.attr}")
    assert private == []
