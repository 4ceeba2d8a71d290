"""Rewrites a mapping in the first mapping language as version 2.

The first language grew by accretion: parameters keyed by core argument
while checks and conditions were keyed by wire name, 'default' meaning both
a fallback outcome and a parameter's value, one 'cookie' word for a
declaration and an effect, types and input transforms in one list. A team
that wrote its own mappings keeps them: 'facade upgrade-mapping' turns each
into version 2, which the loader then checks as it checks any mapping. The
leading comment block becomes the dialect's description; other comments are
lost, which the command says.
"""
from __future__ import annotations

import re
from typing import Any

import yaml

from facade.dialect.transforms import TYPES as WIRE_TYPES

DEFAULT_SOURCES = ["query", "form", "multipart", "json"]  # where the first language read an entry with no 'in'
TYPES = {conversion: kind for kind, conversion in WIRE_TYPES.items()}  # the first language's names -> type
FILTERS = {"str": "as_text", "epoch_ms": "as_epoch_ms"}  # output filters, renamed apart from input transforms


class UpgradeError(Exception):
    """Something version 2 says differently enough that a person must decide it."""


def upgrade(raw: dict[str, Any], comment: str = "") -> dict[str, Any]:
    """The version 2 form of a first-language mapping (already parsed)."""
    out: dict[str, Any] = {"version": 2}
    if comment:
        out["description"] = comment
    for key in ("about",):
        if key in raw:
            out[key] = raw[key]
    if "settings" in raw:
        out["settings"] = {name: {"default": value} for name, value in raw["settings"].items()}
    for key in ("json", "ids"):
        if key in raw:
            out[key] = raw[key]
    out["parameters"] = {"in": DEFAULT_SOURCES}
    extensions = _dialect_extensions(raw)
    if "session" in raw:
        out["session"] = {k: v for k, v in raw["session"].items() if k != "cookie"}
    for key in ("app", "schemas", "url_space"):
        if key in raw:
            out[key] = raw[key]
    out["envelope"] = _envelope(raw)
    out["outcomes"] = {k: v for k, v in raw.get("outcomes", {}).items() if k != "default"}
    if extensions:
        out["extensions"] = extensions
    out["routes"] = [_route(route) for route in raw.get("routes", [])]
    return _filters_renamed(out)


def _dialect_extensions(raw: dict[str, Any]) -> dict[str, Any]:
    extensions: dict[str, Any] = {}
    if isinstance(raw.get("session"), dict) and "cookie" in raw["session"]:
        extensions["session_cookie"] = raw["session"]["cookie"]
    if "flow" in raw:
        extensions["flow"] = raw["flow"]
    if "static" in raw:
        extensions["static"] = raw["static"]
    return extensions


def _envelope(raw: dict[str, Any]) -> dict[str, Any]:
    """The first language's outcomes.default was the failure envelope's slots by another name."""
    envelope = {k: dict(v) for k, v in raw.get("envelope", {}).items()}
    fallback = dict(raw.get("outcomes", {}).get("default") or {})
    if "failure" in envelope and fallback:
        if "status" in fallback:
            envelope["failure"]["status"] = fallback.pop("status")
        if "body" in fallback:
            raise UpgradeError("outcomes.default has a body of its own: make it envelope.failure.body by hand")
        envelope["failure"]["slots"] = {**envelope["failure"].get("slots", {}), **fallback}
    return envelope


def _route(raw: dict[str, Any]) -> dict[str, Any]:
    route: dict[str, Any] = {"id": raw.get("name"), "method": raw.get("method"), "path": raw.get("path")}
    if "when" in raw:
        route["when"] = [_condition(name, value) for name, value in raw["when"].items()]
    route["operation"] = raw.get("operation")
    params = raw.get("params", {})
    fixed = {target: spec["const"] for target, spec in params.items() if "const" in spec}
    if fixed:
        route["fixed"] = fixed
    parameters = [_parameter(spec["name"] if "name" in spec else name, spec, None)
                  for name, spec in raw.get("checks", {}).items()]
    parameters += [_parameter(spec.get("name"), spec, target) for target, spec in params.items() if "const" not in spec]
    if parameters:
        route["parameters"] = parameters
    success = {k: v for k, v in (("slots", raw.get("success")), ("data", raw.get("data")),
                                 ("schema", raw.get("response_schema"))) if v is not None}
    if "data" in raw and raw["data"] is None:
        success["data"] = None
    if success:
        route["success"] = success
    failure = {k: v for k, v in (("slots", raw.get("failure")), ("body", raw.get("failure_body"))) if v is not None}
    if failure:
        route["failure"] = failure
    for key in ("outcomes", "max_body_bytes"):
        if key in raw:
            route[key] = raw[key]
    extensions = {k: v for k, v in (("session_cookie", raw.get("cookie")), ("flow", raw.get("flow"))) if v is not None}
    if extensions:
        route["extensions"] = extensions
    return route


def _condition(name: str, expected: Any) -> dict[str, Any]:
    if isinstance(expected, dict):
        return {"name": name, **expected}
    return {"name": name, "equals": expected}


def _parameter(name: Any, spec: dict[str, Any], target: str | None) -> dict[str, Any]:
    if "known" in spec:
        raise UpgradeError(f"parameter {name!r}: 'known' is not in version 2; a flow value is compared with "
                           f"'confirm' or kept by the route's extensions.flow")
    entry: dict[str, Any] = {"name": name}
    if target is not None:
        entry["binds"] = target
    if "in" in spec:
        entry["in"] = spec["in"]
    transforms = spec.get("transform", [])
    transforms = [transforms] if isinstance(transforms, str) else list(transforms)
    types = [TYPES[t] for t in transforms if t in TYPES]
    if any(t in TYPES and t != "str" for t in transforms[1:]):
        raise UpgradeError(f"parameter {name!r}: transform {transforms}: version 2 reads the wire type first, "
                           f"then the transforms; write this one by hand")
    if types and types[0] != "string":
        entry["type"] = types[0]
    rest = [t for t in transforms if t not in TYPES]
    if "filename" in rest:
        entry["type"] = "file"
    if rest:
        entry["transform"] = rest[0] if len(rest) == 1 else rest
    for key, new in (("required", "required"), ("default", "default"), ("choose", "choose"), ("match", "extract"),
                     ("confirm", "confirm")):
        if key in spec:
            entry[new] = spec[key]
    return entry


def _filters_renamed(value: Any) -> Any:
    """``$x|str`` is ``$x|as_text`` now: output filters no longer share names with input transforms."""
    if isinstance(value, dict):
        return {k: _filters_renamed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_filters_renamed(v) for v in value]
    if isinstance(value, str) and value.startswith("$") and "|" in value:
        head, *filters = value.split("|")
        return "|".join([head, *(FILTERS.get(f, f) for f in filters)])
    return value


def leading_comment(text: str) -> str:
    """The comment block a mapping opens with, as plain text."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].removeprefix(" "))
    return "\n".join(lines).strip()


class _Dumper(yaml.SafeDumper):
    """Block style for descriptions and nested values; one line for a short collection of scalars."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # a list under a key is indented, as people write it


FLOW_WIDTH = 90


def _short(items: list[Any]) -> bool:
    return (all(not isinstance(i, (dict, list)) for i in items)
            and sum(len(str(i)) + 4 for i in items) < FLOW_WIDTH)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=_short(value))


def _dict(dumper: yaml.SafeDumper, value: dict[str, Any]) -> yaml.Node:
    leaves = [*value.keys(), *(", ".join(map(str, v)) if isinstance(v, list) and _short(v) else v
                               for v in value.values())]
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=_short(leaves))


_Dumper.add_representer(str, _text)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)


def dump(mapping: dict[str, Any]) -> str:
    """YAML a person edits next: a blank line between sections and between routes."""
    text = yaml.dump(mapping, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return re.sub(r"(?<!routes:)\n(?=[a-z_]+:|  - id:)", "\n\n", text)
