"""Shadow mode: the facade answers, and the same request goes to the legacy server in the background,
the two answers compared (facade/upstream/compare.py).

The client's answer never waits for the legacy server: a served request is put on a bounded queue
that workers empty; when it is full the request is dropped and counted, never queued without bound.
Comparisons are counted by route, by the facade's outcome and by verdict (in the metrics too), with
each differing field's count and one example of both values; the last ``keep`` differing pairs are
kept whole, their passwords, codes and tokens masked.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from facade.core.outcomes import UpstreamUnavailable
from facade.keys import DIALECT, MIRROR, OUTCOME, ROUTE, UPSTREAMS
from facade.metrics import Metrics
from facade.upstream.answers import Reading
from facade.upstream.client import SHADOW, Answer, Call, UpstreamClient
from facade.upstream.compare import Difference, Served, compare, parsed
from facade.upstream.config import Upstream
from facade.contract.jsondiff import escape

log = logging.getLogger("facade.upstream")
SAME, DIFFERENT, UNAVAILABLE = "same", "different", "unavailable"
MASK = "***"
SHOWN_BYTES = 2048  # of a body kept in the log of recent pairs
# Parameters and headers whose values never reach the log of recent pairs: passwords, codes, tokens.
SECRET_WORDS = ("password", "pwd", "code", "token", "secret", "authorization", "cookie", "session")


def offer(request: web.Request, response: web.StreamResponse) -> None:
    """Offers a shadowed route's request and the facade's answer, success or failure, for comparison."""
    call = request.get(MIRROR)
    if call is not None and isinstance(response, web.Response) and isinstance(response.body, bytes):
        served = Served(request[ROUTE].name, request.get(OUTCOME, "ok"), call, response.status,
                        response.headers.get("Content-Type", ""), response.body)
        request.app[UPSTREAMS][request[DIALECT].name].shadow.offer(served)


class Shadow:
    def __init__(self, client: UpstreamClient, upstream: Upstream, readings: dict[str, Reading],
                 metrics: Metrics) -> None:
        self._client, self._readings, self._metrics = client, readings, metrics
        self._dialect, self._workers_wanted = upstream.dialect, upstream.concurrency
        self._queue: asyncio.Queue[Served] = asyncio.Queue(upstream.queue)
        self._workers: list[asyncio.Task] = []
        self.book = Book(upstream.keep, {name: r.volatile for name, r in readings.items()})

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
            except Exception:  # one odd pair must not stop the comparisons
                log.exception("shadow comparison failed")
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

    def __init__(self, keep: int, volatile: dict[str, frozenset[str]]) -> None:
        self.groups: dict[tuple[str, str], _Group] = {}
        self.recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self.dropped = 0
        self._volatile = volatile

    def record(self, served: Served, verdict: str, answer: Answer | None, found: list[Difference]) -> None:
        group = self.groups.setdefault((served.route, served.outcome), _Group())
        group.compared += verdict != UNAVAILABLE
        group.unavailable += verdict == UNAVAILABLE
        if verdict != DIFFERENT:
            return
        group.different += 1
        for difference in found:
            seen = group.fields.setdefault(difference.where, _Field(0, difference.facade, difference.legacy))
            seen.count += 1
        if self.recent.maxlen:
            self.recent.append(self._pair(served, answer, found))

    def summary(self) -> dict[str, Any]:
        routes: dict[str, dict[str, Any]] = {}
        for (route, outcome), group in sorted(self.groups.items()):
            routes.setdefault(route, {})[outcome] = group.summary()
        totals = {key: sum(getattr(g, key) for g in self.groups.values())
                  for key in ("compared", "different", "unavailable")}
        return {**totals, "dropped": self.dropped, "routes": routes, "recent": list(self.recent)}

    def _pair(self, served: Served, answer: Answer, found: list[Difference]) -> dict[str, Any]:
        volatile = self._volatile.get(served.route, frozenset())
        return {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "route": served.route,
                "outcome": served.outcome, "request": _request(served.call),
                "facade": _answer(served.status, served.content_type, served.body, volatile),
                "legacy": _answer(answer.status, answer.content_type, answer.body, volatile),
                "differences": [vars(d) for d in found]}


def secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def _request(call: Call) -> dict[str, Any]:
    path, _, query = call.path_qs.partition("?")
    shown: dict[str, Any] = {"method": call.method, "path": path}
    if query:
        shown["query"] = _masked_pairs(parse_qsl(query, keep_blank_values=True))
    shown["headers"] = {k: MASK if secret(k) else v for k, v in call.headers.items()
                        if k.lower() not in ("x-forwarded-for",)}
    shown["body"] = _masked_body(call.headers.get("Content-Type", ""), call.body)
    return shown


def _masked_pairs(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {name: MASK if secret(name) else value for name, value in pairs}


def _masked_body(content_type: str, raw: bytes) -> Any:
    if not raw:
        return None
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        return _masked_pairs(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
    value = parsed(raw)
    if isinstance(value, dict):
        return _masked_json(value)
    return f"<{len(raw)} bytes of {kind or 'no stated type'}>"  # multipart, text: not shown, nothing to mask


def _masked_json(value: Any, pointer: str = "", volatile: frozenset[str] = frozenset()) -> Any:
    if pointer in volatile:
        return MASK
    if isinstance(value, dict):
        return {k: MASK if secret(str(k)) and not isinstance(v, (dict, list)) else
                _masked_json(v, f"{pointer}/{escape(k)}", volatile) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_json(v, f"{pointer}/{i}", volatile) for i, v in enumerate(value)]
    return value


def _answer(status: int, content_type: str, raw: bytes, volatile: frozenset[str]) -> dict[str, Any]:
    value = parsed(raw)
    if value is None:
        text = raw[:SHOWN_BYTES].decode("utf-8", errors="replace")
        body: Any = text + ("…" if len(raw) > SHOWN_BYTES else "")
    else:
        body = _masked_json(value, "", volatile)  # tokens and codes are volatile: never shown
    return {"status": status, "content_type": content_type, "body": body}


async def report(request: web.Request) -> web.Response:
    """GET /_facade/shadow: every dialect's comparisons, as JSON."""
    relays = request.app.get(UPSTREAMS, {})
    body = {"process": os.getpid(),  # with --workers, each process compares what it served
            "dialects": {name: {"url": relay.upstream.url, "breaker": relay.client.breaker.state,
                                **relay.shadow.book.summary()}
                         for name, relay in relays.items()}}
    return web.json_response(body, dumps=lambda v: _dumps(v))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
