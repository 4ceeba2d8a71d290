"""Shadow mode: the facade answers, and the same request goes to the legacy server in the background,
the two answers compared (facade/upstream/compare.py).

The client's answer never waits for the legacy server: a served request is put on a bounded queue
that workers empty; when it is full the request is dropped and counted, never queued without bound.
Comparisons are counted by route, by the facade's outcome and by verdict (in the metrics too), with
each differing field's count and one example of both values; the last ``keep`` differing pairs are
kept whole. Everything kept passes one redaction first (facade/upstream/recorded.py): no token, code,
password or app secret is kept, and phones and e-mail addresses are kept partly.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import traceback
from collections import deque
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from facade.core.outcomes import UpstreamUnavailable
from facade.keys import OUTCOME, ROUTE, UPSTREAMS
from facade.metrics import Metrics
from facade.upstream.answers import Reading
from facade.upstream.client import SHADOW, Answer, Call, UpstreamClient
from facade.upstream import recorded
from facade.upstream.compare import Difference, Served, compare
from facade.upstream.config import Upstream
from facade.wire.redact import Rules

log = logging.getLogger("facade.upstream")
SAME, DIFFERENT, UNAVAILABLE = "same", "different", "unavailable"


def offer(request: web.Request, dialect: str, call: Call, response: web.StreamResponse) -> None:
    """Offers a shadowed route's request and the facade's answer, success or failure, for comparison."""
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        served = Served(request[ROUTE].name, request.get(OUTCOME, "ok"), call, response.status,
                        response.headers.get("Content-Type", ""), response.body)
        request.app[UPSTREAMS][dialect].shadow.offer(served)


class Shadow:
    def __init__(self, client: UpstreamClient, upstream: Upstream, readings: dict[str, Reading],
                 rules: dict[str, Rules], metrics: Metrics) -> None:
        self._client, self._readings, self._metrics = client, readings, metrics
        self._dialect, self._workers_wanted = upstream.dialect, upstream.concurrency
        self._queue: asyncio.Queue[Served] = asyncio.Queue(upstream.queue)
        self._workers: list[asyncio.Task] = []
        self.book = Book(upstream.keep, rules)

    def start(self) -> None:
        self._workers = [asyncio.create_task(self._work()) for _ in range(self._workers_wanted)]

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with suppress(asyncio.CancelledError):
                await worker

    def offer(self, served: Served) -> None:
        try:
            self._queue.put_nowait(served)
        except asyncio.QueueFull:
            self.book.dropped += 1
            self._metrics.shadow_dropped.labels(self._dialect).inc()

    async def _work(self) -> None:
        while True:
            served = await self._queue.get()
            try:
                await self._compare(served)
            except Exception as error:  # one odd pair must not stop the comparisons
                log.error("shadow comparison of %s failed: %s at %s", served.route, type(error).__name__,
                          _where(error))  # not its message, nor a traceback's: they may hold the pair's values
            finally:
                self._queue.task_done()

    async def _compare(self, served: Served) -> None:
        try:
            answer = await self._client.send(served.call.identity(), SHADOW)
        except UpstreamUnavailable:
            verdict, answer, found = UNAVAILABLE, None, []
        else:
            found = compare(served, answer, self._readings[served.route])
            verdict = DIFFERENT if found else SAME
        self.book.record(served, verdict, answer, found)
        self._metrics.shadowed.labels(self._dialect, served.route, served.outcome, verdict).inc()


@dataclass
class _Field:
    count: int
    facade: Any  # the first example's values
    legacy: Any


@dataclass
class _Group:
    compared: int = 0
    different: int = 0
    unavailable: int = 0
    fields: dict[str, _Field] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"compared": self.compared, "different": self.different, "unavailable": self.unavailable,
                "fields": {where: vars(f) for where, f in self.fields.items()}}


class Book:
    """What the comparisons found, in this process."""

    def __init__(self, keep: int, rules: dict[str, Rules]) -> None:
        self.groups: dict[tuple[str, str], _Group] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self.dropped = 0
        self._rules = rules  # by route: what its mapping says is secret

    def record(self, served: Served, verdict: str, answer: Answer | None, found: list[Difference]) -> None:
        group = self.groups.setdefault((served.route, served.outcome), _Group())
        group.compared += verdict != UNAVAILABLE
        group.unavailable += verdict == UNAVAILABLE
        if verdict != DIFFERENT:
            return
        group.different += 1
        redaction = recorded.redaction(self._rules.get(served.route, Rules()), served, answer)
        for difference in found:
            if difference.where not in group.fields:
                group.fields[difference.where] = _Field(0, *recorded.example(redaction, difference))
            group.fields[difference.where].count += 1
        if self.recent.maxlen:
            self.recent.append(recorded.pair(redaction, served, answer, found))

    def summary(self) -> dict[str, Any]:
        routes: dict[str, dict[str, Any]] = {}
        for (route, outcome), group in sorted(self.groups.items()):
            routes.setdefault(route, {})[outcome] = group.summary()
        totals = {key: sum(getattr(g, key) for g in self.groups.values())
                  for key in ("compared", "different", "unavailable")}
        return {**totals, "dropped": self.dropped, "routes": routes, "recent": list(self.recent)}


async def report(request: web.Request) -> web.Response:
    """GET /_facade/shadow: every dialect's comparisons, as JSON."""
    relays = request.app.get(UPSTREAMS, {})
    body = {"process": os.getpid(),  # with --workers, each process compares what it served
            "dialects": {name: {"url": relay.upstream.url, "breaker": relay.client.breaker.state,
                                **relay.shadow.book.summary()}
                         for name, relay in relays.items()}}
    return web.json_response(body, dumps=lambda v: _dumps(v))


def _where(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
