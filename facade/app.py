"""Builds the aiohttp application: the one place where parts are wired together."""
from __future__ import annotations

import json
import secrets
from typing import AsyncIterator

from aiohttp import web

from facade import notify
from facade.config import Config
from facade.core import UserCore
from facade.core.codes import CodePolicy
from facade.core.operations import signatures
from facade.core.passwords import PasswordHasher
from facade.dialect.declarations import Dialect
from facade.dialect.endpoint import add_routes
from facade.dialect.errors import outcome_responses, request_ids
from facade.dialect.loader import load_dialects
from facade.dialect.tokens import codecs
from facade.keys import CODECS, CONFIG, CORE, STORE
from facade.store import open_store

HEALTH = "/_facade/health"


def load_config_dialects(config: Config) -> list[Dialect]:
    """Every enabled mapping, checked against the core's operations; raises MappingError."""
    return load_dialects(
        config.path("mappings.dir"), signatures(UserCore),
        schemas_dir=config.path("mappings.schemas_dir"), enabled=config["mappings.enabled"],
        validate_responses=config["mappings.validate_responses"],
        session_ttl_max=config["security.session_ttl_max"], settings=config["dialects"])


def init_app(config: Config) -> web.Application:
    """Mappings are loaded and checked here, before anything is served."""
    dialects = load_config_dialects(config)
    app = web.Application(middlewares=[request_ids, outcome_responses],
                          client_max_size=config["server.max_body_bytes"])
    app[CONFIG] = config
    app.cleanup_ctx.append(_core)
    app.router.add_get(HEALTH, health)
    add_routes(app, dialects, config.path("storage.files"))
    app.on_response_prepare.append(_no_sniffing)
    return app


async def _core(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    store = await open_store(config["storage.url"])
    hasher = PasswordHasher(config["security.bcrypt_rounds"], config["security.max_concurrent_hashes"])
    await hasher.prepare()
    app[STORE] = store
    # Without a configured key, one is made once and kept in the store, so
    # restarts (and every process on the same store) keep tokens valid.
    jwt_key = config["security.jwt_secret"] or await store.keep_setting("jwt_secret", secrets.token_urlsafe(48))
    app[CODECS] = codecs(jwt_key)
    async with notify.from_config(config) as notifier:
        app[CORE] = UserCore(store, hasher, session_ttl=config["security.session_ttl"],
                             session_ttl_max=config["security.session_ttl_max"],
                             notifier=notifier, files=config.path("storage.files"),
                             code_policy=CodePolicy(**config["codes"]))
        yield
    await store.close()


async def _no_sniffing(request: web.Request, response: web.StreamResponse) -> None:
    """Served uploads are what their extension says, never what a browser guesses from their bytes."""
    response.headers["X-Content-Type-Options"] = "nosniff"


async def health(request: web.Request) -> web.Response:
    await request.app[STORE].ping()
    return web.json_response({"status": "ok"}, dumps=lambda v: json.dumps(v, separators=(",", ":")))
