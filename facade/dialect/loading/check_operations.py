"""A route checked against the core operation it calls, its arguments, values and outcomes."""
from __future__ import annotations

import typing

from facade.core.operations import ENGINE_SUPPLIED, SESSION, Signature
from facade.core.outcomes import (OUTCOMES, AppInvalid, BodyTooLarge, Internal, InvalidInput, InvalidParameter,
                                  MalformedBody, MissingParameter, NotLoggedIn, OutOfOrder, Overloaded, TokenInvalid,
                                  UnsupportedMediaType, UpstreamUnavailable)
from facade.dialect import argtypes
from facade.dialect.declarations import ABSENT, Dialect, Param, Route
from facade.dialect.loading.results import result_has

LIFETIME = "ttl"  # the operations' name for a session lifetime in seconds
# What the engine itself may answer on a route, besides its operation's outcomes: reading the request
# on any route, a legacy server the config proxies any route to, the session where the route takes
# one, the app where the dialect checks one, the flow where the route reads one.
ENGINE_OUTCOMES = (Internal, InvalidInput, MissingParameter, InvalidParameter, MalformedBody, UnsupportedMediaType,
                   BodyTooLarge, Overloaded, UpstreamUnavailable)
SESSION_OUTCOMES = (NotLoggedIn, TokenInvalid)
APP_OUTCOMES = (AppInvalid,)
FLOW_OUTCOMES = (OutOfOrder,)


def check_arguments(signature: Signature, params: tuple[Param, ...], dialect: Dialect) -> None:
    given = {p.target for p in params}
    for target in sorted(given):
        if target not in signature.accepted or target in ENGINE_SUPPLIED:
            takes = ", ".join(sorted(signature.accepted - set(ENGINE_SUPPLIED))) or "nothing from the wire"
            raise ValueError(f"operation {signature.name!r} has no parameter {target!r} (it takes: {takes})")
    missing = signature.required - given - set(ENGINE_SUPPLIED)
    if missing:
        raise ValueError(f"operation {signature.name!r} needs {', '.join(sorted(missing))}, not mapped")
    if SESSION in signature.accepted and dialect.session is None:
        raise ValueError(f"operation {signature.name!r} needs a session but the mapping declares no 'session'")
    for param in params:
        _check_const(signature, param)
        _check_type(signature, param)


def _check_type(signature: Signature, param: Param) -> None:
    hint = signature.hints.get(param.target)
    for kind in param.gives or ():
        if hint is not None and not argtypes.fits(kind, hint):
            what = f"parameter {param.name!r}" if param.name else f"fixed {param.target!r}"
            raise ValueError(f"{what}: operation {signature.name!r} takes {argtypes.described(hint)} as "
                             f"{param.target!r}, and this gives {argtypes.WORDS.get(kind, kind.__name__)}"
                             + (" (set its type)" if param.name else ""))


def _check_const(signature: Signature, param: Param) -> None:
    """A fixed or chosen value must be one the operation's Literal allows."""
    hint = signature.hints.get(param.target)
    if typing.get_origin(hint) is not typing.Literal:
        return
    allowed = typing.get_args(hint)
    values = [param.const] if param.const is not ABSENT else list((param.choose or {}).values())
    for value in values:
        if value not in allowed:
            raise ValueError(f"parameter {param.target!r}: {value!r} is not one of {list(allowed)}")


def check_lifetimes(params: tuple[Param, ...], longest: int | None) -> None:
    """A session lifetime a mapping fixes must be one the config allows, or every login would fail."""
    for param in params:
        if param.target != LIFETIME or longest is None:
            continue
        fixed = [param.const, param.default, *(param.choose or {}).values()]
        too_long = [v for v in fixed if isinstance(v, int) and v > longest]
        if too_long:
            raise ValueError(f"parameter {LIFETIME!r}: {too_long[0]} s is longer than "
                             f"security.session_ttl_max ({longest} s)")


def check_cookie(effect: str | None, signature: Signature, dialect: Dialect) -> None:
    if effect is None:
        return
    if dialect.session is None or dialect.session.cookie is None:
        raise ValueError(f"extensions.session_cookie: {effect!r} needs the dialect's extensions.session_cookie")
    if effect == "issue" and not result_has(signature, ("token",)):
        raise ValueError(f"extensions.session_cookie: 'issue' needs an operation that returns a token; "
                         f"{signature.name!r} does not")


def answerable(route: Route, signature: Signature, dialect: Dialect) -> frozenset[str]:
    """What the operation declares it raises, and what the engine may answer on this route."""
    engine = [*ENGINE_OUTCOMES, *(SESSION_OUTCOMES if SESSION in route.supplied else ()),
              *(APP_OUTCOMES if dialect.app is not None else ()), *(FLOW_OUTCOMES if route.uses_flow else ())]
    return signature.raises | {kind.id for kind in engine}


def check_outcomes(route: Route, signature: Signature) -> None:
    """An entry for an outcome the route can never answer is a mistake (a typo, a copied route): an
    entry covers its own id and every refinement of it (invalid_input covers malformed_body)."""
    for outcome_id in route.outcomes:
        if not any(outcome_id in OUTCOMES[answered].chain() for answered in route.raises):
            raise ValueError(f"outcomes.{outcome_id}: operation {signature.name} never raises it, nor does the "
                             f"engine on this route (it may answer: {', '.join(sorted(route.raises))})")
