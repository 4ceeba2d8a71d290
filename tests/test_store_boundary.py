"""The store's edge: the engine and the core import no store module (a store's fault reaches the engine as
the core's StoreFault), and the config reads its constants without loading the engine or the store."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import facade

PACKAGE = Path(facade.__file__).parent
ABOVE_THE_STORE = sorted([*(PACKAGE / "dialect").glob("*.py"), *(PACKAGE / "core").glob("*.py"), PACKAGE / "config.py"])


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth of its code: ``from facade import store`` as facade.store."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", ABOVE_THE_STORE, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_nothing_above_the_store_imports_it(path):
    assert sorted(m for m in imports(path) if m == "facade.store" or m.startswith("facade.store.")) == []


def test_the_config_loads_without_the_engine_or_the_store():
    loaded = subprocess.run([sys.executable, "-c", "import sys, facade.config; print(*sys.modules)"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert sorted(m for m in loaded if m.split(".")[:2] in (["facade", "dialect"], ["facade", "store"])) == []
