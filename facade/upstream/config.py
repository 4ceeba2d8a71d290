"""Each dialect's upstream, as the deployment config names it (``upstreams:``), checked against the
dialects served: the legacy server's URL and TLS, how long a call may take, and what each route does
with it.

A route's mode: ``serve`` (the facade answers), ``proxy`` (the legacy server answers, byte for byte)
or ``shadow`` (the facade answers; the legacy server is asked the same in the background and the two
answers are compared). A route whose operation writes (a registration, a code sent, a reset) is
mirrored only with ``shadow_writes``: a mirrored registration or SMS is real.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from facade.dialect.declarations import Dialect, Route

SERVE, PROXY, SHADOW = "serve", "proxy", "shadow"
LOGIN = "login"  # the core operation a lazy migration rides on: a password login


class UpstreamError(ValueError):
    """An upstream the config names wrongly: the dotted key and the reason."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key


@dataclass(frozen=True)
class Upstream:
    dialect: str
    url: str  # base URL: a request's path and query are appended as the client sent them
    timeout: float  # seconds for one whole call
    mode: str
    routes: dict[str, str]
    lazy_migration: bool
    shadow_writes: bool
    failures: int  # failed calls in a row that open the circuit
    cool_down: float  # seconds the circuit stays open before one call may try again
    queue: int  # shadow calls waiting at most; beyond, one is dropped and counted
    concurrency: int  # shadow calls in flight at once
    keep: int  # recent differing pairs kept for the report
    max_answer_bytes: int
    tls: ssl.SSLContext | None = field(default=None, compare=False)

    def mode_of(self, route: Route) -> str:
        return self.routes.get(route.name, self.mode)

    def mirrors(self, route: Route) -> bool:
        """Whether this route's requests go to the legacy server too."""
        return self.mode_of(route) == SHADOW and (self.shadow_writes or not route.writes)


def upstreams(values: dict[str, dict[str, Any]], dialects: list[Dialect]) -> dict[str, Upstream]:
    """The config's ``upstreams`` section (defaults filled in) for the dialects served; raises UpstreamError."""
    served = {d.name: d for d in dialects}
    found = {}
    for name, raw in values.items():
        key = f"upstreams.{name}"
        if name not in served:
            raise UpstreamError(key, f"no dialect {name!r} is served here (have: {', '.join(served)})")
        found[name] = _upstream(key, raw, served[name])
    return found


def _upstream(key: str, raw: dict[str, Any], dialect: Dialect) -> Upstream:
    parts = urlsplit(raw["url"])
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise UpstreamError(f"{key}.url", "not an http or https base URL with a host (and no query)")
    routes = {r.name: r for r in dialect.routes}
    for name, mode in raw["routes"].items():
        if name not in routes:
            raise UpstreamError(f"{key}.routes.{name}", f"{dialect.name} has no route {name!r} "
                                                       f"(have: {', '.join(routes)})")
        if mode == SHADOW and routes[name].writes and not raw["shadow_writes"]:
            raise UpstreamError(f"{key}.routes.{name}", f"its operation {routes[name].operation} writes, and a "
                                                       "mirrored write is real: set shadow_writes: true to shadow it")
    if raw["lazy_migration"] and not any(r.operation == LOGIN for r in dialect.routes):
        raise UpstreamError(f"{key}.lazy_migration", f"{dialect.name} has no route whose operation is {LOGIN}")
    breaker, shadow = raw["breaker"], raw["shadow"]
    return Upstream(
        dialect=dialect.name, url=raw["url"].rstrip("/"), timeout=raw["timeout"], mode=raw["mode"],
        routes=dict(raw["routes"]), lazy_migration=raw["lazy_migration"], shadow_writes=raw["shadow_writes"],
        failures=breaker["failures"], cool_down=breaker["cool_down"], queue=shadow["queue"],
        concurrency=shadow["concurrency"], keep=shadow["keep"], max_answer_bytes=raw["max_answer_bytes"],
        tls=_tls(f"{key}.tls", raw["tls"]) if parts.scheme == "https" else None)


def _tls(key: str, tls: dict[str, Any]) -> ssl.SSLContext:
    """Made at start-up, so a missing or unreadable file stops the server now."""
    try:
        context = ssl.create_default_context(cafile=tls["ca_file"])
        if tls["cert_file"]:
            context.load_cert_chain(tls["cert_file"], tls["key_file"])
    except (OSError, ssl.SSLError) as error:
        raise UpstreamError(key, f"{getattr(error, 'strerror', None) or error}"
                                 f"{': ' + error.filename if getattr(error, 'filename', None) else ''}") from None
    if not tls["verify"]:  # a legacy server on a self-signed certificate, inside the network
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
