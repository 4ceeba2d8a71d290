"""Builds the aiohttp application: the one place where parts are wired together."""
from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
from contextlib import suppress
from typing import AsyncIterator

from aiohttp import web

from facade import notify
from facade.client_address import ClientAddress, networks
from facade.config import Config, ConfigError
from facade.core.codes import CodePolicy, Notifier
from facade.core.faults import store_fault
from facade.core.operations import signatures
from facade.core.passwords import PasswordHasher
from facade.core.ports import Store
from facade.core.service import UserCore
from facade.core.sweep import Housekeeping
from facade.core.throttle import Limit, LoginThrottle, Rate, Spread
from facade.dialect.declarations import Dialect
from facade.dialect.endpoint import add_routes
from facade.dialect.errors import served
from facade.dialect.loader import load_dialects
from facade.dialect.sources import BodyLimits
from facade.dialect.tokens import codecs
from facade.images import redrawn
from facade.keys import BODIES, CLIENTS, CODECS, CONFIG, CORE, DIALECTS, HASHER, METRICS, STORE
from facade.metrics import Metrics
from facade.serving import SERVER, handler_options
from facade.store import open_store
from facade.upstream.config import Upstream, UpstreamError, upstreams
from facade.upstream.modes import plug
from facade.upstream.relay import relays

HEALTH = "/_facade/health"  # the one path under /_facade/ the public listener serves (facade.admin has the rest)
SWEEP_EVERY = 600  # seconds between housekeeping rounds, give or take a tenth (processes spread out)
log = logging.getLogger("facade.app")


def load_config_dialects(config: Config) -> list[Dialect]:
    """Every enabled mapping, checked against the core's operations; raises MappingError (or
    ConfigError for config that names a dialect wrongly)."""
    dialects = load_dialects(
        config.path("mappings.dir"), signatures(UserCore),
        schemas_dir=config.path("mappings.schemas_dir"), enabled=config["mappings.enabled"],
        validate_responses=config["mappings.validate_responses"],
        session_ttl_max=config["security.session_ttl_max"], settings=config["dialects"])
    signed = {d.name for d in dialects if d.session is not None and d.session.token == "jwt_hs256"}
    for name in config["security.legacy_jwt_keys"]:
        if name not in signed:
            raise ConfigError(f"{config.source}: security.legacy_jwt_keys.{name}: no dialect served here "
                              f"signs its tokens (have: {', '.join(sorted(signed)) or 'none'})")
    configured_upstreams(config, dialects)  # checked here too, so `facade check` names a mistake
    return dialects


def configured_upstreams(config: Config, dialects: list[Dialect]) -> dict[str, Upstream]:
    try:
        return upstreams(config["upstreams"], dialects)
    except UpstreamError as error:
        raise ConfigError(f"{config.source}: {error}") from None


def init_app(config: Config) -> web.Application:
    """Mappings are loaded and checked here, before anything is served."""
    dialects = load_config_dialects(config)
    legacy = configured_upstreams(config, dialects)
    app = web.Application(middlewares=[served],
                          client_max_size=config["server.max_body_bytes"], handler_args=handler_options(config))
    app[CONFIG], app[DIALECTS], app[METRICS] = config, dialects, Metrics()
    app[CLIENTS] = clients = ClientAddress(networks(config["server.trusted_proxies"]))
    app[BODIES] = BodyLimits(config["server.read_timeout"], config["server.max_parameters"], config["server.max_parts"],
                             config["server.max_bytes_in_flight"], config["server.max_large_bodies_per_client"],
                             clients.of)
    app.cleanup_ctx.append(_core)
    app.cleanup_ctx.append(_housekeeping)
    app.cleanup_ctx.append(relays(legacy))
    app.router.add_get(HEALTH, health)
    add_routes(app, dialects, plug(legacy))  # each route's upstream mode, as stages of its own
    app.on_response_prepare.append(no_sniffing)
    return app


async def open_configured_store(config: Config) -> Store:
    return await open_store(config["storage.url"], timeout=config["storage.timeout"],
                            pool_size=config["storage.pool_size"])


def core_of(config: Config, store: Store, hasher: PasswordHasher, notifier: Notifier) -> UserCore:
    login, codes = config["throttle.login"], config["throttle.codes"]
    return UserCore(store, hasher, session_ttl=config["security.session_ttl"],
                    session_ttl_max=config["security.session_ttl_max"], notifier=notifier,
                    code_policy=CodePolicy(**config["codes"], client_hourly=codes["ip_hourly"],
                                           target_share=codes["target_share"], owner_reserve=codes["owner_reserve"]),
                    throttle=LoginThrottle(store, pair=Limit(**login["account"]),
                                           account=Spread(**login["account_wide"]), client=Rate(**login["ip"])),
                    upload_budget=config["throttle.uploads.ip_hourly_bytes"],
                    image_pixels=config["server.max_image_pixels"], redraw=redrawn)


async def _core(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    store = await open_configured_store(config)
    try:
        hasher = PasswordHasher(config["security.bcrypt_rounds"], config["security.max_concurrent_hashes"],
                                meter=app[METRICS])
        await hasher.prepare()
        app[STORE], app[HASHER] = store, hasher
        # Without a configured key, one is made once and kept in the store, so
        # restarts (and every process on the same store) keep tokens valid.
        jwt_key = config["security.jwt_secret"]
        if not jwt_key:
            async with store.write() as work:
                jwt_key = await work.settings.keep("jwt_secret", secrets.token_urlsafe(48))
        app[CODECS] = codecs(app[DIALECTS], jwt_key, config["security.legacy_jwt_keys"])
        async with notify.from_config(config, counted=app[METRICS].code_handed) as notifier:
            app[CORE] = core_of(config, store, hasher, notifier)
            yield
    finally:
        await store.close()


async def _housekeeping(app: web.Application) -> AsyncIterator[None]:
    """Sweeps what nothing needs any more, now and then, in every process (sweeps are idempotent)."""
    keeper = Housekeeping(app[STORE], windows=[limit["window"] for limit in app[CONFIG]["throttle.login"].values()])

    async def rounds() -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY * random.uniform(0.9, 1.1))
            try:
                await keeper.sweep()
            except Exception:  # the database may be away for a while; the next round tries again
                log.warning("housekeeping failed; trying again in %d s", SWEEP_EVERY, exc_info=True)
    task = asyncio.create_task(rounds())
    yield
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


async def no_sniffing(request: web.Request, response: web.StreamResponse) -> None:
    """Served uploads are what their store says, never what a browser guesses from their bytes; and no
    answer names the server's software version for anyone to look up."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Server"] = SERVER


def _json(value: dict[str, str], status: int) -> web.Response:
    return web.json_response(value, status=status, dumps=lambda v: json.dumps(v, separators=(",", ":")))


async def health(request: web.Request) -> web.Response:
    """200 while the store answers; 503, at once, while it does not."""
    try:
        await request.app[STORE].ping()
    except Exception as error:  # a database that is down, restarting or unreachable
        log.warning("health: store unavailable: %s", store_fault(error) or type(error).__name__)
        return _json({"status": "unavailable", "store": "unreachable"}, 503)
    return _json({"status": "ok"}, 200)
