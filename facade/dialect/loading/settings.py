"""The mapping's settings, its defaults with the config's choices over them."""
from __future__ import annotations

from typing import Any


def resolve(declared: dict[str, dict[str, Any]], chosen: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The mapping's defaults with the config's choices over them, each of its default's type."""
    defaults = {k: v["default"] for k, v in declared.items()}
    for name, value in chosen.items():
        if name not in defaults:
            raise ValueError(f"config dialects.{dialect}.{name}: no such setting "
                             f"(have: {', '.join(defaults) or 'none'})")
        if type(value) is not type(defaults[name]):
            raise ValueError(f"config dialects.{dialect}.{name}: expected {type(defaults[name]).__name__}, "
                             f"got {value!r}")
    return {**defaults, **chosen}


def notes(declared: dict[str, dict[str, Any]]) -> dict[str, str]:
    """What each setting is for, where the mapping says."""
    return {k: v["description"] for k, v in declared.items() if "description" in v}
