"""``facade serve --workers N``: N processes accepting on one listening socket.

The parent binds the port (so a port in use is reported once, before any
worker starts), then forks the workers; each opens its own store connections
and serves until told to stop. The parent keeps nothing a request needs: it
forwards SIGTERM and SIGINT to the workers, waits for them to finish what
they are serving, and starts a new worker when one dies (a crash, a SIGKILL,
the store away), waiting longer after each death in a row, so a database
outage costs a retry every half minute, not a fork storm.

Each worker has a slot, 0 to N-1, that its replacement takes over: the
worker in slot 0 also serves the admin listener (its socket too is bound
by the parent, so the replacement serves it where the dead one did).

Only when no worker has ever managed to start (the store unreachable from
the first moment, say) does the server give up, after a few tries; workers
that are serving are never stopped because another could not start. A worker
whose parent dies stops too, so nothing keeps the port after the server is gone.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from contextlib import suppress
from typing import AsyncIterator, Callable

from aiohttp import web

log = logging.getLogger("facade.workers")
STARTED_AFTER = 5.0    # seconds: a worker alive this long did start
FAILED_STARTS_MAX = 5  # this many failed starts, none ever started: give up
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0  # seconds before replacing a dead worker, doubling while they keep dying
POLL = 0.1
SIGNALS = {signal.SIGTERM, signal.SIGINT}
_parent = 0  # in a worker: the supervisor's pid


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=backlog, reuse_port=False)


class Supervisor:
    def __init__(self, count: int, work: Callable[[int], int], clock: Callable[[], float] = time.monotonic,
                 on_exit: Callable[[int], None] = lambda pid: None) -> None:
        self._count = count
        self._work = work  # runs in a worker, given its slot; returns its exit status
        self._on_exit = on_exit  # told each worker's pid once it is gone
        self._clock = clock
        self._children: dict[int, tuple[float, int]] = {}  # pid -> when it started, and its slot
        self._stopping = False
        self._ever_started = False
        self._failed_starts = 0
        self._deaths_in_a_row = 0
        self._due: list[tuple[float, int]] = []  # when each worker waiting to be replaced may start, and its slot
        self._pid = os.getpid()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for slot in range(self._count):
            self._spawn(slot)
        while self._children or (self._due and not self._stopping):
            self._reap()
            self._respawn_due()
            time.sleep(POLL)
        return 1 if self._gave_up() else 0

    def _reap(self) -> None:
        while self._children:
            pid, code = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            child = self._children.pop(pid, None)
            self._on_exit(pid)
            if child is not None and not self._stopping:
                self._died(pid, code, *child)

    def _died(self, pid: int, code: int, started: float, slot: int) -> None:
        """A worker that lived STARTED_AFTER seconds had started: it is replaced at once. Each quick death
        in a row doubles the wait; one that exited by itself that quickly failed to start (a signal from
        outside is no such failure)."""
        quick = self._clock() - started < STARTED_AFTER
        self._ever_started |= not quick
        self._failed_starts += quick and os.WIFEXITED(code)
        self._deaths_in_a_row = self._deaths_in_a_row + 1 if quick else 0
        if self._gave_up():
            log.error("worker %d died (%s); no worker ever started: giving up", pid, _describe(code))
            self._stop(signal.SIGTERM, None)
            return
        steps = self._deaths_in_a_row
        delay = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** min(steps - 1, 16)) if steps else 0.0
        log.warning("worker %d died (%s); starting another in %.1f s", pid, _describe(code), delay)
        self._due.append((self._clock() + delay, slot))

    def _gave_up(self) -> bool:
        return not self._ever_started and self._failed_starts >= FAILED_STARTS_MAX

    def _respawn_due(self) -> None:
        now = self._clock()
        for due in sorted(self._due):
            if due[0] <= now and not self._stopping:
                self._due.remove(due)
                self._spawn(due[1])

    def _spawn(self, slot: int) -> None:
        """Forks with SIGTERM and SIGINT held back, so no stop can land between the fork and the bookkeeping
        that lets it reach the new worker."""
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        try:
            if self._stopping:
                return
            pid = os.fork()
            if pid == 0:
                self._become_worker(slot)
            self._children[pid] = (self._clock(), slot)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)

    def _become_worker(self, slot: int) -> None:
        global _parent
        _parent = self._pid  # known before the fork: the parent may die before the worker could ask
        for signum in SIGNALS:  # default handling until the server installs its own
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
        status = 1
        try:
            status = self._work(slot)
        except BaseException:
            log.exception("worker %d failed", os.getpid())
        finally:
            os._exit(status)

    def _stop(self, signum: int, frame: object) -> None:
        self._stopping = True
        for pid in list(self._children):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


async def parent_watch(app: web.Application) -> AsyncIterator[None]:
    """In a worker: stop when the parent is gone (killed, say), so no orphan keeps the port."""
    async def watch() -> None:
        while os.getppid() == _parent:
            await asyncio.sleep(1)
        log.warning("the server's parent process is gone: stopping")
        os.kill(os.getpid(), signal.SIGTERM)
    task = asyncio.create_task(watch())
    yield
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


def _describe(code: int) -> str:
    if os.WIFSIGNALED(code):
        return f"signal {signal.Signals(os.WTERMSIG(code)).name}"
    return f"exit {os.WEXITSTATUS(code)}"
