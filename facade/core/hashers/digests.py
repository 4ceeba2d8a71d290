"""Bare hex digests at import (md5, sha1, sha256, sha512), with a salt before or after the
password or none: fixed recipes, stored and checked as the recipe scheme."""
from __future__ import annotations

from typing import Any, Mapping

import facade.core.recipes as recipes
from facade.core.hashers.reading import choice, hex_of, text_of
from facade.core.hashers.recipe import recipe_payload

SALT_POSITIONS = {"before": "{digest}(salt + password)", "after": "{digest}(password + salt)"}


def _digest_recipe(digest: str, spec: Mapping[str, Any]) -> str:
    if "salt" not in spec:
        if "salt_position" in spec:
            raise ValueError("salt_position without a salt")
        return f"{digest}(password)"
    position = choice(SALT_POSITIONS, spec.get("salt_position"))
    if position is None:
        raise ValueError(f"a salt needs salt_position: {' or '.join(SALT_POSITIONS)}")
    return position.format(digest=digest)


def check(digest: str, spec: Mapping[str, Any]) -> None:
    _digest_recipe(digest, spec)


def imported(digest: str, spec: Mapping[str, Any]) -> str:
    if "salt" not in spec and "salt_position" not in spec:
        # What recipe_payload writes for a bare digest, without parsing and checking its one recipe per row:
        # an import of a million md5s spends its time here (tests/test_hashers_import.py holds the two equal).
        expected = hex_of(text_of(spec["value"], "value"), recipes.HEX_LENGTHS[digest] // 2,
                          f"value (the {digest} digest)")
        return f'recipe:{{"hash":"{expected}","inputs":{{}},"recipe":"{digest}(password)"}}'
    inputs = {"salt": spec["salt"]} if "salt" in spec else {}
    return f"recipe:{recipe_payload(_digest_recipe(digest, spec), inputs, spec['value'])}"
