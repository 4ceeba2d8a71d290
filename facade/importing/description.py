"""Loads and checks an import description: everything that can be wrong with
it stops the import here, naming the file, the place and the reason, before
a row is read (JSON Schema, the dialect and its ids, each value, the password
scheme and its parameters)."""
from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import jsonschema

from facade import yamlfile
from facade.core import hashers
from facade.dialect.declarations import Dialect, IdSpec
from facade import shipped
from facade.importing.values import Value, columns, compile_value

IMPORTABLE_RULES = ("id", "gid", "public_id")  # a 'phone' id is the phone itself: import it as the phone
PROFILE = ("username", "phone", "email", "nickname", "gender", "birthday", "extra", "contact_email", "created_at")


class DescriptionError(Exception):
    def __init__(self, file: str, where: str, reason: str) -> None:
        super().__init__(f"{file}: {where}: {reason}")


@dataclass(frozen=True)
class Source:
    path: Path
    format: str
    encoding: str = "utf-8-sig"


@dataclass(frozen=True)
class Users:
    source: Source
    fields: dict[str, Value]          # profile and identifier fields present in the description
    ids: dict[str, tuple[IdSpec, Value]]
    password: dict[str, Any]          # the scheme's entry: a literal scheme name, and Values
    verified: dict[str, Value]
    on_conflict: str
    hashed: Callable[[Mapping[str, Any]], str]  # a row's filled-in password entry -> the stored hash

    def columns(self) -> set[str]:
        entries = [v for v in self.password.values() if not isinstance(v, str)]
        values = [*self.fields.values(), *(v for _, v in self.ids.values()), *self.verified.values(),
                  *(v for entry in entries for v in (entry.values() if isinstance(entry, dict) else [entry]))]
        return set().union(*(columns(v) for v in values))


@dataclass(frozen=True)
class Sessions:
    source: Source
    id: IdSpec
    token: Value
    user: Value
    expires_in: Value

    def columns(self) -> set[str]:
        return columns(self.token) | columns(self.user) | columns(self.expires_in)


@dataclass(frozen=True)
class AppPair:
    name: str
    app_id: str
    app_secret: str


@dataclass
class Description:
    file: Path
    dialect: Dialect
    users: Users | None = None
    sessions: Sessions | None = None
    apps: list[AppPair] = field(default_factory=list)


def load(file: Path, dialects: list[Dialect]) -> Description:
    where = str(file)
    raw = _read(file)
    dialect = next((d for d in dialects if d.name == raw["dialect"]), None)
    if dialect is None:
        raise DescriptionError(where, "dialect", f"no dialect {raw['dialect']!r} (have: "
                                                 f"{', '.join(d.name for d in dialects)})")
    try:
        return Description(file, dialect, _users(raw.get("users"), file, dialect),
                           _sessions(raw.get("sessions"), file, dialect), _apps(raw.get("apps", [])))
    except _Invalid as error:
        raise DescriptionError(where, error.where, error.reason) from None


class _Invalid(Exception):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(reason)
        self.where, self.reason = where, reason


def _read(file: Path) -> dict[str, Any]:
    try:
        raw = yamlfile.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise DescriptionError(str(file), "-", f"cannot be read: {error}") from None
    except Exception as error:  # PyYAML's errors
        raise DescriptionError(str(file), "-", f"not valid YAML: {str(error).splitlines()[0]}") from None
    schema = json.loads((shipped.SCHEMAS / "import.schema.json").read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(raw))
    if error is not None:
        place = ".".join(str(p) for p in error.absolute_path) or "top level"
        raise DescriptionError(str(file), place, error.message)
    return raw


def _value(raw: Any, where: str) -> Value:
    try:
        return compile_value(raw, where)
    except ValueError as error:
        raise _Invalid(where, str(error).removeprefix(f"{where}: ")) from None


def _source(raw: Mapping[str, Any], file: Path, where: str) -> Source:
    path = (file.parent / raw["path"]).resolve()
    if not path.is_file():
        raise _Invalid(f"{where}.source.path", f"no such file: {path}")
    encoding = raw.get("encoding", "utf-8-sig")  # UTF-8, with or without the BOM Excel and others write
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _Invalid(f"{where}.source.encoding", f"no such encoding: {encoding!r}") from None
    return Source(path, raw["format"], encoding)


def _users(raw: Mapping[str, Any] | None, file: Path, dialect: Dialect) -> Users | None:
    if raw is None:
        return None
    fields = raw["fields"]
    id_values = {}
    for name, value in fields.get("ids", {}).items():
        spec = dialect.ids.get(name)
        if spec is None:
            raise _Invalid(f"users.fields.ids.{name}", f"not one of {dialect.name}'s ids ({', '.join(dialect.ids)})")
        if spec.rule not in IMPORTABLE_RULES:
            raise _Invalid(f"users.fields.ids.{name}", f"{dialect.name}'s {name} is the user's {spec.rule}: "
                                                       f"import it as the {spec.rule}")
        id_values[name] = (spec, _value(value, f"users.fields.ids.{name}"))
    password = dict(fields["password"])
    try:
        hashed = hashers.importer(password)
    except ValueError as error:
        raise _Invalid("users.fields.password", str(error)) from None
    return Users(
        source=_source(raw["source"], file, "users"),
        fields={name: _value(fields[name], f"users.fields.{name}") for name in PROFILE if name in fields},
        ids=id_values,
        password={key: _password_value(key, value) for key, value in password.items()}, hashed=hashed,
        verified={kind: _value(value, f"users.verified.{kind}") for kind, value in raw.get("verified", {}).items()},
        on_conflict=raw.get("on_conflict", "merge"))


def _password_value(key: str, raw: Any) -> Any:
    """The scheme's name as it is; a recipe's inputs as a mapping of values; any other entry a value."""
    where = f"users.fields.password.{key}"
    if key == "scheme":
        return raw
    if key == "inputs":
        return {name: _value(value, f"{where}.{name}") for name, value in raw.items()}
    return _value(raw, where)


def _sessions(raw: Mapping[str, Any] | None, file: Path, dialect: Dialect) -> Sessions | None:
    if raw is None:
        return None
    if dialect.session is None or dialect.session.token != "hex32":
        form = dialect.session.token if dialect.session else "none"
        raise _Invalid("sessions", f"{dialect.name}'s tokens are {form}: only opaque hex32 tokens are imported "
                                   "(tokens a legacy service signed are honoured with security.legacy_jwt_keys)")
    name = raw.get("id") or (next(iter(dialect.ids)) if len(dialect.ids) == 1 else None)
    if name not in dialect.ids:
        raise _Invalid("sessions.id", f"name which of {dialect.name}'s ids 'user' is ({', '.join(dialect.ids)})")
    fields = raw["fields"]
    return Sessions(_source(raw["source"], file, "sessions"), dialect.ids[name],
                    *(_value(fields[key], f"sessions.fields.{key}") for key in ("token", "user", "expires_in")))


def _apps(raw: list[Mapping[str, Any]]) -> list[AppPair]:
    pairs = []
    for i, entry in enumerate(raw):
        values = {key: _value(entry[key], f"apps[{i}].{key}").of({}) for key in ("app_id", "app_secret")}
        if not all(isinstance(v, str) for v in values.values()):
            raise _Invalid(f"apps[{i}]", "app_id and app_secret are text given here or in the environment")
        pairs.append(AppPair(entry.get("name", ""), values["app_id"], values["app_secret"]))
    return pairs
