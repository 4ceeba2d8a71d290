"""Prometheus metrics, served at /_facade/metrics on the admin listener, in the text format.

With ``--workers N`` every process writes its values to files in one folder
the parent made (prometheus-client's multiprocess mode), so a scrape of the
one worker serving the admin listener sees the sum of all of them. That mode is chosen when
prometheus-client is first imported, which is why it is imported here only
once the server knows how many processes it runs.
"""
from __future__ import annotations

import os

from aiohttp import web

from facade.core.outcomes import LoginThrottled
from facade.keys import DIALECT, METRICS, OUTCOME, ROUTE, STORE_ERROR

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # the variable prometheus-client reads
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # the text format every Prometheus reads
LATENCY_BUCKETS = (.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
HASH_WAIT_BUCKETS = (.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
        self._folder = os.environ.get(MULTIPROCESS_DIR)
        self._answers: dict[tuple[str, str, str], tuple] = {}
        self.registry = CollectorRegistry()
        at = {"registry": self.registry}
        self.requests = Counter("facade_requests", "Requests answered, by dialect, route and outcome id",
                                ["dialect", "route", "outcome"], **at)
        self.latency = Histogram("facade_request_seconds", "Time to answer, by dialect and route",
                                 ["dialect", "route"], buckets=LATENCY_BUCKETS, **at)
        self.throttled = Counter("facade_logins_throttled", "Logins refused by the throttle before any "
                                 "password check, by dialect", ["dialect"], **at)
        self.codes = Counter("facade_codes", "Verification codes handed to a channel, by channel and result "
                             "(sent, failed)", ["channel", "result"], **at)
        self.store_errors = Counter("facade_store_errors", "Requests failed by the store (a timeout, a lost "
                                    "connection), by the driver's error", ["error"], **at)
        self.hash_queue = Gauge("facade_password_hash_queue", "Password hashes and checks waiting for a "
                                "hashing thread", multiprocess_mode="livesum", **at)
        self.hash_wait = Histogram("facade_password_hash_wait_seconds", "Time a password hash or check waited "
                                   "for a hashing thread", buckets=HASH_WAIT_BUCKETS, **at)
        self.upstream_calls = Counter("facade_upstream_calls", "Calls to a dialect's legacy server, by dialect, "
                                      "purpose (proxy, shadow, migrate) and result (answered, timeout, error, "
                                      "refused: the circuit was open)", ["dialect", "purpose", "result"], **at)
        self.upstream_latency = Histogram("facade_upstream_seconds", "Time a legacy server took to answer, by "
                                          "dialect", ["dialect"], buckets=LATENCY_BUCKETS, **at)
        self.circuit_open = Gauge("facade_upstream_circuit_open", "1 while a dialect's circuit to its legacy server "
                                  "is open in some process", ["dialect"], multiprocess_mode="max", **at)
        self.migrations = Counter("facade_lazy_migrations", "Logins the legacy server was asked about, by dialect "
                                  "and result (migrated, refused)", ["dialect", "result"], **at)
        self.shadowed = Counter("facade_shadow_compared", "Answers compared with the legacy server's, by dialect, "
                                "route, the facade's outcome and verdict (same, different, unavailable)",
                                ["dialect", "route", "outcome", "verdict"], **at)
        self.shadow_dropped = Counter("facade_shadow_dropped", "Mirrored calls dropped because the queue was full, "
                                      "by dialect", ["dialect"], **at)

    def answered(self, request: web.Request, seconds: float) -> None:
        dialect, route, outcome = request[DIALECT].name, request.get(ROUTE), request.get(OUTCOME, "-")
        key = (dialect, route.name if route else "-", outcome)
        children = self._answers.get(key)
        if children is None:  # labels() locks and builds keys: once per label set, not per request
            children = self._answers[key] = (self.requests.labels(*key), self.latency.labels(*key[:2]))
        children[0].inc()
        children[1].observe(seconds)
        if outcome == LoginThrottled.id:
            self.throttled.labels(dialect).inc()
        if STORE_ERROR in request:
            self.store_errors.labels(request[STORE_ERROR]).inc()

    # The core's Meter port.
    def hash_queued(self, change: int) -> None:
        self.hash_queue.inc(change)

    def hash_waited(self, seconds: float) -> None:
        self.hash_wait.observe(seconds)

    def code_handed(self, channel: str, result: str) -> None:
        self.codes.labels(channel, result).inc()

    def render(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess
        registry = self.registry
        if self._folder:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self._folder)
        return generate_latest(registry)


def forget_process(pid: int) -> None:
    """A dead worker's live gauges (its hash queue) stop counting; its counters stay in the sums."""
    if os.environ.get(MULTIPROCESS_DIR):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(pid)


async def scrape(request: web.Request) -> web.Response:
    response = web.Response(body=request.app[METRICS].render())
    response.headers["Content-Type"] = CONTENT_TYPE
    return response
