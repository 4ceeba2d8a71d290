"""What an operation's result holds, by path: what a route's templates and cookies may name."""
from __future__ import annotations

from typing import Any

from facade.core.operations import Signature, nested_fields


def result_has(signature: Signature, path: tuple[str, ...]) -> bool:
    return result_field(signature, path) is not None


def result_field(signature: Signature, path: tuple[str, ...]) -> Any:
    """The type of the result's field at ``path``, or None where it has none."""
    fields, hint = signature.result_fields(), None
    for part in path:
        if part not in fields:
            return None
        hint = fields[part]
        fields = nested_fields(hint)
    return hint
