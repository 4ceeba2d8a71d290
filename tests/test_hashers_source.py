"""The password schemes' source (facade/core/hashers/, facade/core/recipes.py): no digest is
compared with ==, the hand-written schemes compare with compare_digest, libpass's bcrypt is not used."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from facade.core import hashers, recipes


# -- constant-time comparison ----------------------------------------------------------------

SCHEME_MODULES = sorted(Path(hashers.__file__).parent.glob("*.py"))
MODULES = [*SCHEME_MODULES, Path(recipes.__file__)]


def _equalities(path: Path) -> list[ast.Compare]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Compare)
            and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops)]


def _fixed(node: ast.expr) -> bool:
    """A side no digest can be on: a literal, or a length."""
    return isinstance(node, ast.Constant) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_digest_is_compared_with_eq(path):
    """Every == or != in the module has a literal or a length on one side, so no two computed
    values (a digest and the one stored) are ever compared with it."""
    loose = [ast.unparse(node) for node in _equalities(path)
             if not any(_fixed(side) for side in [node.left, *node.comparators])]
    assert loose == []


def test_the_hand_written_schemes_compare_with_compare_digest():
    """Those the module computes itself; libpass, argon2-cffi and bcrypt compare in constant time."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in SCHEME_MODULES]
    comparing = {function.name for tree in trees for function in ast.walk(tree) if isinstance(function, ast.FunctionDef)
                 for call in ast.walk(function) if isinstance(call, ast.Call)
                 and ast.unparse(call.func) == "hmac.compare_digest"}
    assert comparing == {"_django_verify", "_shiro_verify", "_message_digest_verify", "_recipe_verify"}


def test_passlibs_bcrypt_handler_is_not_used():
    """It breaks with bcrypt >= 4.1; bcrypt itself is called instead."""
    assert not any("libpass.bcrypt" in path.read_text(encoding="utf-8") for path in SCHEME_MODULES)
