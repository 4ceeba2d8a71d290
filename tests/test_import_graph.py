"""The import graph between facade's packages, read from the source with ``ast``: every import a
module runs, at its top or inside a function (an import under ``if TYPE_CHECKING:`` runs never, so
it is left out). Each package (facade.core, facade.dialect, ...) is one node, and so is each
top-level module (facade.app, facade.config, ...). A failure names every offending edge with the
file and line that makes it."""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import facade

ROOT = Path(facade.__file__).parent
HASHING = {"bcrypt", "argon2", "passlib"}  # the libraries a password core may need beyond the standard one
ENGINE_MUST_NOT_REACH = ("facade.upstream", "facade.contract", "facade.store")


@dataclass(frozen=True)
class Edge:
    source: str  # the importing module's dotted name
    target: str  # the module imported (or the package a name was imported from)
    where: str   # path:line

    def __str__(self) -> str:
        return f"{self.where}: {node(self.source)} -> {node(self.target)} ({self.source} imports {self.target})"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(dotted: str) -> bool:
    path = ROOT.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def node(module: str) -> str:
    """facade.core.service -> facade.core; facade.app -> facade.app; bcrypt.x -> bcrypt."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "facade" else parts[0]


def type_checking_only(statement: ast.If) -> bool:
    test = statement.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found, pending = [], [tree]
    while pending:
        current = pending.pop()
        if isinstance(current, (ast.Import, ast.ImportFrom)):
            found.append(current)
        children = current.orelse if isinstance(current, ast.If) and type_checking_only(current) else (
            ast.iter_child_nodes(current))
        pending.extend(children)
    return found


def targets(statement: ast.Import | ast.ImportFrom, source: str, is_package: bool) -> list[str]:
    """The modules an import statement loads: ``from facade.core import ids`` loads facade.core.ids."""
    if isinstance(statement, ast.Import):
        return [alias.name for alias in statement.names]
    base = source if is_package else source.rpartition(".")[0]
    for _ in range(statement.level - 1):
        base = base.rpartition(".")[0]
    module = ".".join(p for p in (base if statement.level else "", statement.module or "") if p)
    submodules = [f"{module}.{alias.name}" for alias in statement.names if is_module(f"{module}.{alias.name}")]
    return submodules if len(submodules) == len(statement.names) else [module, *submodules]


def parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def edges() -> list[Edge]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        source = module_name(path)
        for statement in sorted(runtime_imports(parse(path)), key=lambda s: s.lineno):
            where = f"{path.relative_to(ROOT.parent)}:{statement.lineno}"
            found += [Edge(source, target, where) for target in targets(statement, source, path.name == "__init__.py")]
    return found


EDGES = edges()


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        for other in graph.get(name, ()):
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            component = {stack.pop()}
            while name not in component:
                component.add(stack.pop())
            if len(component) > 1:
                found.append(component)

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def cycle_report(edges: list[Edge], key) -> list[str]:
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if key(edge.source) != key(edge.target):
            graph.setdefault(key(edge.source), set()).add(key(edge.target))
    lines = []
    for component in cycles(graph):
        lines.append("cycle between " + ", ".join(sorted(component)) + ":")
        lines += [f"  {edge}" for edge in edges
                  if key(edge.source) in component and key(edge.target) in component
                  and key(edge.source) != key(edge.target)]
    return lines


def facade_edges() -> list[Edge]:
    return [edge for edge in EDGES if node(edge.target).startswith("facade")]


def refuse(lines: list[str], what: str) -> None:
    if lines:
        pytest.fail(f"{what}:\n" + "\n".join(lines), pytrace=False)


def test_the_graph_sees_the_packages_and_their_imports():
    nodes = {node(edge.source) for edge in EDGES}
    assert {"facade.core", "facade.dialect", "facade.upstream", "facade.contract", "facade.store",
            "facade.importing", "facade.wire", "facade.notify", "facade.app", "facade.config"} <= nodes
    assert any(node(e.source) == "facade.app" and node(e.target) == "facade.core" for e in EDGES)


def test_no_runtime_cycle_between_packages():
    lines = cycle_report(facade_edges(), node)
    refuse(lines, "runtime import cycles between packages")


def test_the_engine_imports_no_upstream_contract_or_store_module():
    lines = [str(edge) for edge in EDGES
             if node(edge.source) == "facade.dialect" and node(edge.target) in ENGINE_MUST_NOT_REACH]
    refuse(lines, "the engine imports upstream, contract or store modules")


def test_the_core_imports_only_itself_the_standard_library_and_hashing_libraries():
    allowed = set(sys.stdlib_module_names) | HASHING | {"facade.core"}
    lines = [str(edge) for edge in EDGES if node(edge.source) == "facade.core" and node(edge.target) not in allowed]
    refuse(lines, "the core imports from outside itself, the standard library and hashing libraries")


def test_no_runtime_cycle_between_the_cores_modules():
    core = [edge for edge in EDGES if node(edge.source) == node(edge.target) == "facade.core"]
    lines = cycle_report(core, lambda module: module)
    refuse(lines, "runtime import cycles between the core's modules")


def package_imports_inside_the_core() -> list[str]:
    """``from facade.core import x`` runs facade/core/__init__.py on the way: by module path, no module
    depends on what the package's __init__ imports, or on the order it imports it in."""
    lines = [f"{path.relative_to(ROOT.parent)}:{statement.lineno}" for path in sorted((ROOT / "core").rglob("*.py"))
             for statement in runtime_imports(parse(path))
             if isinstance(statement, ast.ImportFrom) and statement.module == "facade.core"]
    return lines + [f"facade/core/__init__.py:{s.lineno}" for s in runtime_imports(parse(ROOT / "core" / "__init__.py"))
                    if not (isinstance(s, ast.ImportFrom) and s.module == "__future__")]


def test_inside_the_core_modules_import_each_other_by_module_path():
    refuse(package_imports_inside_the_core(), "'from facade.core import ...' inside the core, or imports in its __init__")
