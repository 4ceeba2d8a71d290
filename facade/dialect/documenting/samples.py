"""Made-up successes: what an operation's result would give a route's templates in the examples."""
from __future__ import annotations

import dataclasses
import typing
from typing import Any

from facade.core import models
from facade.core.operations import Signature, nested_fields
from facade.dialect.declarations import ABSENT, IDS, PARAMS, Dialect, Param, Route
from facade.dialect.tokens import FORMS

# Values a made-up result shows in the success examples, by field name, then by type.
SAMPLE_FIELDS: dict[str, Any] = {
    "id": 1, "user_id": 1, "public_id": "kqzvnwmbtrdpxfha", "gid": 100001, "passport": "13800138000",
    "username": "alice", "phone": "13800138000", "email": "alice@example.com", "contact_email": None,
    "nickname": "Alice", "gender": 2, "birthday": 631152000000, "avatar": None, "extra": None,
    "created_at": 1700000000.0, "updated_at": 1700000000.0, "expires_at": 1700604800.0,
    "token": "5f0c3b8e9a7d41c2b6e8f1a2d3c4b5a6", "code": "1234", "target": "13800138000", "channel": "sms",
    "purpose": "register", "name": "6b1d8e0f2a3c4d5e6f708192a3b4c5d6.png", "key": "theme", "value": "dark",
    "app_id": None, "device_key": None, "device_info": None,
}
SAMPLE_TYPES: dict[Any, Any] = {str: "text", int: 1, float: 1700000000.0, bool: False}
SAMPLE_KEY = "an-example-key-for-documents-only"  # signs the example JWTs; never a server's key


class Samples:
    def __init__(self, dialect: Dialect, signatures: dict[str, Signature]) -> None:
        self.dialect = dialect
        self.signatures = signatures
        self.codec = FORMS[dialect.session.token](SAMPLE_KEY, dialect, []) if dialect.session else None

    def context(self, route: Route) -> dict[str, Any]:
        """What a made-up success of the route's operation would give its templates."""
        signature = self.signatures.get(route.operation)
        result = _sample(signature.result, self.dialect.name) if signature else None
        context = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)} \
            if dataclasses.is_dataclass(result) else {}
        if "user" in context:
            context[IDS] = self.dialect.ids_of(context["user"])
        if "token" in context and self.codec is not None:
            context["token"] = self.codec.encode(result)
        context[PARAMS] = {p.target: _param_sample(p) for p in route.params}
        return context


def _param_sample(param: Param) -> Any:
    if param.const is not ABSENT:
        return param.const
    if param.default is not ABSENT:
        return param.convert(param.default)
    return SAMPLE_FIELDS.get(param.target, "text")


def _sample(kind: Any, origin: str) -> Any:
    """A made-up instance of an operation's result type (None for an operation that returns nothing)."""
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        return None
    hints = typing.get_type_hints(kind, vars(models))
    values = {}
    for field in dataclasses.fields(kind):
        hint = hints[field.name]
        nested = nested_fields(hint)
        if nested:
            values[field.name] = _sample(_dataclass_of(hint), origin)
        elif field.name == "origin":
            values[field.name] = origin
        elif field.name in SAMPLE_FIELDS:
            values[field.name] = SAMPLE_FIELDS[field.name]
        elif field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
            continue
        else:
            values[field.name] = next((v for t, v in SAMPLE_TYPES.items() if t in (hint, *typing.get_args(hint))),
                                      None)
    return kind(**values)


def _dataclass_of(hint: Any) -> Any:
    return next(c for c in (hint, *typing.get_args(hint)) if isinstance(c, type) and dataclasses.is_dataclass(c))
