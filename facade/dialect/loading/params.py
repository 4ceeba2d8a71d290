"""A route's parameters, fixed values and 'when' conditions, each read as the wire sends it."""
from __future__ import annotations

import re
from typing import Any

from facade.core.outcomes import Outcome
from facade.dialect import argtypes
from facade.dialect.declarations import ABSENT, Condition, Param
from facade.dialect.loading.one_or_many import as_tuple
from facade.dialect.transforms import FILENAME, TRANSFORMS, TYPES, to_str

CHOOSE_KEYS = {"boolean": ("true", "false"), "integer": None}  # what a key can be, by type (None: digits)


def fixed(target: str, value: Any) -> Param:
    return Param(target=target, name=None, sources=(), const=value, gives=frozenset({type(value)}))


def param(spec: dict[str, Any], paths: tuple[str, ...], reads: tuple[str, ...]) -> Param:
    names = as_tuple(spec["name"])
    target = spec.get("binds", names[0])
    sources = as_tuple(spec.get("in", reads))
    variables = [re.compile(r"\{%s(:[^}]*)?\}" % re.escape(n)) for n in names]
    # Some paths may lack the variable when other sources can carry it (an optional trailing segment).
    needed = all if sources == ("path",) else any
    if "path" in sources and not needed(v.search(p) for p in paths for v in variables):
        where = "a path has no" if needed is all else "no path has"
        raise ValueError(f"parameter {names[0]!r} is read from the path but {where} {{{names[0]}}}")
    choose = spec.get("choose")
    if choose is not None and not all(isinstance(k, str) for k in choose):
        raise ValueError(f"parameter {names[0]!r}: 'choose' keys must be quoted strings (\"true\", not true)")
    extract = re.compile(spec["extract"]) if "extract" in spec else None
    if extract is not None and extract.groups != 1:
        raise ValueError(f"parameter {names[0]!r}: 'extract' needs exactly one group, has {extract.groups}")
    conversions = _conversions(spec, names[0], sources)
    _check_choose_keys(spec, names[0])
    param = Param(
        target=target, name=names[0], names=names, sources=sources, match=extract, confirm=spec.get("confirm"),
        confirm_sources=tuple(s for s in reads if s != "flow"), required=spec.get("required", "default" not in spec),
        transforms=conversions, default=spec.get("default", ABSENT), choose=choose,
        description=spec.get("description", ""), gives=argtypes.gives(conversions, choose))
    _check_default(param)
    return param


def _check_choose_keys(spec: dict[str, Any], name: str) -> None:
    """A key is the converted value's text: a boolean's is true or false, an integer's its digits."""
    kind = spec.get("type", "string")
    if "choose" not in spec or kind not in CHOOSE_KEYS or spec.get("transform"):
        return
    for key in spec["choose"]:
        allowed = CHOOSE_KEYS[kind]
        if (allowed is not None and key not in allowed) or (allowed is None and not key.lstrip("-").isdigit()):
            raise ValueError(f"parameter {name!r}: 'choose' key {key!r} can never match a value of type {kind} "
                             f"(keys are the converted value's text: {', '.join(allowed or ('digits',))})")


def _conversions(spec: dict[str, Any], name: str, sources: tuple[str, ...]) -> tuple[Any, ...]:
    """The wire type's conversion, then the transforms in the order listed. A file is its bytes unless
    the entry asks for its name. A value only the flow holds is the server's own, kept as it was."""
    if sources == ("flow",) and "type" not in spec and "transform" not in spec:
        return ()
    kind = spec.get("type", "string")
    transforms = as_tuple(spec.get("transform", ()))
    if kind == "file":
        if set(transforms) - {FILENAME}:
            raise ValueError(f"parameter {name!r}: a file takes no transform but {FILENAME!r}")
        return (TRANSFORMS[FILENAME],) if transforms else (TRANSFORMS[TYPES["file"]],)
    if FILENAME in transforms:
        raise ValueError(f"parameter {name!r}: {FILENAME!r} needs type: file")
    return (TRANSFORMS[TYPES[kind]], *(TRANSFORMS[t] for t in transforms))


def check_bound_once(params: tuple[Param, ...]) -> None:
    seen: set[str] = set()
    for param in params:
        if param.target in seen:
            raise ValueError(f"operation argument {param.target!r} is bound twice (fixed, or two parameters)")
        seen.add(param.target)


def _check_default(param: Param) -> None:
    if param.default is ABSENT:
        return
    try:
        param.convert(param.default)
    except Outcome as error:
        raise ValueError(f"parameter {param.target!r}: default {param.default!r} fails: {error.detail}") from None


def condition(raw: dict[str, Any], reads: tuple[str, ...]) -> Condition:
    sources = as_tuple(raw.get("in", reads))
    if "present" in raw:
        return Condition(raw["name"], sources, present=raw["present"])
    return Condition(raw["name"], sources, equals=to_str(raw["equals"]))
