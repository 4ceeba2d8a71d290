"""What an operation reads from the wire: its parameters and request bodies, merged over its routes."""
from __future__ import annotations

import json
import re
from typing import Any

from facade.dialect.declarations import ABSENT, Param, Route
from facade.dialect.sources import FORM, MULTIPART
from facade.dialect.transforms import NAMES

JSON = "application/json"
BODY_MEDIA = {"form": FORM, "multipart": MULTIPART, "json": JSON}  # sources a request body carries
BODILESS = ("GET", "HEAD")  # methods whose body is documented only when a value can travel nowhere else
# What each transform asks of the wire, as a JSON Schema.
TRANSFORM_SCHEMAS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "bool": {"type": "boolean"},
    "epoch_ms": {"anyOf": [{"type": "integer"}, {"type": "string", "format": "date"}],
                 "examples": [631152000000, "1990-01-01"]},
    "base64": {"type": "string", "contentEncoding": "base64", "examples": ["MTIzNDU2"]},
    "phone": {"type": "string", "examples": ["13800138000"]},
    "json_object": {"type": "string", "contentMediaType": JSON, "contentSchema": {"type": "object"},
                    "examples": ['{"os":"android","model":"MI 6"}']},
    "file": {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"},
    "filename": {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"},
}
TRANSFORM_NOTES = {
    "bool": "true/false, also 1/0, yes/no, on/off",
    "epoch_ms": "epoch milliseconds or a YYYY-MM-DD date (midnight UTC)",
    "base64": "standard base64 (padded) of UTF-8 text",
    "phone": "a mobile number; an e-mail address here is refused",
    "json_object": "a JSON object, as text",
    "file": "a file",
}


def condition_text(condition: Any) -> str:
    if condition.present is not None:
        return f"`{condition.name}` is {'sent' if condition.present else 'not sent'}"
    return f"`{condition.name}` is `{condition.equals}`"


def _path_names(path: str) -> set[str]:
    return set(re.findall(r"\{([^}:]+)(?::[^}]*)?\}", path))

class Wire:
    """The parameters and body properties one operation reads, merged over its routes."""

    def __init__(self, path: str) -> None:
        self.path_names = _path_names(path)
        self.places: dict[tuple[str, str], dict[str, Any]] = {}  # (in, name) -> parameter or body property

    def add_route(self, route: Route, alone: bool) -> None:
        for param in (*route.params, *route.checks):
            if param.const is not ABSENT:
                continue
            spots = [(s, n) for n in param.names for s in param.sources
                     if s != "flow" and (s != "path" or n in self.path_names)]
            for source, name in spots:
                required = source == "path" or (param.required and param.default is ABSENT and len(spots) == 1)
                self._add(source, name, _param_schema(param), _param_note(param, spots), required and alone)
        for condition in route.conditions:
            schema = {"type": "string"} if condition.equals is None else {"type": "string", "enum": [condition.equals]}
            note = f"Picks {route.name} when {condition_text(condition)}."
            for source in condition.sources:
                self._add(source, condition.name, schema, note, False)

    def _add(self, source: str, name: str, schema: dict[str, Any], note: str, required: bool) -> None:
        spot = self.places.get((source, name))
        if spot is None:
            self.places[(source, name)] = {"schema": schema, "notes": [note] if note else [], "required": required}
            return
        if spot["schema"] != schema:
            spot["schema"] = _either(spot["schema"], schema)
        if note and note not in spot["notes"]:
            spot["notes"].append(note)
        spot["required"] = spot["required"] and required

    def parameters(self) -> list[dict[str, Any]]:
        out = []
        for (source, name), spot in self.places.items():
            if source in BODY_MEDIA:
                continue
            parameter = {"name": name, "in": source, "required": spot["required"], "schema": spot["schema"]}
            if spot["notes"]:
                parameter["description"] = " ".join(spot["notes"])
            out.append(parameter)
        return out

    def request_body(self, method: str) -> dict[str, Any] | None:
        bodies: dict[str, dict[str, Any]] = {}
        for (source, name), spot in self.places.items():
            if source not in BODY_MEDIA:
                continue
            body = bodies.setdefault(BODY_MEDIA[source], {"type": "object", "properties": {}})
            body["properties"][name] = {**spot["schema"], **({"description": " ".join(spot["notes"])}
                                                              if spot["notes"] else {})}
            if spot["required"]:
                body.setdefault("required", []).append(name)
        if not bodies:
            return None
        elsewhere = {name for (source, name) in self.places if source not in BODY_MEDIA}
        only_in_body = any(n not in elsewhere for b in bodies.values() for n in b["properties"])
        if method in BODILESS and not only_in_body:
            return None  # a GET reads a body too, but every value it takes also travels in the query
        return {"required": any("required" in b for b in bodies.values()),
                "content": {media: {"schema": schema} for media, schema in bodies.items()}}


def _either(one: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Two routes reading one name differently: either schema."""
    if set(one) == {"type", "enum"} and set(other) == {"type", "enum"} and one["type"] == other["type"]:
        return {"type": one["type"], "enum": list(dict.fromkeys([*one["enum"], *other["enum"]]))}
    if one.get("type") == "string" and set(one) == {"type"}:
        return one if other.get("type") == "string" else {"anyOf": [one, other]}
    if other.get("type") == "string" and set(other) == {"type"}:
        return other if one.get("type") == "string" else {"anyOf": [one, other]}
    return {"anyOf": [one, other]}


def _transform_names(param: Param) -> list[str]:
    return [NAMES[t] for t in param.transforms if t in NAMES]


def _param_schema(param: Param) -> dict[str, Any]:
    transforms = _transform_names(param) or ["str"]
    last = transforms[-1]
    schema = dict(TRANSFORM_SCHEMAS.get(last, {"type": "string"}))
    if param.choose is not None:
        schema = {"enum": [_wire_value(key, last) for key in param.choose]}
        if all(isinstance(v, str) for v in schema["enum"]):
            schema = {"type": "string", **schema}
    if param.match is not None:
        schema = {"type": "string", "pattern": param.match.pattern}
    if param.default is not ABSENT:
        schema["default"] = param.default
    return schema


def _wire_value(key: str, transform: str) -> Any:
    """A 'choose' key as the wire sends it: text after a text transform, else the JSON value it spells."""
    if transform in ("str", "base64", "phone"):
        return key
    try:
        return json.loads(key)
    except ValueError:
        return key


def _param_note(param: Param, spots: list[tuple[str, str]]) -> str:
    notes = []
    if len(spots) > 1:
        where = ", ".join(dict.fromkeys(f"{s} `{n}`" for s, n in spots))
        wanted = "Required" if param.required and param.default is ABSENT else "Optional"
        notes.append(f"{wanted}; read from the first of: {where} (an empty value counts as not sent).")
    elif not param.required or param.default is not ABSENT:
        notes.append("Optional.")
    if param.target != param.name:
        notes.append(f"The operation's `{param.target}`.")
    for transform in _transform_names(param):
        if transform in TRANSFORM_NOTES:
            notes.append(TRANSFORM_NOTES[transform][0].upper() + TRANSFORM_NOTES[transform][1:] + ".")
    if param.choose is not None:
        notes.append("One of: " + ", ".join(f"`{k}`" for k in param.choose) + ".")
    if param.confirm:
        notes.append(f"When `{param.confirm}` is also sent, it must say the same.")
    if param.description:
        notes.append(param.description)
    return " ".join(notes)
