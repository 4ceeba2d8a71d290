"""A route's templates and slots checked against what its operation returns and its envelopes."""
from __future__ import annotations

from typing import Any, Callable

from facade.core.operations import Signature, nested_fields
from facade.dialect import argtypes
from facade.dialect.declarations import IDS, PARAMS, Dialect, FlowEffects, Param
from facade.dialect.loading.results import result_field, result_has
from facade.dialect.templates import check_refs, compile_template


def known_refs(signature: Signature, params: tuple[Param, ...], dialect: Dialect) -> Callable[[tuple[str, ...]], bool]:
    """What a route's templates may name: its operation's result, its parameters, the dialect's ids."""
    targets = {p.target for p in params}
    return lambda path: (_result_shows(signature, path) or _is_param(path, targets)
                         or _is_id(path, dialect, signature))


def _result_shows(signature: Signature, path: tuple[str, ...]) -> bool:
    """A value of the result a template may write: a field, never a whole record (no JSON holds one)."""
    hint = result_field(signature, path)
    if hint is None:
        return False
    fields = nested_fields(hint)
    if fields:
        raise ValueError(f"${'.'.join(path)} is a record, not a value: name one of its fields "
                         f"({', '.join(n for n, h in fields.items() if argtypes.writable(h))})")
    if not argtypes.writable(hint):
        raise ValueError(f"${'.'.join(path)} is not a value a template can write")
    return True


def _is_id(path: tuple[str, ...], dialect: Dialect, signature: Signature) -> bool:
    """``$ids.userId``: the dialect's id of the user the operation returns."""
    return len(path) == 2 and path[0] == IDS and path[1] in dialect.ids and result_has(signature, ("user",))


def _is_param(path: tuple[str, ...], targets: set[str]) -> bool:
    """``$params.password``: what the request said, after its transforms."""
    return len(path) == 2 and path[0] == PARAMS and path[1] in targets


def flow_effects(raw: dict[str, Any] | None, dialect: Dialect, known: Any,
                 params: tuple[Param, ...]) -> FlowEffects | None:
    uses_flow = raw is not None or any("flow" in p.sources for p in params)
    if uses_flow and dialect.flow_cookie is None:
        raise ValueError("uses a flow but the mapping declares no extensions.flow")
    if raw is None:
        return None
    keep = compile_template(raw.get("keep"), dialect.settings)
    check_refs(keep, known)
    return FlowEffects(start=raw.get("start", False), keep=keep, end=raw.get("end", False))


def failure_template(raw: Any, dialect: Dialect) -> Any:
    if raw is None:
        return None
    template = compile_template(raw, dialect.settings)
    check_refs(template, lambda path: len(path) == 1 and path[0] in dialect.failure.slots)
    return template
