"""Structural comparison of two JSON documents: an expected answer against a server's (the contract
kit), the facade's answer against the legacy server's (shadow mode).

Differences are named by RFC 6901 JSON pointer, in document order, each with both values. What
differs on the wire differs here: 1 and "1", 1 and true, null and an absent key, lists of two
lengths. A volatile pointer (facade/wire/volatile.py) is compared for presence only: on both sides,
whatever its value. Key order is a difference only where the wire is byte-exact (``ordered``):
a JSON reader does not see it, a client comparing bytes does.
"""
from __future__ import annotations

from typing import Any, NamedTuple

MISSING = "<absent>"
VOLATILE = "a value (volatile)"
VALUE, ORDER = "value", "key order"  # a Difference's kind; an ORDER difference holds both key lists


class Difference(NamedTuple):
    pointer: str  # "/" for the whole document
    left: Any  # the expected answer's value, or the facade's
    right: Any  # the server's, or the legacy server's
    kind: str = VALUE


def differences(left: Any, right: Any, volatile: frozenset[str] | set[str] = frozenset(),
                ordered: bool = False) -> list[Difference]:
    """Every place the documents differ; a key on one side only is MISSING on the other."""
    found: list[Difference] = []
    _Walk(volatile, ordered, found).diff(left, right, "")
    return found


class _Walk:
    def __init__(self, volatile: frozenset[str] | set[str], ordered: bool, found: list[Difference]) -> None:
        self.volatile, self.ordered, self.found = volatile, ordered, found

    def diff(self, left: Any, right: Any, pointer: str) -> None:
        if pointer in self.volatile:
            return
        if isinstance(left, dict) and isinstance(right, dict):
            self._objects(left, right, pointer)
        elif isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
            for i, (one, other) in enumerate(zip(left, right)):
                self.diff(one, other, f"{pointer}/{i}")
        elif left != right or type(left) is not type(right):  # 1 and true, 0 and false differ on the wire
            self.found.append(Difference(pointer or "/", left, right))

    def _objects(self, left: dict[str, Any], right: dict[str, Any], pointer: str) -> None:
        if self.ordered and _shared(left, right) != _shared(right, left):
            self.found.append(Difference(pointer or "/", list(left), list(right), ORDER))
        for key in [*left, *(k for k in right if k not in left)]:
            here = f"{pointer}/{escape(key)}"
            if key in left and key in right:
                self.diff(left[key], right[key], here)
            else:
                self.found.append(Difference(here, self._shown(left, key, here), self._shown(right, key, here)))

    def _shown(self, side: dict[str, Any], key: str, here: str) -> Any:
        if key not in side:
            return MISSING
        return VOLATILE if here in self.volatile else side[key]


def _shared(one: dict[str, Any], other: dict[str, Any]) -> list[str]:
    return [key for key in one if key in other]


def at(document: Any, pointer: str) -> Any:
    """RFC 6901; MISSING where nothing is."""
    value = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return MISSING
    return value


def escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")
