"""Reads mappings/*.yaml into checked Dialects, or fails naming file, route and reason.

Everything a request could trip over is checked here, before the server
serves anything: the file against schemas/mapping.schema.json, each route
against the core operation it calls, each template reference against what
that operation returns, each outcome id against the core's closed list.
"""
from __future__ import annotations

import json
import re
import typing
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from aiohttp import web

from facade import shipped, yamlfile
from facade.dialect import argtypes
from facade.core.operations import ENGINE_SUPPLIED, SESSION, Signature, nested_fields
from facade.core.outcomes import (OUTCOMES, AppInvalid, BodyTooLarge, Internal, InvalidInput, InvalidParameter,
                                  MalformedBody, MissingParameter, NotLoggedIn, Outcome, OutOfOrder, Overloaded,
                                  TokenInvalid, UnsupportedMediaType, UpstreamUnavailable)
from facade.dialect.declarations import (ABSENT, AS, BODY, FACTS, IDS, OWN_KEYS, PARAMS, AppCredentials, Carrier,
                                         Condition, Dialect, Envelope, FlowEffects, IdSpec, JsonStyle, Param, Route)
from facade.dialect.templates import check_refs, compile_template
from facade.dialect.transforms import FILENAME, TRANSFORMS, TYPES, to_str

VERSION = 2  # of the mapping language; 'facade upgrade-mapping' rewrites version 1
RESERVED = "/_facade/"  # the facade's own endpoints; no legacy client calls here
SEPARATORS = {"compact": (",", ":"), "spaced": (", ", ": ")}
FILE_LEVEL = "-"
LIFETIME = "ttl"  # the operations' name for a session lifetime in seconds
# What the engine itself may answer on a route, besides its operation's outcomes: reading the request
# on any route, a legacy server the config proxies any route to, the session where the route takes
# one, the app where the dialect checks one, the flow where the route reads one.
ENGINE_OUTCOMES = (Internal, InvalidInput, MissingParameter, InvalidParameter, MalformedBody, UnsupportedMediaType,
                   BodyTooLarge, Overloaded, UpstreamUnavailable)
SESSION_OUTCOMES = (NotLoggedIn, TokenInvalid)
APP_OUTCOMES = (AppInvalid,)
FLOW_OUTCOMES = (OutOfOrder,)


class MappingError(Exception):
    def __init__(self, file: str, route: str, reason: str) -> None:
        super().__init__(f"{file}: {route}: {reason}")
        self.file, self.route, self.reason = file, route, reason


def load_dialects(directory: Path, signatures: dict[str, Signature], *,
                  schemas_dir: Path, enabled: list[str] | None = None,
                  validate_responses: bool = False, session_ttl_max: int | None = None,
                  settings: dict[str, dict[str, Any]] | None = None) -> list[Dialect]:
    files = sorted(directory.glob("*.yaml"))
    names = [f.stem for f in files]
    for wanted in [*(enabled or ()), *(settings or {})]:
        if wanted not in names:
            raise MappingError(str(directory / f"{wanted}.yaml"), FILE_LEVEL,
                               "named in config (mappings.enabled or dialects) but no such file")
    loader = _Loader(signatures, schemas_dir, validate_responses, session_ttl_max, settings or {})
    dialects = [loader.dialect(f) for f in files if enabled is None or f.stem in enabled]
    if not dialects:  # a server that serves nothing would still answer its health check: say so now
        why = "no *.yaml mapping here" if not files else "mappings.enabled names none of them"
        raise MappingError(str(directory), FILE_LEVEL, f"{why}: nothing to serve")
    _check_no_overlap(dialects)
    return dialects


def _mapping_schema() -> dict[str, Any]:
    return json.loads((shipped.SCHEMAS / "mapping.schema.json").read_text(encoding="utf-8"))


class _Loader:
    def __init__(self, signatures: dict[str, Signature], schemas_dir: Path, validate: bool,
                 session_ttl_max: int | None, settings: dict[str, dict[str, Any]]) -> None:
        self.signatures = signatures
        self.session_ttl_max = session_ttl_max
        self.settings = settings
        self.schemas_dir = schemas_dir
        self.validate = validate
        self.schema = jsonschema.Draft202012Validator(_mapping_schema())
        self._schemas: dict[str, dict[str, Any]] = {}  # response schemas by name, each read and checked once
        self._checkers: dict[str, Any] = {}

    def dialect(self, file: Path) -> Dialect:
        raw = self._read(file)
        where = str(file)
        try:
            return self._build(file, raw)
        except _RouteError as error:
            raise MappingError(where, error.route, error.reason) from None
        except ValueError as error:
            raise MappingError(where, FILE_LEVEL, str(error)) from None

    def _read(self, file: Path) -> dict[str, Any]:
        try:
            raw = yamlfile.safe_load(file.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise MappingError(str(file), FILE_LEVEL, f"not valid YAML: {_yaml_reason(error)}") from None
        if isinstance(raw, dict) and raw.get("version") != VERSION:
            raise MappingError(str(file), FILE_LEVEL, f"mapping language version {raw.get('version', 1)}, not "
                               f"{VERSION}: 'facade upgrade-mapping FILE' rewrites it")
        error = _deepest(jsonschema.exceptions.best_match(self.schema.iter_errors(raw)))
        if error is not None:
            raise MappingError(str(file), _route_at(raw, error.absolute_path), _schema_reason(error))
        return raw

    def _build(self, file: Path, raw: dict[str, Any]) -> Dialect:
        style = raw["json"]
        _check_charset(style["content_type"])
        declared = raw.get("settings", {})
        settings = _settings({k: v["default"] for k, v in declared.items()}, self.settings.get(file.stem, {}),
                             file.stem)
        success, failure = (_envelope(raw["envelope"][k], k, settings) for k in ("success", "failure"))
        outcomes = _outcome_table(raw["outcomes"], failure, "outcomes", settings, dialect_level=True)
        id_specs = {name: _id_spec(file.stem, name, spec) for name, spec in raw.get("ids", {}).items()}
        extensions = raw.get("extensions", {})
        reads = _as_tuple(raw["parameters"]["in"])
        carrier = _carrier(raw.get("session"), id_specs, extensions.get("session_cookie"))
        dialect = Dialect(
            name=file.stem, file=str(file),
            style=JsonStyle(SEPARATORS[style["separators"]], style["ascii"], style["content_type"]),
            success=success, failure=failure, outcomes=outcomes, routes=[], session=carrier,
            validator=self._validator(raw.get("schemas", {}).get("response")), app=_app(raw.get("app"), reads),
            schema=self._checker(raw.get("schemas", {}).get("response")),
            settings=settings, flow_cookie=extensions.get("flow", {}).get("cookie"),
            static=tuple((s["path"], s["serves"]) for s in extensions.get("static", ())), ids=id_specs,
            url_space=_as_tuple(raw.get("url_space", ())), about=raw.get("about", {}), reads=reads,
            description=raw.get("description", ""),
            setting_notes={k: v["description"] for k, v in declared.items() if "description" in v})
        dialect.routes = [self._route(r, dialect) for r in raw["routes"]]
        _check_unique_ids(dialect.routes)
        _check_dispatch(dialect.routes)
        _check_shadowing(dialect.routes)
        return dialect

    def _validator(self, name: str | None) -> Any:
        checker = self._checker(name)  # made even when not validating: a bad name fails now
        return checker if self.validate else None

    def _checker(self, name: str | None) -> Any:
        """The schema whether or not responses are validated: what a legacy server's answers are checked
        against before anything in them is trusted."""
        if name is None:
            return None
        if name not in self._checkers:
            self._checkers[name] = jsonschema.Draft202012Validator(self._load_schema(name))
        return self._checkers[name]

    def _load_schema(self, name: str) -> dict[str, Any]:
        if name not in self._schemas:
            self._schemas[name] = self._read_schema(name)
        return self._schemas[name]

    def _read_schema(self, name: str) -> dict[str, Any]:
        path = self.schemas_dir / name
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
        except FileNotFoundError:
            raise ValueError(f"response schema {name}: no such file in {self.schemas_dir}") from None
        except (OSError, ValueError, jsonschema.SchemaError) as error:
            raise ValueError(f"response schema {path}: {str(error).splitlines()[0]}") from None
        return schema

    def _route(self, raw: dict[str, Any], dialect: Dialect) -> Route:
        paths = _as_tuple(raw["path"])
        label = f"{'|'.join(_as_tuple(raw['method']))} {paths[0]} ({raw['id']})"
        if any(p.startswith(RESERVED) for p in paths):
            raise _RouteError(label, f"paths under {RESERVED} are reserved for the facade itself")
        try:
            for path in paths:
                _check_path(path)
            return self._checked_route(raw, paths, label, dialect)
        except ValueError as error:
            raise _RouteError(label, str(error)) from None

    def _checked_route(self, raw: dict[str, Any], paths: tuple[str, ...], label: str, dialect: Dialect) -> Route:
        signature = self.signatures.get(raw["operation"])
        if signature is None:
            raise ValueError(f"unknown operation {raw['operation']!r} (have: {', '.join(sorted(self.signatures))})")
        entries = raw.get("parameters", ())
        params = (*(_fixed(target, value) for target, value in raw.get("fixed", {}).items()),
                  *(_param(e, paths, dialect.reads) for e in entries if "binds" in e))
        checks = tuple(_param(e, paths, dialect.reads) for e in entries if "binds" not in e)
        _check_bound_once(params)
        _check_arguments(signature, params, dialect)
        _check_lifetimes(params, self.session_ttl_max)
        success, failure = raw.get("success", {}), raw.get("failure", {})
        data = compile_template(success.get("data"), dialect.settings)
        targets = {p.target for p in params}
        known = lambda path: (_result_shows(signature, path) or _is_param(path, targets)  # noqa: E731
                              or _is_id(path, dialect, signature))
        check_refs(data, known)
        extensions = raw.get("extensions", {})
        flow = _flow_effects(extensions.get("flow"), dialect, known, params)
        success_slots, failure_slots = success.get("slots", {}), failure.get("slots", {})
        _check_slots(success_slots, dialect.success, "success.slots")
        _check_slots(failure_slots, dialect.failure, "failure.slots")
        failure_template = _failure_template(failure.get("body"), dialect)
        cookie = extensions.get("session_cookie")
        _check_cookie(cookie, signature, dialect)
        route = Route(
            name=raw["id"], methods=_as_tuple(raw["method"]), paths=paths, operation=raw["operation"], label=label,
            conditions=tuple(_condition(c, dialect.reads) for c in raw.get("when", ())),
            params=params, checks=checks, success=success_slots, failure=failure_slots, data=data, flow=flow,
            failure_template=failure_template, max_body_bytes=raw.get("max_body_bytes"),
            supplied=tuple(sorted(signature.accepted & set(ENGINE_SUPPLIED))), cookie=cookie,
            outcomes=_outcome_table(raw.get("outcomes", {}), dialect.failure, "outcomes", dialect.settings),
            validator=self._validator(success.get("schema")) or dialect.validator,
            schema=self._checker(success.get("schema")) or dialect.schema,
            writes=signature.writes, description=raw.get("description", ""))
        route.raises = _answerable(route, signature, dialect)
        _check_outcomes(route, signature)
        return route


def _answerable(route: Route, signature: Signature, dialect: Dialect) -> frozenset[str]:
    """What the operation declares it raises, and what the engine may answer on this route."""
    engine = [*ENGINE_OUTCOMES, *(SESSION_OUTCOMES if SESSION in route.supplied else ()),
              *(APP_OUTCOMES if dialect.app is not None else ()), *(FLOW_OUTCOMES if route.uses_flow else ())]
    return signature.raises | {kind.id for kind in engine}


def _check_outcomes(route: Route, signature: Signature) -> None:
    """An entry for an outcome the route can never answer is a mistake (a typo, a copied route): an
    entry covers its own id and every refinement of it (invalid_input covers malformed_body)."""
    for outcome_id in route.outcomes:
        if not any(outcome_id in OUTCOMES[answered].chain() for answered in route.raises):
            raise ValueError(f"outcomes.{outcome_id}: operation {signature.name} never raises it, nor does the "
                             f"engine on this route (it may answer: {', '.join(sorted(route.raises))})")


class _RouteError(Exception):
    def __init__(self, route: str, reason: str) -> None:
        super().__init__(reason)
        self.route, self.reason = route, reason


def _envelope(raw: dict[str, Any], which: str, settings: dict[str, Any]) -> Envelope:
    slots = raw.get("slots", {})
    body = compile_template(raw["body"], settings)
    known = set(slots) | ({"data"} if which == "success" else set())
    check_refs(body, lambda path: len(path) == 1 and path[0] in known)
    if "status" in slots:
        raise ValueError(f"envelope.{which}: 'status' is not a slot; set envelope.{which}.status")
    return Envelope(raw["status"], slots, body)


def _check_charset(content_type: str) -> None:
    """The engine writes UTF-8: a content type that names another charset would lie to every client."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ValueError(f"json.content_type: charset {value.strip()} (answers are UTF-8; say utf-8 or none)")


TEXT_IDS = ("public_id", "phone")  # ids derived from text: no integer holds a public id or "+86 138…"


def _id_spec(dialect: str, name: str, raw: dict[str, Any]) -> IdSpec:
    if raw["type"] == "integer" and raw["from"] in TEXT_IDS:
        raise ValueError(f"ids.{name}: {raw['from']} is text, so type integer would fail on every answer")
    return IdSpec(f"{dialect}.{name}", raw["from"], raw["type"], raw.get("description", ""))


def _app(raw: dict[str, Any] | None, reads: tuple[str, ...]) -> AppCredentials | None:
    if raw is None:
        return None
    where = {part: (raw[part]["name"], _as_tuple(raw[part].get("in", reads))) for part in ("id", "secret")}
    return AppCredentials(**where, description=raw.get("description", ""))


def _flow_effects(raw: dict[str, Any] | None, dialect: Dialect, known: Any,
                  params: tuple[Param, ...]) -> FlowEffects | None:
    uses_flow = raw is not None or any("flow" in p.sources for p in params)
    if uses_flow and dialect.flow_cookie is None:
        raise ValueError("uses a flow but the mapping declares no extensions.flow")
    if raw is None:
        return None
    keep = compile_template(raw.get("keep"), dialect.settings)
    check_refs(keep, known)
    return FlowEffects(start=raw.get("start", False), keep=keep, end=raw.get("end", False))


def _failure_template(raw: Any, dialect: Dialect) -> Any:
    if raw is None:
        return None
    template = compile_template(raw, dialect.settings)
    check_refs(template, lambda path: len(path) == 1 and path[0] in dialect.failure.slots)
    return template


def _settings(declared: dict[str, Any], chosen: dict[str, Any], dialect: str) -> dict[str, Any]:
    """The mapping's defaults with the config's choices over them, each of its default's type."""
    for name, value in chosen.items():
        if name not in declared:
            raise ValueError(f"config dialects.{dialect}.{name}: no such setting "
                             f"(have: {', '.join(declared) or 'none'})")
        if type(value) is not type(declared[name]):
            raise ValueError(f"config dialects.{dialect}.{name}: expected {type(declared[name]).__name__}, "
                             f"got {value!r}")
    return {**declared, **chosen}


def _carrier(session: dict[str, Any] | None, id_specs: dict[str, IdSpec],
             cookie: dict[str, Any] | None) -> Carrier | None:
    if session is None:
        if cookie is not None:
            raise ValueError("extensions.session_cookie: the mapping declares no 'session' for it to carry")
        return None
    audience = session.get("audience")
    if audience is not None and audience not in id_specs:
        raise ValueError(f"session.audience: {audience!r} is not among the mapping's ids "
                         f"({', '.join(id_specs) or 'none'})")
    if (audience is None) != (session["token"] != "jwt_hs256"):
        raise ValueError("session.audience: a jwt_hs256 token names its holder by one of the mapping's ids, "
                         "and no other token does")
    return Carrier(tuple((c["in"], c["name"]) for c in session["carrier"]), session["token"], cookie,
                   id_specs.get(audience), session.get("description", ""))


def _is_id(path: tuple[str, ...], dialect: Dialect, signature: Signature) -> bool:
    """``$ids.userId``: the dialect's id of the user the operation returns."""
    return len(path) == 2 and path[0] == IDS and path[1] in dialect.ids and _result_has(signature, ("user",))


def _is_param(path: tuple[str, ...], targets: set[str]) -> bool:
    """``$params.password``: what the request said, after its transforms."""
    return len(path) == 2 and path[0] == PARAMS and path[1] in targets


def _check_slots(entry: dict[str, Any], envelope: Envelope, where: str) -> None:
    unknown = set(entry) - set(envelope.slots) - {"status"}
    if unknown:
        raise ValueError(f"{where}: {', '.join(sorted(unknown))} not among the envelope's slots "
                         f"({', '.join(envelope.slots) or 'none'})")


def _outcome_table(raw: dict[str, Any], failure: Envelope, where: str, settings: dict[str, Any],
                   dialect_level: bool = False) -> dict[str, dict[str, Any]]:
    table = {}
    for outcome_id, entry in raw.items():
        here = f"{where}.{outcome_id}"
        if outcome_id == "default":
            raise ValueError(f"{where}: no outcome is called 'default': envelope.failure.slots hold what every "
                             f"failure says unless an entry says otherwise")
        if outcome_id not in OUTCOMES:
            raise ValueError(f"{where}: unknown outcome {outcome_id!r}")
        if AS in entry and dialect_level:
            raise ValueError(f"{here}: 'as' belongs in a route's outcomes, which have a success to answer with")
        _check_slots({k: v for k, v in entry.items() if k not in OWN_KEYS}, failure, here)
        own = {BODY: _own_body(entry[BODY], failure, here, settings)} if BODY in entry else {}
        table[outcome_id] = {**entry, **own}
    return table


def _own_body(raw: Any, failure: Envelope, where: str, settings: dict[str, Any]) -> Any:
    template = compile_template(raw, settings)
    try:
        check_refs(template, lambda path: len(path) == 1 and (path[0] in failure.slots or path[0] in FACTS))
    except ValueError as error:
        raise ValueError(f"{where}.body: {error} (have: {', '.join([*failure.slots, *FACTS])})") from None
    return template


def _as_tuple(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Mappings may write one name or a list of them."""
    return (value,) if isinstance(value, str) else tuple(value)


def _fixed(target: str, value: Any) -> Param:
    return Param(target=target, name=None, sources=(), const=value, gives=frozenset({type(value)}))


def _param(spec: dict[str, Any], paths: tuple[str, ...], reads: tuple[str, ...]) -> Param:
    names = _as_tuple(spec["name"])
    target = spec.get("binds", names[0])
    sources = _as_tuple(spec.get("in", reads))
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


CHOOSE_KEYS = {"boolean": ("true", "false"), "integer": None}  # what a key can be, by type (None: digits)


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
    transforms = _as_tuple(spec.get("transform", ()))
    if kind == "file":
        if set(transforms) - {FILENAME}:
            raise ValueError(f"parameter {name!r}: a file takes no transform but {FILENAME!r}")
        return (TRANSFORMS[FILENAME],) if transforms else (TRANSFORMS[TYPES["file"]],)
    if FILENAME in transforms:
        raise ValueError(f"parameter {name!r}: {FILENAME!r} needs type: file")
    return (TRANSFORMS[TYPES[kind]], *(TRANSFORMS[t] for t in transforms))


def _check_bound_once(params: tuple[Param, ...]) -> None:
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


def _condition(raw: dict[str, Any], reads: tuple[str, ...]) -> Condition:
    sources = _as_tuple(raw.get("in", reads))
    if "present" in raw:
        return Condition(raw["name"], sources, present=raw["present"])
    return Condition(raw["name"], sources, equals=to_str(raw["equals"]))


def _check_arguments(signature: Signature, params: tuple[Param, ...], dialect: Dialect) -> None:
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


def _check_lifetimes(params: tuple[Param, ...], longest: int | None) -> None:
    """A session lifetime a mapping fixes must be one the config allows, or every login would fail."""
    for param in params:
        if param.target != LIFETIME or longest is None:
            continue
        fixed = [param.const, param.default, *(param.choose or {}).values()]
        too_long = [v for v in fixed if isinstance(v, int) and v > longest]
        if too_long:
            raise ValueError(f"parameter {LIFETIME!r}: {too_long[0]} s is longer than "
                             f"security.session_ttl_max ({longest} s)")


def _check_cookie(effect: str | None, signature: Signature, dialect: Dialect) -> None:
    if effect is None:
        return
    if dialect.session is None or dialect.session.cookie is None:
        raise ValueError(f"extensions.session_cookie: {effect!r} needs the dialect's extensions.session_cookie")
    if effect == "issue" and not _result_has(signature, ("token",)):
        raise ValueError(f"extensions.session_cookie: 'issue' needs an operation that returns a token; "
                         f"{signature.name!r} does not")


def _result_shows(signature: Signature, path: tuple[str, ...]) -> bool:
    """A value of the result a template may write: a field, never a whole record (no JSON holds one)."""
    hint = _result_field(signature, path)
    if hint is None:
        return False
    fields = nested_fields(hint)
    if fields:
        raise ValueError(f"${'.'.join(path)} is a record, not a value: name one of its fields "
                         f"({', '.join(n for n, h in fields.items() if argtypes.writable(h))})")
    if not argtypes.writable(hint):
        raise ValueError(f"${'.'.join(path)} is not a value a template can write")
    return True


def _result_has(signature: Signature, path: tuple[str, ...]) -> bool:
    return _result_field(signature, path) is not None


def _result_field(signature: Signature, path: tuple[str, ...]) -> Any:
    """The type of the result's field at ``path``, or None where it has none."""
    fields, hint = signature.result_fields(), None
    for part in path:
        if part not in fields:
            return None
        hint = fields[part]
        fields = nested_fields(hint)
    return hint


def _check_unique_ids(routes: list[Route]) -> None:
    """Logs, metrics, upstream modes and contract cases name a route by its id."""
    seen: dict[str, Route] = {}
    for route in routes:
        earlier = seen.setdefault(route.name, route)
        if earlier is not route:
            raise _RouteError(route.label, f"id {route.name!r} is already {earlier.label}'s")


def _check_path(path: str) -> None:
    """The router's own reading of the path, now rather than when serving starts."""
    try:
        web.UrlDispatcher().add_route("GET", path, _never)
    except ValueError as error:
        raise ValueError(f"path {path!r}: {error}") from None


async def _never(request: web.Request) -> web.Response:
    raise AssertionError("a route made only to check a path is never served")


def _check_dispatch(routes: list[Route]) -> None:
    """Routes sharing a method and path are told apart by 'when'; one without it must come last."""
    seen: dict[tuple[str, str], list[Route]] = {}
    for route in routes:
        for method, path in route.served():
            for earlier in seen.setdefault((method, path), []):
                if not earlier.conditions:
                    raise _RouteError(route.label, f"unreachable: {earlier.label} has no 'when' and answers first")
                if set(earlier.conditions) == set(route.conditions):
                    raise _RouteError(route.label, f"unreachable: {earlier.label} has the same 'when'")
            seen[(method, path)].append(route)


ANY_SEGMENT = re.compile(r"\{[^}:]+\}")  # a path variable without a pattern of its own: any one segment


def _check_shadowing(routes: list[Route]) -> None:
    """The router tries paths with variables in the order listed (plain paths first): an earlier one
    whose every segment is the same text or a variable that takes any segment answers a later one."""
    earlier: list[tuple[str, str, Route]] = []
    for route in routes:
        for method, path in route.served():
            for seen_method, seen_path, owner in earlier:
                if seen_method == method and seen_path != path and "{" in path and _answers(seen_path, path):
                    raise _RouteError(route.label, f"unreachable on {method} {path}: {owner.label}'s path "
                                                   f"{seen_path} answers it first (list the narrower path first)")
            if "{" in path:
                earlier.append((method, path, route))


def _answers(earlier: str, later: str) -> bool:
    first, then = earlier.split("/"), later.split("/")
    if len(first) != len(then):
        return False
    return all(a == b or ANY_SEGMENT.fullmatch(a) for a, b in zip(first, then, strict=True))


def _check_no_overlap(dialects: list[Dialect]) -> None:
    owner: dict[tuple[str, str], Dialect] = {}
    for dialect in dialects:
        for route in dialect.routes:
            for method, path in route.served():
                other = owner.setdefault((method, _shape(path)), dialect)
                if other is not dialect:
                    raise MappingError(dialect.file, route.label, f"{method} {path} is already served by {other.file}")
    spaces: dict[str, Dialect] = {}
    for dialect in dialects:
        for prefix in dialect.url_space:
            other = spaces.setdefault(prefix, dialect)
            if other is not dialect:
                raise MappingError(dialect.file, FILE_LEVEL, f"url_space {prefix} is already {other.file}'s")


def _shape(path: str) -> str:
    """Paths that differ only in variable names collide."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _route_at(raw: Any, location: Any) -> str:
    parts = list(location)
    if len(parts) >= 2 and parts[0] == "routes" and isinstance(raw, dict):
        route = raw["routes"][parts[1]]
        if isinstance(route, dict):
            return f"{route.get('method', '?')} {route.get('path', '?')} ({route.get('id', '?')})"
        return f"routes[{parts[1]}]"
    return FILE_LEVEL


def _deepest(error: jsonschema.ValidationError | None) -> jsonschema.ValidationError | None:
    """Inside a oneOf, the alternative that got furthest says more than 'not valid under any'."""
    while error is not None and error.context:
        error = jsonschema.exceptions.best_match(error.context)
    return error


def _yaml_reason(error: Exception) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem


def _schema_reason(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "top level"
    if error.validator == "not":  # jsonschema's own words would quote the schema, not say why
        why = error.schema.get("description") if isinstance(error.schema, dict) else None
        return f"{where}: {error.instance!r} is not allowed" + (f": {why}" if why else "")
    return f"{where}: {error.message}"
