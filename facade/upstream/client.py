"""Calls to one dialect's legacy server: a request sent on as the client sent it (hop-by-hop headers
excepted, and what says who the client is: X-Forwarded-For and X-Request-Id are the facade's own,
and the client's Forwarded, X-Forwarded-Host, -Proto and X-Real-Ip are never passed on), within the
upstream's timeout and behind its circuit breaker; a failure is UpstreamUnavailable, which the
dialect answers with its own error."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from facade.core.outcomes import UpstreamUnavailable
from facade.metrics import Metrics
from facade.upstream.breaker import OPEN, Breaker
from facade.upstream.config import Upstream

# RFC 9110 7.6.1: meaningful for one connection only, never passed on (nor any header Connection names).
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
                        "te", "trailer", "transfer-encoding", "upgrade"})
NOT_SENT = HOP_BY_HOP | {"host", "content-length"}  # the client library sets these anew
# Who the client is, and how it came: the facade says it (facade/client_address.py), never the client.
CLAIMS = frozenset({"x-request-id", "x-forwarded-for", "forwarded", "x-forwarded-host", "x-forwarded-proto",
                    "x-forwarded-port", "x-forwarded-prefix", "x-real-ip", "x-client-ip", "true-client-ip"})
NOT_RETURNED = HOP_BY_HOP | {"content-length", "date", "server"}  # the facade's own server sets these
PROXY, SHADOW, MIGRATE = "proxy", "shadow", "migrate"  # what a call is for, as the metrics count it


def end_to_end(headers: CIMultiDictProxy[str] | CIMultiDict[str], dropped: frozenset[str]) -> CIMultiDict[str]:
    named = {token.strip().lower() for value in headers.getall("Connection", ()) for token in value.split(",")}
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in dropped and k.lower() not in named)


@dataclass(frozen=True)
class Call:
    """A request as the client sent it: what goes to the legacy server."""
    method: str
    path_qs: str
    headers: CIMultiDict[str]
    body: bytes

    @classmethod
    def of(cls, request: web.Request, body: bytes, request_id: str, chain: tuple[str, ...]) -> "Call":
        """``chain``: the addresses the request came through as the facade believes them, client first."""
        headers = end_to_end(request.headers, NOT_SENT | CLAIMS)
        headers["X-Request-Id"] = request_id  # one id follows the request through both servers
        if chain:
            headers["X-Forwarded-For"] = ", ".join(chain)
        return cls(request.method, request.raw_path, headers, body)

    def identity(self) -> "Call":
        """The same call asking for an answer that is not compressed: one the facade reads itself."""
        headers = CIMultiDict(self.headers)
        headers.popall("Accept-Encoding", None)
        return Call(self.method, self.path_qs, headers, self.body)


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: CIMultiDict[str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


class UpstreamClient:
    def __init__(self, upstream: Upstream, metrics: Metrics) -> None:
        self.upstream = upstream
        self._metrics = metrics
        gauge = metrics.circuit_open.labels(upstream.dialect)
        self.breaker = Breaker(upstream.failures, upstream.cool_down,
                               on_change=lambda state: gauge.set(1 if state == OPEN else 0))
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(ssl=self.upstream.tls if self.upstream.tls is not None else True,
                                         limit=100)
        # The bytes as they come (a proxied gzip stays gzip), no cookies kept between clients, and no
        # header the client did not send.
        self._http = aiohttp.ClientSession(connector=connector, auto_decompress=False,
                                           cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                                           skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding",
                                                              "Content-Type"))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def send(self, call: Call, purpose: str) -> Answer:
        """The legacy server's answer; UpstreamUnavailable when the circuit is open, or the server does not
        answer within the timeout, or its answer is larger than allowed."""
        dialect = self.upstream.dialect
        if not self.breaker.allow():
            self._metrics.upstream_calls.labels(dialect, purpose, "refused").inc()
            raise UpstreamUnavailable("circuit open")
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.upstream.timeout):
                answer = await self._exchange(call)
        except TimeoutError:
            self._failed(purpose, "timeout")
            raise UpstreamUnavailable(f"no answer within {self.upstream.timeout} s") from None
        except (aiohttp.ClientError, OSError, ValueError) as error:
            self._failed(purpose, "error")
            raise UpstreamUnavailable(type(error).__name__) from None
        except BaseException:  # cancelled: no verdict on the server
            self.breaker.abandoned()
            raise
        self._metrics.upstream_latency.labels(dialect).observe(time.monotonic() - started)
        self._metrics.upstream_calls.labels(dialect, purpose, "answered").inc()
        if answer.status >= 500:  # the server's own failure: its answer stands, but it counts against it
            self.breaker.failed()
        else:
            self.breaker.succeeded()
        return answer

    def unreadable(self) -> None:
        """The caller found the answer unusable (not the dialect's JSON): that counts against the server."""
        self.breaker.failed()

    def _failed(self, purpose: str, result: str) -> None:
        self.breaker.failed()
        self._metrics.upstream_calls.labels(self.upstream.dialect, purpose, result).inc()

    async def _exchange(self, call: Call) -> Answer:
        assert self._http is not None, "UpstreamClient.start() first"
        url = URL(self.upstream.url + call.path_qs, encoded=True)  # exactly as the client sent them
        async with self._http.request(call.method, url, headers=call.headers,
                                      data=call.body or None, allow_redirects=False) as response:
            body = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                body += chunk
                if len(body) > self.upstream.max_answer_bytes:
                    raise ValueError(f"an answer beyond {self.upstream.max_answer_bytes} bytes")
            return Answer(response.status, response.reason or "", CIMultiDict(response.headers), bytes(body))


def respond(answer: Answer) -> web.Response:
    """The legacy server's answer, byte for byte: its status, its end-to-end headers and its body."""
    return web.Response(status=answer.status, reason=answer.reason or None, body=answer.body,
                        headers=end_to_end(answer.headers, NOT_RETURNED))
