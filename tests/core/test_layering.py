"""The package layers hold: library packages never import the application layer or ``config``, and no two
packages import each other (directly or round a longer loop).

Layers, top to bottom:

- application: ``cli``, ``stages``, ``serve``, ``deploy`` (and ``__main__``) may import anything;
- ``config``: the settings dataclasses; may import library constants and settings, never the application;
- library: everything else (``text``, ``models``, ``prepare``, ..., and the top-level modules ``corpus``,
  ``artifacts``, ...); never imports ``config`` or the application layer.

Every import counts, also those inside functions (a lazy import is still a dependency). A top-level module
(``corpus.py``) is a package of its own here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import writing7

SOURCE = Path(writing7.__file__).resolve().parent
APPLICATION = frozenset({"cli", "stages", "serve", "deploy", "__main__"})
CONFIG = "config"
FORBIDDEN_FOR_LIBRARY = APPLICATION | {CONFIG}


def package_of(module: str) -> str | None:
    """``writing7.prepare.chunking`` -> ``prepare``; ``writing7.corpus`` -> ``corpus``; outside writing7 -> None."""
    parts = module.split(".")
    if parts[0] != "writing7" or len(parts) < 2:
        return None
    return parts[1]


def module_name(path: Path) -> str:
    relative = path.relative_to(SOURCE.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[str, int]]:
    """``(absolute module, line)`` of every import in the file, relative ones resolved, function-level ones included."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from writing7 import config`` imports the package ``writing7.config``
            found += [(f"{base}.{alias.name}" if base == "writing7" else base, node.lineno) for alias in node.names]
    return found


def package_imports() -> dict[tuple[str, str], list[str]]:
    """``{(importing package, imported package): ["writing7/x/y.py:12 imports writing7.z", ...]}`` across packages."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(SOURCE.rglob("*.py")):
        source = package_of(module_name(path)) if module_name(path) != "writing7" else None
        for module, line in imported_modules(path):
            target = package_of(module)
            if source and target and source != target:
                edges[(source, target)].append(f"{path.relative_to(SOURCE.parent)}:{line} imports {module}")
    return dict(edges)


def find_cycle(edges: dict[tuple[str, str], list[str]]) -> list[str] | None:
    """One loop of packages (``[a, b, ..., a]``) in the import graph, or None."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    state: dict[str, str] = {}

    def visit(package: str, trail: list[str]) -> list[str] | None:
        state[package] = "open"
        for target in sorted(graph[package]):
            if state.get(target) == "open":
                return [*trail[trail.index(target):], target]
            if target not in state:
                loop = visit(target, [*trail, target])
                if loop:
                    return loop
        state[package] = "done"
        return None

    for package in sorted(graph):
        if package not in state:
            loop = visit(package, [package])
            if loop:
                return loop
    return None


def test_the_walker_sees_relative_and_function_level_imports():
    edges = package_imports()
    assert ("cli", "config") in edges and ("stages", "corpus") in edges
    assert package_of("writing7.prepare.chunking") == "prepare" and package_of("numpy") is None


def test_library_packages_never_import_config_or_the_application_layer():
    broken = [
        line
        for (source, target), lines in package_imports().items()
        if source not in APPLICATION | {CONFIG} and target in FORBIDDEN_FOR_LIBRARY
        for line in lines
    ]
    assert not broken, "library code imports config or the application layer:\n" + "\n".join(broken)


def test_config_never_imports_the_application_layer():
    broken = [line for (source, target), lines in package_imports().items() if source == CONFIG and target in APPLICATION for line in lines]
    assert not broken, "config imports the application layer:\n" + "\n".join(broken)


def test_no_import_cycle_between_packages():
    edges = package_imports()
    loop = find_cycle(edges)
    if loop:
        chain = [f"{source} -> {target}: {edges[(source, target)][0]}" for source, target in zip(loop, loop[1:])]
        raise AssertionError("packages import each other in a loop:\n" + "\n".join(chain))
