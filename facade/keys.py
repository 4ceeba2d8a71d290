"""Typed keys for what the app and each request carry, in one place."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from aiohttp import web

if TYPE_CHECKING:
    from facade.client_address import ClientAddress
    from facade.config import Config
    from facade.core.passwords import PasswordHasher
    from facade.core.ports import Store
    from facade.core.service import UserCore
    from facade.dialect.declarations import Dialect, Route
    from facade.dialect.sources import BodyLimits
    from facade.dialect.tokens import Codec
    from facade.metrics import Metrics
    from facade.upstream.relay import Relay

CONFIG: web.AppKey["Config"] = web.AppKey("config")
STORE: web.AppKey["Store"] = web.AppKey("store")
CORE: web.AppKey["UserCore"] = web.AppKey("core")
CODECS: web.AppKey[dict[str, "Codec"]] = web.AppKey("codecs")  # by dialect name
DIALECTS: web.AppKey[list["Dialect"]] = web.AppKey("dialects")
CLIENTS: web.AppKey["ClientAddress"] = web.AppKey("clients")
HASHER: web.AppKey["PasswordHasher"] = web.AppKey("hasher")
METRICS: web.AppKey["Metrics"] = web.AppKey("metrics")
BODIES: web.AppKey["BodyLimits"] = web.AppKey("bodies")
UPSTREAMS: web.AppKey[dict[str, "Relay"]] = web.AppKey("upstreams")  # by dialect name: those with an upstream
DOCUMENTS: web.AppKey[dict[str, bytes]] = web.AppKey("documents")  # each dialect's OpenAPI text, made when asked

# Per-request values set by the engine, read by the error middleware.
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id")
DIALECT: web.RequestKey["Dialect"] = web.RequestKey("dialect")
ROUTE: web.RequestKey["Route"] = web.RequestKey("route")
APP_ID: web.RequestKey[str] = web.RequestKey("app_id")  # set once the app's credentials are checked
OUTCOME: web.RequestKey[str] = web.RequestKey("outcome")  # the outcome id the answer says, for the access line
STORE_ERROR: web.RequestKey[str] = web.RequestKey("store_error")  # the driver's error that failed the request
# What a stage wants done with the answer once it is rendered, success or failure (a shadow's comparison).
ANSWERED: web.RequestKey[Callable[[web.StreamResponse], None]] = web.RequestKey("answered")
