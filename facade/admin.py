"""The admin listener's app: the operator's endpoints, kept off the public port.

Metrics, each dialect's OpenAPI document and docs page, and the shadow report are served here, under the
same /_facade/ paths they always had; the public app has no route to any of them, so no spelling of their
paths (encoded, dot-segmented, doubled slashes: aiohttp routes on the percent-decoded path and merges no
dot segments) can reach them there. It answers them as it answers any path nobody serves.

With ``admin.token`` set, every request here, to any path, needs ``Authorization: Bearer <token>``; a
request without it gets a bare 401 and a WARNING line, at most one a minute, counting the others. Without
a token the listener answers anyone who can reach it, which config allows only on loopback or a Unix socket.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Callable

from aiohttp import web

from facade.api_docs import add_docs
from facade.app import no_sniffing
from facade.dialect.errors import Handler
from facade.keys import CONFIG, DIALECTS, METRICS, UPSTREAMS
from facade.metrics import scrape
from facade.serving import handler_options
from facade.upstream.shadow import report as shadow_report

METRICS_PATH, SHADOW_PATH = "/_facade/metrics", "/_facade/shadow"
QUIET_FOR = 60.0  # seconds between two log lines about refused admin requests
log = logging.getLogger("facade.admin")


class Refusals:
    """Says the first refusal at once, then at most one line per ``QUIET_FOR``, counting those unsaid."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: float | None = None
        self._unsaid = 0

    def refused(self, request: web.Request, why: str) -> None:
        now = self._clock()
        if self._last is not None and now - self._last < QUIET_FOR:
            self._unsaid += 1
            return
        # The path as sent, still percent-encoded: decoded, a %0A in it would forge a second log line.
        log.warning("admin: refused %s %s from %s: %s (%d more refused since the last such line; said once a "
                    "minute at most)", request.method, request.rel_url.raw_path, request.remote, why, self._unsaid)
        self._last, self._unsaid = now, 0


def gate(token: str | None, refusals: Refusals) -> Callable[[web.Request, Handler], object]:
    """The middleware asking every request for the bearer token. Digests are compared, in constant time,
    so neither the token's bytes nor its length shows in how long a refusal takes."""
    wanted = hashlib.sha256(token.encode()).digest() if token else None

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if wanted is not None:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not given.strip():
                return _refuse(request, refusals, "no bearer token")
            if not hmac.compare_digest(hashlib.sha256(given.strip().encode()).digest(), wanted):
                return _refuse(request, refusals, "a wrong bearer token")
        return await handler(request)
    return check


def _refuse(request: web.Request, refusals: Refusals, why: str) -> web.Response:
    refusals.refused(request, why)
    return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})


def admin_app(public: web.Application, clock: Callable[[], float] = time.monotonic) -> web.Application:
    """Serves what ``public`` (the app init_app built) holds; start it after ``public``, whose start-up makes
    some of it (the upstreams' relays)."""
    config = public[CONFIG]
    app = web.Application(middlewares=[gate(config["admin.token"], Refusals(clock))],
                          handler_args=handler_options(config))
    app[CONFIG], app[DIALECTS], app[METRICS] = config, public[DIALECTS], public[METRICS]

    async def shared(admin: web.Application) -> None:
        admin[UPSTREAMS] = public.get(UPSTREAMS, {})
    app.on_startup.append(shared)
    app.router.add_get(METRICS_PATH, scrape)
    add_docs(app)
    app.router.add_get(SHADOW_PATH, shadow_report)
    app.on_response_prepare.append(no_sniffing)
    return app
