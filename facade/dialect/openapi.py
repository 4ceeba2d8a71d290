"""A dialect's OpenAPI 3.1 document, made from its loaded declarations.

Nothing here knows a dialect: every path, parameter, body, answer and
security scheme comes from the Dialect the loader built, and every example
answer is rendered by the engine's own Dialect.success_body and
failure_body, so the document shows the bytes a client gets, not a copy of
the envelope that could drift from it.
"""
from __future__ import annotations

import dataclasses
import json
import re
import typing
from importlib import metadata
from itertools import product
from typing import Any, Iterable

from facade.core import models
from facade.core.operations import SESSION, Signature, nested_fields
from facade.core.outcomes import (OUTCOMES, AppInvalid, BodyTimeout, BodyTooLarge, Internal, InvalidParameter,
                                  MalformedBody, MissingParameter, NoRoute, Outcome, Overloaded, UnsupportedMediaType,
                                  WrongMethod)
from facade.dialect.declarations import ABSENT, IDS, PARAMS, Dialect, Param, Route
from facade.dialect.sources import FORM, MULTIPART
from facade.dialect.tokens import FORMS
from facade.dialect.transforms import NAMES

VERSION = "3.1.0"
JSON = "application/json"
BODY_MEDIA = {"form": FORM, "multipart": MULTIPART, "json": JSON}  # sources a request body carries
KEY_PLACES = ("header", "query", "cookie")  # where OpenAPI's apiKey schemes can say a credential travels
BODILESS = ("GET", "HEAD")  # methods whose body is documented only when a value can travel nowhere else
# Outcomes met while the body is read, and those met before a 'when' has picked one of a path's routes.
READING = frozenset(o.id for o in (MalformedBody, BodyTimeout, UnsupportedMediaType, BodyTooLarge, Overloaded))
BEFORE_PICKING = READING | {o.id for o in (Internal, AppInvalid, MissingParameter, InvalidParameter)}
UNMATCHED = (NoRoute, WrongMethod)
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
EXAMPLE_FACTS = {"method": "GET", "path": "/", "timestamp": 1700000000000}


def document(dialect: Dialect, signatures: dict[str, Signature]) -> dict[str, Any]:
    """The dialect's OpenAPI 3.1 document, as a JSON-ready dict."""
    builder = _Builder(dialect, signatures)
    return {
        "openapi": VERSION,
        "info": {"title": f"{dialect.name}", "version": _version(), "description": _about(dialect)},
        "servers": [{"url": "/"}],
        "tags": [*({"name": route.name, "description": f"operation {route.operation}"} for route in dialect.routes),
                 *({"name": serves, "description": f"files under {prefix}"} for prefix, serves in dialect.static)],
        "paths": builder.paths(),
        "components": builder.components(),
    }


def _version() -> str:
    try:
        return metadata.version("facade")
    except metadata.PackageNotFoundError:
        return "0"


ABOUT_PARTS = (("follows_real_server", "Follows the real server"), ("follows_document", "Follows the document"),
               ("departs", "Departs on purpose"))


def _about(dialect: Dialect) -> str:
    """The mapping's 'about', and what every answer shares, as Markdown."""
    about = dialect.about
    out = [dialect.description] if dialect.description else []
    out.append(f"Real source: {about.get('real', 'not recorded')}.")
    for key, title in ABOUT_PARTS:
        if about.get(key):
            out.append(f"**{title}:**\n\n" + "\n".join(f"- {item}" for item in about[key]))
    if dialect.ids:
        out.append("**Ids** (what a user shows here: an imported legacy id, else one derived from the core):\n\n"
                   + "\n".join(f"- `{name}` ({spec.type}, else from the core's `{spec.rule}`)"
                                + (f": {spec.description}" if spec.description else "")
                                for name, spec in dialect.ids.items()))
    if dialect.setting_notes:
        out.append("**Settings** (config `dialects.%s.<name>`):\n\n" % dialect.name + "\n".join(
            f"- `{name}` (now `{json.dumps(dialect.settings[name], ensure_ascii=False)}`): {note}"
            for name, note in dialect.setting_notes.items()))
    out.append(f"Every answer is `{dialect.style.content_type}`; the examples show each body as its bytes.")
    if dialect.url_space:
        spaces = ", ".join(f"`{p}`" for p in dialect.url_space)
        lines = [f"Any other path or method under {spaces}:"]
        for outcome in UNMATCHED:
            status, body, _ = dialect.failure_body(outcome, None, EXAMPLE_FACTS)
            note = dialect.entry_note(outcome, None)
            lines.append(f"- {outcome.id}: HTTP {status} `{_text(dialect, body)}`" + (f" {note}" if note else ""))
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _joined(*texts: str) -> str:
    return " ".join(t for t in texts if t)


def _text(dialect: Dialect, body: Any) -> str:
    return dialect.style.encode(body).decode("utf-8")


def _openapi_path(path: str) -> str:
    """aiohttp's ``{name:regex}`` as OpenAPI's ``{name}``."""
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", path)


def _path_names(path: str) -> set[str]:
    return set(re.findall(r"\{([^}:]+)(?::[^}]*)?\}", path))


class _Builder:
    def __init__(self, dialect: Dialect, signatures: dict[str, Signature]) -> None:
        self.dialect = dialect
        self.signatures = signatures
        self.schemas: dict[str, dict[str, Any]] = {}  # components.schemas, by name
        self.schema_names: dict[int, str] = {}  # id of a loaded response schema -> its component name
        self.operation_ids: set[str] = set()
        self.codec = FORMS[dialect.session.token](SAMPLE_KEY, dialect, []) if dialect.session else None

    # -- paths ------------------------------------------------------------------------------------------------
    def paths(self) -> dict[str, Any]:
        served: dict[tuple[str, str], list[Route]] = {}
        for route in self.dialect.routes:
            for method, path in route.served():
                served.setdefault((path, method), []).append(route)
        paths: dict[str, dict[str, Any]] = {}
        for (path, method), routes in served.items():
            paths.setdefault(_openapi_path(path), {})[method.lower()] = self._operation(method, path, routes)
        for prefix, serves in self.dialect.static:
            paths[f"{prefix}/{{name}}"] = {"get": self._static(prefix, serves)}
        return paths

    def _operation(self, method: str, path: str, routes: list[Route]) -> dict[str, Any]:
        """One method on one path; several routes there are told apart by their 'when'."""
        operation: dict[str, Any] = {
            "operationId": self._operation_id(method, path),
            "tags": list(dict.fromkeys(r.name for r in routes)),
            "summary": " / ".join(dict.fromkeys(r.name for r in routes)),
            "description": self._description(routes),
        }
        wire = _Wire(path)
        for route in routes:
            wire.add_route(route, alone=len(routes) == 1)
        parameters = wire.parameters() + self._flow_cookie(routes)
        if parameters:
            operation["parameters"] = parameters
        body = wire.request_body(method)
        if body is not None:
            operation["requestBody"] = body
        operation["responses"] = self._responses(routes)
        security = self._security(routes)
        if security:
            operation["security"] = security
        return operation

    def _operation_id(self, method: str, path: str) -> str:
        base = re.sub(r"[^A-Za-z0-9]+", "_", f"{method.lower()} {path}").strip("_")
        name, n = base, 1
        while name in self.operation_ids:
            n += 1
            name = f"{base}_{n}"
        self.operation_ids.add(name)
        return name

    def _description(self, routes: list[Route]) -> str:
        lines = []
        for route in routes:
            when = " and ".join(_condition_text(c) for c in route.conditions)
            head = f"**{route.name}** (operation `{route.operation}`)" + (f", when {when}" if when else "")
            if len(routes) > 1 and not route.conditions:
                head += ", otherwise"
            lines.append(head + ".")
            if route.description:
                lines.append(route.description)
            lines.extend(f"- {note}" for note in _route_notes(route, self.dialect))
        return "\n\n".join(lines)

    def _flow_cookie(self, routes: list[Route]) -> list[dict[str, Any]]:
        cookie = self.dialect.flow_cookie
        if cookie is None or not any(r.uses_flow for r in routes):
            return []
        return [{"name": cookie["name"], "in": "cookie", "required": False, "schema": {"type": "string"},
                 "description": "The flow this client is in: set by the server on the step that starts it, "
                                "sent back as it was. It links the steps; without it they stand alone."}]

    # -- answers ----------------------------------------------------------------------------------------------
    def _responses(self, routes: list[Route]) -> dict[str, Any]:
        answers: dict[int, _Answers] = {}
        for route in routes:
            status, body = self.dialect.success_body(route, self._sample_context(route))
            answers.setdefault(status, _Answers()).add(_example_name(route, "ok", routes), body, True, route,
                                                       f"Success ({route.name}).")
        for route, outcome in self._failures(routes):
            status, body, enveloped = self.dialect.failure_body(outcome, route, EXAMPLE_FACTS)
            owner = route or routes[0]
            answers.setdefault(status, _Answers()).add(_example_name(route, outcome.id, routes), body, enveloped,
                                                       owner, _outcome_text(outcome, self.dialect.entry_note(outcome, route)))
        return {str(status): self._response(status, found) for status, found in sorted(answers.items())}

    def _failures(self, routes: list[Route]) -> Iterable[tuple[Route | None, type[Outcome]]]:
        """Every outcome these routes may answer (each route's ``raises``: its operation's declared
        outcomes and the engine's), and the route that answers it: None for the dialect itself, where
        routes told apart by 'when' meet a problem before one is picked."""
        if len(routes) == 1:
            yield from ((routes[0], outcome) for outcome in _kinds(routes[0].raises))
            return
        answerable = set().union(*(route.raises for route in routes))
        yield from ((None, outcome) for outcome in _kinds(answerable & BEFORE_PICKING))
        for route in routes:
            yield from ((route, outcome) for outcome in _kinds(route.raises - READING))

    def _response(self, status: int, answers: "_Answers") -> dict[str, Any]:
        schemas = [self._schema_ref(r.schema.schema) for r in answers.routes if r.schema is not None]
        schemas = list({json.dumps(s): s for s in schemas}.values())
        schema: dict[str, Any] | None = schemas[0] if len(schemas) == 1 else ({"anyOf": schemas} if schemas else None)
        if schema is not None and not answers.all_enveloped:
            schema = {"anyOf": [schema, {"type": "object"}]}  # an outcome's own body is outside the envelope
        media: dict[str, Any] = {"examples": {
            name: {"summary": summary, "description": f"`{_text(self.dialect, body)}`", "value": body}
            for name, (summary, body) in answers.examples.items()}}
        if schema is not None:
            media = {"schema": schema, **media}
        response = {"description": " ".join(dict.fromkeys(answers.descriptions)),
                    "content": {self.dialect.style.content_type: media}}
        headers = self._set_cookies(answers.routes)
        if headers:
            response["headers"] = headers
        return response

    def _set_cookies(self, routes: list[Route]) -> dict[str, Any]:
        names = []
        if self.dialect.session and self.dialect.session.cookie and any(r.cookie for r in routes):
            names.append(f"{self.dialect.session.cookie['name']} (the session: set on success, cleared on logout)")
        if self.dialect.flow_cookie and any(r.flow for r in routes):
            names.append(f"{self.dialect.flow_cookie['name']} (the flow: set when one starts, cleared when it ends)")
        if not names:
            return {}
        return {"Set-Cookie": {"description": "; ".join(names), "schema": {"type": "string"}}}

    def _schema_ref(self, schema: dict[str, Any]) -> dict[str, Any]:
        name = self.schema_names.get(id(schema))
        if name is None:
            title = schema.get("title") or "response"
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", title).strip("_") or "response"
            while name in self.schemas:
                name += "_"
            self.schema_names[id(schema)] = name
            self.schemas[name] = _embedded(schema, f"#/components/schemas/{name}")
        return {"$ref": f"#/components/schemas/{name}"}

    def _sample_context(self, route: Route) -> dict[str, Any]:
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

    def _static(self, prefix: str, serves: str) -> dict[str, Any]:
        images = {kind: {"schema": {"type": "string", "format": "binary", "contentMediaType": kind}}
                  for kind in ("image/png", "image/jpeg", "image/gif", "image/webp")}
        return {
            "operationId": self._operation_id("GET", f"{prefix}/name"),
            "tags": [serves],
            "summary": f"the {serves} this dialect's uploads stored",
            "description": "Only names the server made; each served as the type found inside it, with a "
                           "Content-Security-Policy that runs nothing.",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
                            "description": "the name an upload answered with"}],
            "responses": {"200": {"description": "the stored file", "content": images},
                          "404": {"description": "no file the server stored has this name",
                                  "content": {"text/plain": {"schema": {"type": "string"}}}}},
        }

    # -- security ---------------------------------------------------------------------------------------------
    def _security(self, routes: list[Route]) -> list[dict[str, list[str]]]:
        needs_token = any(SESSION in r.supplied for r in routes)
        app = [{f"app_id_{p}": [], f"app_secret_{p}": []} for p in self._app_places()]
        tokens = [{f"token_{s}_{n}": []} for s, n in self._token_places()] if needs_token else []
        choices = [a for a in (app, tokens) if a]
        return [{k: v for part in combo for k, v in part.items()} for combo in product(*choices)] if choices else []

    def _app_places(self) -> list[str]:
        app = self.dialect.app
        if app is None:
            return []
        return [p for p in KEY_PLACES if p in app.id[1] and p in app.secret[1]]

    def _token_places(self) -> list[tuple[str, str]]:
        carrier = self.dialect.session
        return [(s, n) for s, n in carrier.places if s in KEY_PLACES] if carrier else []

    def components(self) -> dict[str, Any]:
        schemes: dict[str, Any] = {}
        carrier = self.dialect.session
        if carrier is not None:
            everywhere = ", ".join(f"{s} `{n}`" for s, n in carrier.places)
            for source, name in self._token_places():
                schemes[f"token_{source}_{name}"] = {
                    "type": "apiKey", "in": source, "name": name,
                    "description": _joined(f"The session token ({carrier.token}) a login answered with. Read "
                                           f"from, in order: {everywhere}.", carrier.description)}
        app = self.dialect.app
        if app is not None:
            for part, (name, sources) in (("id", app.id), ("secret", app.secret)):
                for place in self._app_places():
                    schemes[f"app_{part}_{place}"] = {
                        "type": "apiKey", "in": place, "name": name,
                        "description": _joined(f"The app's {part}, checked before anything else. Also read "
                                               f"from: {', '.join(sources)}.", app.description)}
        found: dict[str, Any] = {}
        if self.schemas:
            found["schemas"] = self.schemas
        if schemes:
            found["securitySchemes"] = schemes
        return found


class _Answers:
    """The examples one status collects, and the routes whose schemas they follow."""

    def __init__(self) -> None:
        self.examples: dict[str, tuple[str, Any]] = {}
        self.routes: list[Route] = []
        self.descriptions: list[str] = []
        self.all_enveloped = True

    def add(self, name: str, body: Any, enveloped: bool, route: Route, description: str) -> None:
        self.examples.setdefault(name, (description, body))
        if route not in self.routes:
            self.routes.append(route)
        self.descriptions.append("Success." if description.startswith("Success") else "A failure: see the examples.")
        self.all_enveloped = self.all_enveloped and enveloped


def _kinds(ids: Iterable[str]) -> list[type[Outcome]]:
    """Outcome classes for ids, in the core's own order (parents before their refinements)."""
    wanted = set(ids)
    return [kind for outcome_id, kind in OUTCOMES.items() if outcome_id in wanted]


def _example_name(route: Route | None, what: str, routes: list[Route]) -> str:
    return what if route is None or len(routes) == 1 else f"{route.name}: {what}"


def _outcome_text(outcome: type[Outcome], note: str) -> str:
    """The outcome's id, what the core means by it, and why the mapping says it so."""
    doc = (outcome.__doc__ or "").strip().split("\n")[0]
    return f"{outcome.id}" + (f": {doc}" if doc else "") + (f" {note}" if note else "")


def _condition_text(condition: Any) -> str:
    if condition.present is not None:
        return f"`{condition.name}` is {'sent' if condition.present else 'not sent'}"
    return f"`{condition.name}` is `{condition.equals}`"


def _route_notes(route: Route, dialect: Dialect) -> list[str]:
    notes = []
    for param in route.params:
        if param.const is not ABSENT:
            notes.append(f"`{param.target}` is always `{json.dumps(param.const, ensure_ascii=False)}`.")
        elif "flow" in param.sources:
            names = " or ".join(f"`{n}`" for n in param.names)
            notes.append(f"`{param.target}`: {names} from the flow this client is in"
                         + (", or else as sent." if param.sources != ("flow",) else "."))
    for check in route.checks:
        notes.append(f"`{check.name}` is checked as the legacy server did, and passed on to nothing.")
    if route.cookie == "issue" and dialect.session and dialect.session.cookie:
        notes.append(f"Success sets the cookie `{dialect.session.cookie['name']}` to the session token.")
    if route.cookie == "clear" and dialect.session and dialect.session.cookie:
        notes.append(f"Clears the cookie `{dialect.session.cookie['name']}`.")
    if route.max_body_bytes:
        notes.append(f"A body may be up to {route.max_body_bytes} bytes.")
    return notes


class _Wire:
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
            note = f"Picks {route.name} when {_condition_text(condition)}."
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


def _embedded(schema: dict[str, Any], at: str) -> dict[str, Any]:
    """A response schema file as a component: its own ``#/...`` references made to point where it now is."""
    def moved(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (at + v[1:] if k == "$ref" and isinstance(v, str) and v.startswith("#") else moved(v))
                    for k, v in value.items() if k != "$schema"}
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value
    return moved(schema)
