"""`facade serve`: the public listener and the admin listener, in one process or N workers.

Both sockets are bound, and the store reached, before anything is served, so a port in use or a store
away is said once, in one line. With ``--workers N`` the public socket is shared by every worker and the
admin socket is served by one of them (slot 0, see facade.workers): one admin listener, whose scrape sums
every process's metrics (prometheus-client's multiprocess folder), and whose shadow report shows the
comparisons of the process serving it, which answers its share of the public requests like any other.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import tempfile

from facade import config as configuration
from facade import exposure, listeners, logs, metrics, serving, workers
from facade.admin import admin_app
from facade.app import init_app, open_configured_store
from facade.core.ports import Store
from facade.keys import DIALECTS
from facade.storage_url import describe, will_create

ADMIN_SLOT = 0  # the worker that serves the admin listener too
log = logging.getLogger("facade")


class CannotStart(Exception):
    """A reason the server cannot start, said in one line."""


def serve(config: configuration.Config) -> int:
    logs.setup(config["logging.level"], config["logging.format"])
    with contextlib.ExitStack() as stack:
        if config["server.workers"] > 1:  # before the app (and its metrics) exists: every worker writes there
            os.environ[metrics.MULTIPROCESS_DIR] = stack.enter_context(tempfile.TemporaryDirectory(
                prefix="facade-metrics-"))
        return _serve(config)


def _serve(config: configuration.Config) -> int:
    app = init_app(config)  # mappings checked once, before any worker starts
    sock = _listen(config["server.host"], config["server.port"])
    try:
        admin = _listen_admin(listeners.parse(config["admin.listen"]))
    except BaseException:
        sock.close()
        raise
    try:
        store = asyncio.run(_reach(config))  # an unreachable or unwritable store stops the server here, once
        return _run(config, app, sock, admin, store)
    finally:
        admin.release()
        sock.close()


def _run(config: configuration.Config, app, sock: socket.socket, admin: listeners.Bound, store: str) -> int:
    host, port = sock.getsockname()[:2]
    address, count = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}", config["server.workers"]
    for dialect in app[DIALECTS]:
        log.info("serving %s: %d routes under %s at %s, store %s, %d process%s", dialect.name, len(dialect.routes),
                 ", ".join(dialect.url_space) or "/", address, store, count, "es" if count > 1 else "")
    _say_admin(config, admin, count)
    exposure.warn_of_kept_key(config, app[DIALECTS])
    operator = admin_app(app)

    def work(slot: int) -> int:  # in the worker, after any fork: each process makes its own loop
        if slot != ADMIN_SLOT:
            admin.sock.close()  # this process's copy only: the parent keeps its own for a replacement
        serving.run(app, sock, config, access_log_class=logs.AccessLogger, loop_factory=_event_loop,
                    admin=(operator, admin.sock) if slot == ADMIN_SLOT else None)
        return 0
    if count == 1:
        status = work(ADMIN_SLOT)
    else:
        app.cleanup_ctx.append(workers.parent_watch)
        status = workers.Supervisor(count, work, on_exit=metrics.forget_process).run()
    log.info("stopped serving at %s (exit %d)", address, status)
    return status


def _say_admin(config: configuration.Config, admin: listeners.Bound, count: int) -> None:
    gate = ("every request needs Authorization: Bearer <admin.token>" if config["admin.token"] else
            "no admin.token is set: it asks for none, and listens on loopback only")
    served = f"; served by one of the {count} processes" if count > 1 else ""
    log.info("admin listener at %s (metrics, OpenAPI documents and docs, shadow report): %s%s",
             admin.url(), gate, served)


def _event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's when it is installed (the 'fast' extra): the same behaviour, less cost per request."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _listen(host: str, port: int) -> socket.socket:
    try:
        return workers.listen(host, port)
    except OSError as error:
        raise CannotStart(f"cannot listen on {host}:{port}: "
                          f"{os.strerror(error.errno) if error.errno else error}") from None


def _listen_admin(address: listeners.Address) -> listeners.Bound:
    try:
        return listeners.bind(address)
    except OSError as error:
        raise CannotStart(f"admin.listen: cannot listen on {address}: "
                          f"{os.strerror(error.errno) if error.errno else error}") from None


async def _reach(config: configuration.Config) -> str:
    """Opens the store once (creating it, or bringing its schema up to date) and says which it is."""
    store, named = await named_store(config)
    await store.close()
    return named


async def named_store(config: configuration.Config) -> tuple[Store, str]:
    url = config["storage.url"]
    created = will_create(url)
    store = await open_configured_store(config)
    return store, describe(url) + (" (created now: there was no database)" if created else "")
