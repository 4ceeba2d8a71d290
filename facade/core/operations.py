"""Marks which core methods are operations a mapping may call, and the
outcomes each may raise.

The engine reads each operation's keyword-only parameters, its return
annotation and its declared outcomes to check mappings at start-up; that
signature is the contract. The core checks the outcomes as it runs: one an
operation did not declare is a bug in the declaration.
"""
from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Callable

from facade.core.outcomes import Outcome

_MARK = "__facade_operation__"
_WRITES = "__facade_writes__"

# Parameters the engine fills itself, never from the wire.
SESSION = "session"   # the caller's Session, found through the dialect's session carrier
ORIGIN = "origin"     # the name of the dialect serving the request
APP = "app"           # the app id the request was checked against, or None
CLIENT = "client"     # the client's address (behind trusted proxies, the one they name)
FLOW = "flow"         # the secret of the client's live flow, or None
LEGACY = "legacy"     # the legacy server that checks a login the core cannot yet (a LegacyLogin), or None
ENGINE_SUPPLIED = (SESSION, ORIGIN, APP, CLIENT, FLOW, LEGACY)


def operation(*raises: type[Outcome], writes: bool = False) -> Callable[[Callable], Callable]:
    """Declares a core method an operation that may raise exactly the outcomes ``raises``. ``writes``:
    it changes what a user holds or sends them something (a registration, a code, a reset), so doing
    it twice, once here and once on a legacy server, is not harmless. A login opens a session only."""
    def mark(fn: Callable) -> Callable:
        setattr(fn, _MARK, frozenset(kind.id for kind in raises))
        setattr(fn, _WRITES, writes)
        return fn
    return mark


def declared_outcomes(fn: Callable) -> frozenset[str]:
    return getattr(fn, _MARK)


@dataclass(frozen=True)
class Signature:
    name: str
    required: frozenset[str]
    optional: frozenset[str]
    result: type | None
    hints: dict[str, Any]
    raises: frozenset[str] = frozenset()  # the outcome ids it may raise
    writes: bool = False  # see operation()

    @property
    def accepted(self) -> frozenset[str]:
        return self.required | self.optional

    def result_fields(self) -> dict[str, Any]:
        return _dataclass_fields(self.result)


def _dataclass_fields(cls: Any) -> dict[str, Any]:
    if not (isinstance(cls, type) and is_dataclass(cls)):
        return {}
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls)}


def nested_fields(annotation: Any) -> dict[str, Any]:
    """Fields of a dataclass annotation (``User | None`` counts as ``User``)."""
    for candidate in (annotation, *typing.get_args(annotation)):
        found = _dataclass_fields(candidate)
        if found:
            return found
    return {}


def signatures(core: type | object) -> dict[str, Signature]:
    """The operations of a core class (or instance), by name."""
    return {name: _signature(name, member) for name, member in inspect.getmembers(core, callable)
            if getattr(member, _MARK, None) is not None}


def _signature(name: str, method: Callable) -> Signature:
    params = [p for p in inspect.signature(method).parameters.values() if p.kind is p.KEYWORD_ONLY]
    hints = typing.get_type_hints(method)
    result = hints.get("return")
    return Signature(
        name=name,
        required=frozenset(p.name for p in params if p.default is inspect.Parameter.empty),
        optional=frozenset(p.name for p in params if p.default is not inspect.Parameter.empty),
        result=None if result is type(None) else result,
        hints=hints,
        raises=declared_outcomes(method),
        writes=getattr(method, _WRITES),
    )
