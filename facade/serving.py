"""The HTTP server under the app: aiohttp's, minus what a hostile client could use.

- Connections are capped below the open-file limit; per-client shares apply
  only near that cap, so that neither one client nor a crowd of idle sockets
  can lock everyone out, and a crowd behind one address is never refused on
  an idle server (facade.connections says who gives way).
- A client has ``server.read_timeout`` seconds to send a request's head (and an
  idle kept-alive connection is closed after as long); the body's own deadline
  is applied where it is read (facade.dialect.sources).
- A request aiohttp cannot parse gets a bare 400 that echoes nothing, and one
  INFO line naming the kind of error: never the bytes, which may hold a
  password, nor a traceback, which is for faults of ours.
- Request bodies are never inflated: no legacy client compressed one, and
  aiohttp would inflate a bomb on the event loop before any limit applied.
- Running out of file descriptors is logged once a minute, not as a traceback
  per failed accept.
- What start-up built (dialects, schemas, the store's pools) lives as long as the
  process, so it is frozen out of the garbage collector once serving begins.
  Otherwise each full collection walks all of it: 15-35 ms with every request
  stopped, which a burst of connections brings on.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import resource
import socket
import time
from contextlib import suppress
from typing import Any, Callable

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_protocol import RequestHandler

from facade.client_address import ClientAddress, networks
from facade.config import Config
from facade.connections import QUIET_FOR, Connections

SERVER = "facade"  # the Server header of every answer: no software version for anyone to look up
FILES_KEPT_FREE = 64  # descriptors left for the store, the outbox, logs and imports under a full connection cap
REFUSED = (b"HTTP/1.1 503 Service Unavailable\r\nServer: " + SERVER.encode() +
           b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
ACCEPT_FAILED = "socket.accept() out of system resource"
# What aiohttp buffers of a body before it stops reading that socket is twice this (its default: 64 KiB).
# Smaller, a body that waits its turn (facade.dialect.sources) costs the loop one read before it is paused,
# not several: a burst of large bodies then fills fewer turns of the loop that other requests wait behind.
READ_BUFFER = 16 * 1024
log = logging.getLogger("facade.serving")


def connection_cap(configured: int) -> int:
    """The configured cap, or less where the open-file limit could not hold it."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return configured
    return max(1, min(configured, soft - FILES_KEPT_FREE))


class Protocol(RequestHandler):
    connections: Connections

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self.peer, self.trusted = self.connections.clients.peer(peer[0] if isinstance(peer, tuple) else None)
        self._counted = True
        if not self.connections.admit(self.peer, self.trusted):  # refused before any task or timer is made for it
            transport.write(REFUSED)  # type: ignore[attr-defined]
            transport.close()
            self._force_close = True
            return
        super().connection_made(transport)
        self.connections.idle(self)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._messages:  # a whole head has arrived: this connection is serving, no longer only waiting
            self.connections.busy(self)

    async def finish_response(self, request: web.BaseRequest, resp: web.StreamResponse,
                              start_time: float | None) -> tuple[web.StreamResponse, bool]:
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            if getattr(self, "_counted", False):  # answered: waiting for the next head, last in line to be shed
                self.connections.idle(self)

    def serving(self) -> bool:
        """Whether a request is in progress here, or a whole head waits to be served."""
        return bool(self._request_in_progress or self._messages)

    def shed(self) -> None:
        """Closed to make room at the connection cap; uncounted at once, so the room is there now."""
        self._uncount()
        self.force_close()
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._uncount()
        super().connection_lost(exc)

    def _uncount(self) -> None:
        if getattr(self, "_counted", False):
            self._counted = False
            self.connections.left(self)

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        """400 is what aiohttp answers a request it could not parse: the client's doing. Anything else
        is a fault of ours and is logged, with its traceback, as aiohttp does."""
        if status != 400:
            response = super().handle_error(request, status, exc, message)
        else:
            log.info("bad request from %s: %s", request.remote, type(exc).__name__ if exc else "unknown")
            response = web.Response(status=400, text="Bad Request")
            response.force_close()
        response.headers["Server"] = SERVER
        return response


class Server(web.Server):
    def __init__(self, made: web.Server, connections: Connections) -> None:
        super().__init__(made.request_handler, request_factory=made.request_factory,
                         handler_cancellation=made.handler_cancellation, **made._kwargs)
        self.limits = connections

    def __call__(self) -> Protocol:
        protocol = Protocol(self, loop=self._loop, **self._kwargs)
        protocol.connections = self.limits
        return protocol


class Runner(web.AppRunner):
    def __init__(self, app: web.Application, connections: Connections, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._connections = connections

    async def _make_server(self) -> web.Server:
        return Server(await super()._make_server(), self._connections)


class AcceptErrors:
    """The loop's handler for errors nothing awaits: an accept that failed for want of descriptors is
    one WARNING line a minute; anything else goes to asyncio's default handler."""

    def __init__(self) -> None:
        self._last = -QUIET_FOR
        self._missed = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_FAILED:
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self._last < QUIET_FOR:
            self._missed += 1
            return
        error = context.get("exception")
        log.warning("cannot accept connections: %s (%d more since the last such line)",
                    getattr(error, "strerror", None) or type(error).__name__, self._missed)
        self._last, self._missed = now, 0


def handler_options(config: Config) -> dict[str, Any]:
    """What aiohttp's request handler is told, by whatever server runs the app: see the module's docstring."""
    return {"keepalive_timeout": config["server.read_timeout"], "auto_decompress": False, "read_bufsize": READ_BUFFER}


def connections_of(config: Config) -> Connections:
    return Connections(connection_cap(config["server.max_connections"]), config["server.max_connections_per_client"],
                       ClientAddress(networks(config["server.trusted_proxies"])))


def run(app: web.Application, sock: socket.socket, config: Config,
        access_log_class: type[AbstractAccessLogger],
        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
        admin: tuple[web.Application, socket.socket] | None = None) -> None:
    """Serves ``app`` on ``sock`` (and the admin app on its socket, if given) until SIGTERM or SIGINT, then
    finishes what it is serving."""
    async def serve() -> None:
        asyncio.get_running_loop().set_exception_handler(AcceptErrors())
        runner = Runner(app, connections_of(config), handle_signals=True, access_log_class=access_log_class)
        await runner.setup()  # first: the admin app serves what the public one's start-up made
        runners = [runner]
        try:
            if admin is not None:
                # The same server as the public one (bare 400s that echo nothing, connection caps), counted apart.
                operator = Runner(admin[0], connections_of(config), handle_signals=False,
                                  access_log_class=access_log_class)
                await operator.setup()
                runners.append(operator)
                await web.SockSite(operator, admin[1]).start()
            await web.SockSite(runner, sock).start()
            gc.collect()  # start-up's garbage goes now, not into the frozen generation
            gc.freeze()
            await asyncio.Future()  # until a signal raises GracefulExit
        finally:
            for each in reversed(runners):
                await each.cleanup()
    with suppress(web.GracefulExit, KeyboardInterrupt), asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(serve())
