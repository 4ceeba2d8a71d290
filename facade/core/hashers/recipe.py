"""Recipes (facade/core/recipes.py): a legacy system's own digest of the password and a row's
inputs, such as md5(login_name + password + salt); stored as JSON with the recipe, its inputs
and the hash."""
from __future__ import annotations

import functools
import hmac
import json
from typing import Any, Mapping

import facade.core.recipes as recipes
from facade.core.hashers.limits import INPUT_MAX_LENGTH
from facade.core.hashers.reading import Format, hex_of, text_of, utf8


@functools.lru_cache(maxsize=256)
def _parsed(text: str, names: frozenset[str]) -> recipes.Recipe:
    """An import's rows share one recipe: parsed once."""
    return recipes.parse(text, names)


def _recipe(text: Any, inputs: Any) -> recipes.Recipe:
    if not isinstance(text, str):
        raise ValueError("the recipe is not text")
    if not isinstance(inputs, Mapping):
        raise ValueError("inputs is not a mapping of names to values")
    if "password" in inputs:
        raise ValueError("'password' is the password itself, not an input")
    recipe = _parsed(text, frozenset(inputs))
    if "password" not in recipe.names:
        raise ValueError("the recipe does not use the password")
    if recipe.digest is None:
        raise ValueError("the recipe's result is not a digest: it would keep the password itself")
    unused = set(inputs) - recipe.names
    if unused:
        raise ValueError(f"inputs the recipe does not use: {', '.join(sorted(map(str, unused)))}")
    return recipe


def recipe_payload(text: Any, inputs: Mapping[str, Any], value: Any) -> str:
    """The stored payload, normalised: inputs as text, the hash as lowercase hex of the
    length the recipe's outer digest gives."""
    recipe = _recipe(text, inputs)
    size = recipes.HEX_LENGTHS[recipe.digest] // 2
    expected = hex_of(text_of(value, "value"), size, f"value (the {recipe.digest} digest)")
    return json.dumps({"recipe": recipe.text, "hash": expected,
                       "inputs": {name: _input(inputs[name], name) for name in sorted(inputs)}},
                      separators=(",", ":"), sort_keys=True)


def _recipe_read(payload: str) -> str:
    try:
        stored = json.loads(payload)
        text, inputs, expected = stored["recipe"], stored["inputs"], stored["hash"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("not a recipe's JSON (recipe, inputs, hash)") from None
    return recipe_payload(text, inputs, expected)


def _recipe_verify(password: str, payload: str) -> bool:
    stored = json.loads(_recipe_read(payload))
    recipe = recipes.parse(stored["recipe"], stored["inputs"])
    computed = recipe.evaluate({**stored["inputs"], "password": password}).lower()
    return hmac.compare_digest(utf8(computed), utf8(stored["hash"]))


def _input(value: Any, name: str) -> str:
    """A row value fed to a recipe: text, or a whole number as its decimal text (a numeric
    salt column); NULL is refused, since Java would hash 'null' and PHP ''."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"input '{name}' is not text")
    if len(value) > INPUT_MAX_LENGTH:
        raise ValueError(f"input '{name}' is longer than {INPUT_MAX_LENGTH} characters")
    return value


FORMAT = Format(_recipe_verify, _recipe_read)


def check(spec: Mapping[str, Any]) -> None:
    _recipe(spec["recipe"], spec.get("inputs", {}))


def imported(spec: Mapping[str, Any]) -> str:
    return f"recipe:{recipe_payload(spec['recipe'], spec.get('inputs', {}), spec['value'])}"
