"""The shape of the code: rules that hold for every module, so a reader can rely on them.

No import cycle in ``src/orchcore``: every module can be read, imported and
tested after the modules it uses, never together with them. An import inside
a function counts as much as one at the top of the module (deferring it only
hides the cycle from Python, not from the design), and ``from orchcore.cli
import run`` imports the package ``orchcore.cli`` (its ``__init__``).

The hook path (the router, the status line) never reaches ``orchcore.cli``,
where typer and rich are imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "orchcore"


def modules_under(package: Path) -> dict[str, Path]:
    """Every module of the package by dotted name; a package is its ``__init__.py``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(module: str, path: Path) -> set[str]:
    """Every dotted name the module imports, wherever the import statement is (functions too)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..store import y
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)  # `from orchcore.cli import run` runs orchcore/cli/__init__.py
            names.update(f"{base}.{alias.name}" for alias in node.names)  # ... or imports a submodule
    return names


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    modules = modules_under(package)
    return {
        module: {name for name in imported_names(module, path) if name in modules and name != module}
        for module, path in modules.items()
    }


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for following in graph[todo.pop()]:
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return seen


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other (strongly connected components of more than one module)."""
    reach = {module: reachable(graph, module) for module in graph}
    groups = {frozenset({m} | {n for n in reach[m] if m in reach[n]}) for m in graph}
    return sorted(sorted(group) for group in groups if len(group) > 1)


def one_cycle(graph: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest import chain from the group's first module back to itself: what to break."""
    start = group[0]
    paths = {start: [start]}
    todo = [start]
    while todo:
        module = todo.pop(0)
        for following in sorted(graph[module] & set(group)):
            if following == start:
                return paths[module] + [start]
            if following not in paths:
                paths[following] = paths[module] + [following]
                todo.append(following)
    raise AssertionError(f"{group} is not a cycle")


def test_src_has_no_import_cycle():
    graph = import_graph(SRC)
    assert "orchcore.cli.app" in graph["orchcore.cli"]  # the walk sees imports inside functions

    cycles = []
    for group in import_cycles(graph):
        among = f"  (one cycle among {', '.join(group)})" if len(group) > 2 else ""
        cycles.append(" -> ".join(one_cycle(graph, group)) + among)

    assert not cycles, "import cycles in src/orchcore:\n  " + "\n  ".join(cycles)


def test_the_hook_path_never_reaches_the_command_line():
    """``orch hook`` and ``orch statusline`` run these; ``orchcore.cli`` (typer, rich) is for ``orch`` commands."""
    graph = import_graph(SRC)
    for hook_path in ("orchcore.router", "orchcore.statusline"):
        reached = sorted(m for m in reachable(graph, hook_path) if m == "orchcore.cli" or m.startswith("orchcore.cli."))

        assert not reached, f"{hook_path} imports {reached}"


def test_a_function_level_import_makes_a_cycle_too(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("def command():\n    from pkg.app import make\n    return make()\n")
    (package / "app.py").write_text("def make():\n    from pkg import command\n")
    (package / "alone.py").write_text("import pkg.app\n")
    graph = import_graph(package)

    assert import_cycles(graph) == [["pkg", "pkg.app"]]
    assert one_cycle(graph, ["pkg", "pkg.app"]) == ["pkg", "pkg.app", "pkg"]
