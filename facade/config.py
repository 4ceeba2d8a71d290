"""Loads config.yaml: built-in defaults, then the file, then ``--set`` overrides,
validated against schemas/config.schema.json.

Relative paths in the file are resolved against the file's folder; relative
paths given with ``--set`` against the working directory, as a shell user
expects.
"""
from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import yaml

from facade import yamlfile
from facade.client_address import networks
from facade.dialect.loader import ENGINE_SCHEMAS, SHIPPED_MAPPINGS
from facade.store import BACKENDS

DEFAULT_FILE = "config.yaml"
ENV_VAR = "FACADE_CONFIG"
DEFAULTS: dict[str, Any] = {
    "server": {"host": "127.0.0.1", "port": 8080, "max_body_bytes": 1024 * 1024, "workers": 1,
               "trusted_proxies": [], "read_timeout": 30, "max_connections": 4096, "max_connections_per_client": 256,
               "max_bytes_in_flight": 32 * 1024 * 1024, "max_parameters": 256, "max_parts": 32,
               "max_image_pixels": 2048 * 2048},
    "storage": {"url": "sqlite:///var/facade.db", "timeout": 5, "pool_size": 10},
    "mappings": {"dir": str(SHIPPED_MAPPINGS), "schemas_dir": str(ENGINE_SCHEMAS), "enabled": None,
                 "validate_responses": False},
    "security": {"bcrypt_rounds": 12, "max_concurrent_hashes": 2,
                 "session_ttl": 86400, "session_ttl_max": 30 * 86400, "jwt_secret": None, "legacy_jwt_keys": {}},
    "codes": {"ttl": 300, "max_attempts": 5, "resend_after": 60, "hourly_cap": 10},
    "throttle": {"login": {"account": {"failures": 10, "window": 900, "wait": 30, "max_wait": 900},
                           "ip": {"failures": 100, "window": 3600, "wait": 60, "max_wait": 3600}},
                 "codes": {"ip_hourly": 30}, "uploads": {"ip_hourly_bytes": 16 * 1024 * 1024}},
    "notify": {"sms": "outbox", "email": "outbox", "outbox": "var/outbox.jsonl",
               "webhook": {"url": None, "timeout": 5, "headers": {}},
               "smtp": {"host": "localhost", "port": 25, "security": "none", "username": None, "password": None,
                        "sender": None, "subject": "验证码", "timeout": 10}},
    "dialects": {},  # per-dialect settings: {<dialect>: {<setting>: value}}
    "logging": {"level": "INFO"},
}
PATH_KEYS = ("mappings.dir", "mappings.schemas_dir", "notify.outbox")


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


def load(path: str | None = None, overrides: list[str] = ()) -> Config:
    file = _pick_file(path)
    values = _absolute(copy.deepcopy(DEFAULTS), file.parent if file else Path.cwd())
    if file is not None:
        _merge(values, _absolute(_read(file), file.parent), str(file), DEFAULTS)
    for item in overrides:
        key, value = _parse_override(item)
        _merge(values, _absolute(_nest(key, value), Path.cwd()), f"--set {item}", DEFAULTS)
    origin = str(file or "defaults")
    _validate(values, origin)
    _check_backend(values["storage"]["url"], origin)
    if values["security"]["session_ttl"] > values["security"]["session_ttl_max"]:
        raise ConfigError(f"{origin}: security.session_ttl is longer than security.session_ttl_max")
    _check_notify(values["notify"], origin)
    try:
        networks(values["server"]["trusted_proxies"])
    except ValueError as error:
        raise ConfigError(f"{origin}: {error}") from None
    return Config(str(file or "defaults"), values)


def _pick_file(path: str | None) -> Path | None:
    chosen = path or os.environ.get(ENV_VAR)
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


def _parse_override(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set {item}: expected KEY=VALUE")
    try:
        return key, yamlfile.safe_load(raw) if raw else ""
    except yaml.YAMLError:
        return key, raw


def _nest(dotted: str, value: Any) -> dict[str, Any]:
    for part in reversed(dotted.split(".")):
        value = {part: value}
    return value


def _merge(into: dict[str, Any], new: dict[str, Any], origin: str, known: dict[str, Any]) -> None:
    """Keys are checked against ``known``, the defaults at this level; a mapping
    whose default is empty (notify.webhook.headers) is free-form and takes any."""
    for key, value in new.items():
        if known and key not in known:
            raise ConfigError(f"{origin}: unknown key {key!r} (known: {', '.join(known)})")
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, origin, known.get(key) or {})
        else:
            into[key] = value


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
    return values


def _absolute_url(url: str, base: Path) -> str:
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.path.startswith("//"):
        return url
    return f"sqlite:///{base / parts.path.lstrip('/')}"


def _check_backend(url: str, origin: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in BACKENDS:
        raise ConfigError(f"{origin}: storage.url: unsupported scheme {scheme!r} (have: {', '.join(BACKENDS)})")


def _check_notify(notify: dict[str, Any], origin: str) -> None:
    """A channel's notifier must have what it needs, or its first code would fail at send time."""
    url = notify["webhook"]["url"]
    if notify["sms"] == "webhook" and url is None:
        raise ConfigError(f"{origin}: notify.webhook.url: required when notify.sms is webhook")
    if url is not None and not _is_http(url):  # not echoed: a gateway's key may ride in its query
        raise ConfigError(f"{origin}: notify.webhook.url: not an http or https URL with a host")
    if notify["email"] == "smtp" and notify["smtp"]["sender"] is None:
        raise ConfigError(f"{origin}: notify.smtp.sender: required when notify.email is smtp")


def _is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def _validate(values: dict[str, Any], origin: str) -> None:
    schema = json.loads((ENGINE_SCHEMAS / "config.schema.json").read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(values))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "top level"
        raise ConfigError(f"{origin}: {where}: {error.message}")
