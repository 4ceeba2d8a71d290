"""Loads the config: built-in defaults, then the file, then ``FACADE_*``
environment variables, then ``--set`` overrides, validated against
schemas/config.schema.json.

Relative paths in the file are resolved against the file's folder; relative
paths given in the environment or with ``--set`` against the working
directory, as a shell user expects. An error names the layer that set the
key at fault, and never echoes a value from the environment (secrets live
there).
"""
from __future__ import annotations

import copy
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml

from facade import listeners, shipped, yamlfile
from facade.client_address import networks
from facade.storage_url import SCHEMES

DEFAULT_FILE = "config.yaml"
ENV_VAR = "FACADE_CONFIG"
ENV_PREFIX, ENV_NESTING = "FACADE_", "__"  # FACADE_SECURITY__JWT_SECRET sets security.jwt_secret
STARTER = shipped.CONFIG  # every key at its default, documented; what `facade init` writes
DEFAULTS: dict[str, Any] = {
    "server": {"host": "127.0.0.1", "port": 8080, "max_body_bytes": 1024 * 1024, "workers": 1,
               "trusted_proxies": [], "read_timeout": 30, "max_connections": 4096, "max_connections_per_client": 32,
               "max_bytes_in_flight": 32 * 1024 * 1024, "max_large_bodies_per_client": 1, "max_parameters": 256, "max_parts": 32,
               "max_image_pixels": 2048 * 2048},
    "storage": {"url": "sqlite:///var/facade.db", "timeout": 5, "pool_size": 10},
    "mappings": {"dir": str(shipped.MAPPINGS), "schemas_dir": str(shipped.SCHEMAS), "enabled": None,
                 "validate_responses": False},
    "security": {"bcrypt_rounds": 12, "max_concurrent_hashes": 2,
                 "session_ttl": 86400, "session_ttl_max": 30 * 86400, "jwt_secret": None, "legacy_jwt_keys": {}},
    "codes": {"ttl": 300, "max_attempts": 5, "resend_after": 60, "hourly_cap": 10},
    "throttle": {"login": {"account": {"failures": 10, "window": 900, "wait": 30, "max_wait": 900},
                           "account_wide": {"failures": 30, "clients": 3, "window": 3600, "wait": 60, "max_wait": 900},
                           "ip": {"failures": 300, "window": 3600, "wait": 60, "max_wait": 3600}},
                 "codes": {"ip_hourly": 30, "target_share": 3, "owner_reserve": 3},
                 "uploads": {"ip_hourly_bytes": 16 * 1024 * 1024}},
    "notify": {"sms": "outbox", "email": "outbox", "outbox": "var/outbox.jsonl",
               "webhook": {"url": None, "timeout": 5, "headers": {}},
               "smtp": {"host": "localhost", "port": 25, "security": "none", "username": None, "password": None,
                        "sender": None, "subject": "验证码", "timeout": 10}},
    "dialects": {},  # per-dialect settings: {<dialect>: {<setting>: value}}
    "upstreams": {},  # per dialect, the legacy server it replaces: {<dialect>: UPSTREAM}
    "logging": {"level": "INFO", "format": "text"},
    "admin": {"listen": "127.0.0.1:8081", "token": None},  # the operator's listener (facade/admin.py)
}
# Every key of one upstream but its url, at its default (see facade/upstream/config.py).
UPSTREAM = {"timeout": 3, "tls": {"verify": True, "ca_file": None, "cert_file": None, "key_file": None},
            "mode": "serve", "routes": {}, "lazy_migration": False, "shadow_writes": False,
            "breaker": {"failures": 5, "cool_down": 30}, "shadow": {"queue": 1000, "concurrency": 4, "keep": 50},
            "max_answer_bytes": 4 * 1024 * 1024}
SECRET_KEYS = ("admin.token", "security.jwt_secret", "notify.smtp.password")  # never echoed, however given
PATH_KEYS = ("mappings.dir", "mappings.schemas_dir", "notify.outbox")
TLS_FILES = ("ca_file", "cert_file", "key_file")


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    source: str
    values: dict[str, Any]

    def __getitem__(self, dotted: str) -> Any:
        value: Any = self.values
        for part in dotted.split("."):
            value = value[part]
        return value

    def path(self, dotted: str) -> Path:
        return Path(self[dotted])


def load(path: str | None = None, overrides: list[str] = (), environ: dict[str, str] | None = None) -> Config:
    environ = os.environ if environ is None else environ
    file = _pick_file(path or environ.get(ENV_VAR))
    values = _absolute(copy.deepcopy(DEFAULTS), file.parent if file else Path.cwd())
    layers = [(str(file), lambda: _absolute(_read(file), file.parent))] if file else []
    layers += [(f"${name}", _setter(key, raw)) for name, key, raw in _environment(environ)]
    layers += [(f"--set {item}", _setter(*_split_override(item))) for item in overrides]
    origins: dict[str, str] = {}
    for origin, layer in layers:
        _merge(values, layer(), origin, DEFAULTS, origins)
    blame = _Blame(origins, str(file or "defaults"))
    values["upstreams"] = {name: _with_defaults(UPSTREAM, given) for name, given in values["upstreams"].items()}
    _check(values, blame)
    return Config(str(file or "defaults"), values)


def _check(values: dict[str, Any], blame: "_Blame") -> None:
    _validate(values, blame)
    _check_backend(values["storage"]["url"], blame("storage.url"))
    if values["security"]["session_ttl"] > values["security"]["session_ttl_max"]:
        raise ConfigError(f"{blame('security.session_ttl')}: security.session_ttl is longer than "
                          f"security.session_ttl_max")
    _check_notify(values["notify"], blame)
    if values["throttle"]["codes"]["owner_reserve"] >= values["codes"]["hourly_cap"]:
        raise ConfigError(f"{blame('throttle.codes.owner_reserve')}: throttle.codes.owner_reserve leaves "
                          f"strangers none of codes.hourly_cap")
    try:
        networks(values["server"]["trusted_proxies"])
    except ValueError as error:
        raise ConfigError(f"{blame('server.trusted_proxies')}: {error}") from None
    _check_admin(values["admin"], blame)


def _check_admin(admin: dict[str, Any], blame: "_Blame") -> None:
    """Without a token, an admin listener anyone else could reach would hand them the operator's plane."""
    try:
        address = listeners.parse(admin["listen"])
    except ValueError as error:
        raise ConfigError(f"{blame('admin.listen')}: admin.listen: {error}") from None
    if admin["token"] is None and not address.loopback():
        raise ConfigError(f"{blame('admin.listen')}: admin.listen: {address} is neither a loopback address nor a "
                          f"Unix socket; without admin.token (set FACADE_ADMIN__TOKEN) the admin listener "
                          f"listens on loopback only")


class _Blame:
    """Which layer (the file, a variable, a --set) last set a key, or one above or below it."""

    def __init__(self, origins: dict[str, str], base: str) -> None:
        self._origins, self._base = origins, base

    def __call__(self, dotted: str) -> str:
        related = [origin for key, origin in self._origins.items()
                   if key == dotted or key.startswith(dotted + ".") or dotted.startswith(key + ".")]
        return related[-1] if related else self._base

    def shows_values(self, dotted: str) -> bool:
        return dotted not in SECRET_KEYS and not self(dotted).startswith("$")


def _environment(environ: dict[str, str]) -> list[tuple[str, str, str]]:
    """(variable, dotted key, text) for every FACADE_<SECTION>__<KEY> variable, in a stable order."""
    found = []
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and ENV_NESTING in name:
            found.append((name, name[len(ENV_PREFIX):].lower().replace(ENV_NESTING, "."), environ[name]))
    return found


def _split_override(item: str) -> tuple[str, str]:
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set {item}: expected KEY=VALUE")
    return key, raw


def _setter(dotted: str, raw: str):
    return lambda: _absolute(_nest(dotted, _value(dotted, raw)), Path.cwd())


def _pick_file(chosen: str | None) -> Path | None:
    if chosen:
        file = Path(chosen)
        if not file.is_file():
            raise ConfigError(f"{chosen}: no such config file")
        return file.resolve()
    default = Path(DEFAULT_FILE)
    return default.resolve() if default.is_file() else None


def _read(file: Path) -> dict[str, Any]:
    try:
        data = yamlfile.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{file}: not valid YAML: {error}".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: top level must be a mapping of sections")
    return data


def _value(dotted: str, raw: str) -> Any:
    """Text for a key whose only type is a string, taken as it is (a secret may look like YAML:
    '#x', '123', 'a: b'), empty meaning null where null is allowed; YAML for every other key."""
    text_only, nullable = _text_key(dotted)
    if text_only:
        return None if raw == "" and nullable else raw
    try:
        return yamlfile.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        return raw


def _text_key(dotted: str) -> tuple[bool, bool]:
    schema = _schema()
    for part in dotted.split("."):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        schema = properties.get(part) or (extra if isinstance(extra, dict) else {})
        if "$ref" in schema:
            schema = _schema()["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    types = {t for branch in [schema, *schema.get("oneOf", []), *schema.get("anyOf", [])]
             for t in ([branch["type"]] if isinstance(branch.get("type"), str) else branch.get("type", []))}
    return types - {"null"} == {"string"}, "null" in types


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    for part in reversed(dotted.split(".")):
        value = {part: value}
    return value


def _merge(into: dict[str, Any], new: dict[str, Any], origin: str, known: dict[str, Any],
           origins: dict[str, str], prefix: str = "") -> None:
    """Keys are checked against ``known``, the defaults at this level; a mapping
    whose default is empty (notify.webhook.headers) is free-form and takes any.
    ``origins`` records which layer set each key last."""
    for key, value in new.items():
        if known and key not in known:
            raise ConfigError(f"{origin}: unknown key {key!r} (known: {', '.join(known)})")
        dotted = prefix + str(key)
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, origin, known.get(key) or {}, origins, dotted + ".")
        else:
            into[key] = value
            origins.pop(dotted, None)  # re-inserted last: the latest layer wins the blame
            origins[dotted] = origin


def _absolute(values: dict[str, Any], base: Path) -> dict[str, Any]:
    """Resolves the path-valued keys present in ``values`` against ``base``."""
    for dotted in PATH_KEYS:
        section, key = dotted.split(".")
        value = values.get(section, {}).get(key) if isinstance(values.get(section), dict) else None
        if isinstance(value, str) and value:
            values[section][key] = str(base / value)
    storage = values.get("storage")
    if isinstance(storage, dict) and isinstance(storage.get("url"), str):
        storage["url"] = _absolute_url(storage["url"], base)
    _absolute_tls(values, base)
    return values


def _with_defaults(defaults: dict[str, Any], given: Any) -> Any:
    """``given`` with every key it lacks at its default (a wrong type is left for the schema to name)."""
    if not isinstance(given, dict):
        return given
    filled = {key: _with_defaults(value, given[key]) if key in given and isinstance(value, dict) and value
              else given.get(key, copy.deepcopy(value)) for key, value in defaults.items()}
    return {**given, **filled}


def _absolute_tls(values: dict[str, Any], base: Path) -> None:
    """An upstream's certificate files, relative to the layer that named them."""
    upstreams = values.get("upstreams")
    for upstream in (upstreams.values() if isinstance(upstreams, dict) else ()):
        tls = upstream.get("tls") if isinstance(upstream, dict) else None
        for key in TLS_FILES if isinstance(tls, dict) else ():
            if isinstance(tls.get(key), str) and tls[key]:
                tls[key] = str(base / tls[key])


def _absolute_url(url: str, base: Path) -> str:
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.path.startswith("//"):
        return url
    return f"sqlite:///{base / parts.path.lstrip('/')}"


def _check_backend(url: str, origin: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise ConfigError(f"{origin}: storage.url: unsupported scheme {scheme!r} (have: {', '.join(SCHEMES)})")


def _check_notify(notify: dict[str, Any], blame: _Blame) -> None:
    """A channel's notifier must have what it needs, or its first code would fail at send time."""
    url = notify["webhook"]["url"]
    if notify["sms"] == "webhook" and url is None:
        raise ConfigError(f"{blame('notify.sms')}: notify.webhook.url: required when notify.sms is webhook")
    if url is not None and not _is_http(url):  # not echoed: a gateway's key may ride in its query
        raise ConfigError(f"{blame('notify.webhook.url')}: notify.webhook.url: not an http or https URL with a host")
    if notify["email"] == "smtp" and notify["smtp"]["sender"] is None:
        raise ConfigError(f"{blame('notify.email')}: notify.smtp.sender: required when notify.email is smtp")


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def _validate(values: dict[str, Any], blame: _Blame) -> None:
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_schema()).iter_errors(values))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "top level"
        said = error.message if blame.shows_values(where) else f"refused ({error.validator}: {error.validator_value})"
        raise ConfigError(f"{blame(where)}: {where}: {said}")


@functools.cache
def _schema() -> dict[str, Any]:
    return json.loads((shipped.SCHEMAS / "config.schema.json").read_text(encoding="utf-8"))
