"""What type of value a parameter hands its operation, checked at start-up against the type the
operation's argument takes, so that a mapping that would pass text where a number belongs is
refused with its route instead of failing on every request."""
from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any

from facade.core.operations import nested_fields
from facade.dialect.transforms import NAMES

# What each conversion returns, by its name in TRANSFORMS.
RETURNS: dict[str, type] = {"str": str, "int": int, "bool": bool, "epoch_ms": int, "base64": str, "phone": str,
                            "json_object": dict, "file": bytes, "filename": str}
WORDS = {str: "text", int: "an integer", bool: "a boolean", dict: "a JSON object", bytes: "a file's bytes",
         float: "a number", list: "a list", type(None): "nothing"}


def gives(conversions: tuple[Any, ...], choose: dict[str, Any] | None) -> frozenset[type] | None:
    """The types a parameter may pass on (None: not known, e.g. a value the flow kept as it was)."""
    if choose is not None:
        return frozenset(type(v) for v in choose.values())
    if not conversions:
        return None
    return frozenset({RETURNS[NAMES[conversions[-1]]]})


def fits(kind: type, hint: Any) -> bool:
    if hint is Any:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(fits(kind, arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return any(type(v) is kind for v in typing.get_args(hint))
    target = origin or hint
    if not isinstance(target, type):
        return True  # a protocol or alias the engine cannot judge: the operation's own checks stand
    if kind is bool and target is not bool:
        return False  # a boolean is no integer here, whatever Python says
    return issubclass(kind, target)


def writable(hint: Any) -> bool:
    """Whether a template may write a result field of this type: a value, not a record or a read-only map
    (a JSON encoder takes neither)."""
    if nested_fields(hint):
        return False
    return not any(typing.get_origin(h) is collections.abc.Mapping for h in (hint, *typing.get_args(hint)))


def described(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(described(arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(hint))
    return WORDS.get(origin or hint, getattr(hint, "__name__", str(hint)))
