"""Structural comparison of two JSON documents, shared by the contract runner (an expected answer
against a server's) and shadow comparison (the facade's answer against the legacy server's).

Differences are named by RFC 6901 JSON pointer. A volatile pointer (a token, an id, an expiry: a
value that differs every run or between two servers) is compared for presence only, never value.
"""
from __future__ import annotations

from typing import Any

MISSING = "<absent>"
VOLATILE = "a value (volatile)"


def differences(expected: Any, got: Any, volatile: frozenset[str] | set[str] = frozenset()
                ) -> list[tuple[str, Any, Any]]:
    """(pointer, expected value, got value) for each place the documents differ, in document order;
    a key on one side only is MISSING on the other."""
    found: list[tuple[str, Any, Any]] = []
    _diff(expected, got, "", volatile, found)
    return found


def _diff(expected: Any, got: Any, pointer: str, volatile: frozenset[str] | set[str],
          found: list[tuple[str, Any, Any]]) -> None:
    if pointer in volatile:
        return
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in [*expected, *(k for k in got if k not in expected)]:
            here = f"{pointer}/{escape(key)}"
            if key not in got and here in volatile:  # present, whatever its value
                found.append((here, VOLATILE, MISSING))
            elif key not in expected or key not in got:
                if here not in volatile:
                    found.append((here, expected.get(key, MISSING), got.get(key, MISSING)))
            else:
                _diff(expected[key], got[key], here, volatile, found)
        return
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (want, have) in enumerate(zip(expected, got, strict=True)):
            _diff(want, have, f"{pointer}/{i}", volatile, found)
        return
    if expected != got or type(expected) is not type(got):  # 1 and true, 0 and false differ on the wire
        found.append((pointer or "/", expected, got))


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
