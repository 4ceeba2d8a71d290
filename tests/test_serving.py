"""The HTTP server under the app, as `facade serve` runs it: no version banner,
a bare 400 for what cannot be parsed, connection caps, a deadline for a
request's head, and nothing logged as our fault for a client's mistakes."""
from __future__ import annotations

import asyncio
import re
import socket

import aiohttp
import pytest

from tests.servers import Served

BARE_400 = (b"HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nServer: facade\r\n"
            b"Content-Length: 11\r\nDate: -\r\n\r\nBad Request")
REFUSED = b"HTTP/1.1 503 Service Unavailable\r\nServer: facade\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def exchange(port: int, data: bytes, source: str = "127.0.0.1", wait: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), source_address=(source, 0)) as sock:
        sock.settimeout(wait)
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


@pytest.fixture
async def served(tmp_path):
    started: list[Served] = []

    async def serve(*sets: str) -> Served:
        server = Served(f"storage.url=sqlite:///{tmp_path / 'facade.db'}", f"notify.outbox={tmp_path / 'o.jsonl'}",
                        "security.bcrypt_rounds=4", *sets, cwd=tmp_path)
        started.append(server)
        await server.healthy()
        return server
    yield serve
    for server in started:
        server.stop()


async def test_no_answer_names_the_software_and_a_malformed_request_is_echoed_nowhere(served):
    server = await served("logging.level=INFO")
    async with aiohttp.ClientSession() as http:
        for path in ("/_facade/health", "/no/such/path", "/i/login"):
            async with http.get(server.base + path) as response:
                assert response.headers["Server"] == "facade"
    for request in (b"G\x01T /x?password=hunter2 HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /?password=hunter2" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nCookie: s=hunter2" + b"a" * 9000 + b"\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n"):
        answer = await asyncio.to_thread(exchange, server.port, request)
        assert re.sub(rb"Date: [^\r]+", b"Date: -", answer) == BARE_400
    server.stop()
    assert "hunter2" not in server.log and "Traceback" not in server.log and " ERROR " not in server.log
    assert server.log.count("INFO facade.serving [-] bad request from 127.0.0.1: ") == 4


async def test_a_head_that_does_not_arrive_in_time_is_hung_up_on(served):
    server = await served("server.read_timeout=1")
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await asyncio.to_thread(exchange, server.port, b"POST /i/login HTTP/1.1\r\nHost: x\r\n", wait=10)
    assert answer == b"" and 0.9 < loop.time() - started < 5


async def test_a_client_leaving_mid_body_is_no_fault_of_ours(served):
    server = await served("logging.level=INFO")
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(b"POST /express/login/api/login/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n\r\nloginInfo=")
            await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    server.stop()
    assert "Traceback" not in server.log and " ERROR " not in server.log


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(2)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def kept_alive_health(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    sock.sendall(b"GET /_facade/health HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while not answer.endswith(b"}"):
        answer += sock.recv(65536)
    return answer


HEALTH_ONCE = b"GET /_facade/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


async def test_at_the_total_cap_the_longest_waiting_headless_connection_makes_room(served):
    server = await served("server.max_connections=6", "logging.level=INFO")
    # a crowd of addresses, each holding a socket open: some sent nothing, one half a head
    crowd = [socket.create_connection(("127.0.0.1", server.port), source_address=(f"127.0.1.{i}", 0))
             for i in range(1, 7)]
    crowd[3].sendall(b"GET /_facade/health HTTP/1.1\r\nHo")
    await asyncio.sleep(0.3)
    newcomers = []
    try:
        for i in range(3):  # each newcomer is served and stays; the crowd's oldest sockets are closed, in order
            newcomers.append(socket.create_connection(("127.0.0.1", server.port), source_address=(f"127.0.0.{2 + i}", 0)))
            answer = await asyncio.to_thread(kept_alive_health, newcomers[-1])
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b'{"status":"ok"}')
            assert await asyncio.to_thread(closed_by_server, crowd[i]), i
        assert not await asyncio.to_thread(closed_by_server, crowd[4])
        assert (await asyncio.to_thread(kept_alive_health, newcomers[0])).endswith(b'{"status":"ok"}')
    finally:
        for sock in crowd + newcomers:
            sock.close()
    server.stop()
    assert server.log.count("WARNING facade.serving [-] at the connection cap (6): closed 1 connection(s)") == 1
    assert "connection refused" not in server.log and "Traceback" not in server.log


async def test_at_the_total_cap_connections_serving_requests_are_kept_and_a_newcomer_is_refused(served):
    server = await served("server.max_connections=4", "logging.level=INFO")
    busy = [socket.create_connection(("127.0.0.1", server.port), source_address=(f"127.0.1.{i}", 0))
            for i in range(1, 5)]
    for sock in busy:  # a request in progress each: a whole head, the body still coming
        sock.sendall(b"POST /express/login/api/login/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n\r\nloginInfo=")
    await asyncio.sleep(0.3)
    try:
        assert await asyncio.to_thread(exchange, server.port, b"", "127.0.0.2") == REFUSED
        assert not any([await asyncio.to_thread(closed_by_server, sock) for sock in busy])
    finally:
        for sock in busy:
            sock.close()
    await asyncio.sleep(0.3)
    answer = await asyncio.to_thread(exchange, server.port, HEALTH_ONCE, "127.0.0.2")
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")


def kept_alive_from(port: int, source: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    answer = kept_alive_health(sock)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b'{"status":"ok"}'), answer
    return sock


BODY_COMING = (b"POST /express/login/api/login/v1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
               b"Content-Type: application/x-www-form-urlencoded\r\n\r\nloginInfo=")


async def test_64_keep_alive_connections_from_one_address_are_all_served_on_an_idle_server(served):
    server = await served("logging.level=INFO")
    held = [await asyncio.to_thread(kept_alive_from, server.port, "127.0.0.1") for _ in range(64)]
    try:
        for sock in held:  # every one still open, and served again
            assert (await asyncio.to_thread(kept_alive_health, sock)).endswith(b'{"status":"ok"}')
    finally:
        for sock in held:
            sock.close()
    server.stop()
    assert "connection refused" not in server.log and "closed" not in server.log


async def test_near_the_cap_the_address_holding_the_most_gives_up_an_idle_one_never_a_busy_one(served):
    server = await served("server.max_connections=10", "server.max_connections_per_client=2", "logging.level=INFO")
    busy = socket.create_connection(("127.0.0.1", server.port))  # the oldest: serving a request, its body coming
    busy.sendall(BODY_COMING)
    await asyncio.sleep(0.2)
    idle = [await asyncio.to_thread(kept_alive_from, server.port, "127.0.0.1") for _ in range(8)]  # 9 of 10: overload
    newcomers = []
    try:
        for i in range(2):  # each newcomer from another address: the heaviest address's oldest idle one goes
            newcomers.append(await asyncio.to_thread(kept_alive_from, server.port, f"127.0.0.{2 + i}"))
            assert await asyncio.to_thread(closed_by_server, idle[i]), i
        assert not await asyncio.to_thread(closed_by_server, busy)
        assert not await asyncio.to_thread(closed_by_server, idle[2])
        # the heaviest's own newcomer takes its own oldest idle one
        newcomers.append(await asyncio.to_thread(kept_alive_from, server.port, "127.0.0.1"))
        assert await asyncio.to_thread(closed_by_server, idle[2])
        for sock in newcomers + idle[3:]:
            assert (await asyncio.to_thread(kept_alive_health, sock)).endswith(b'{"status":"ok"}')
    finally:
        for sock in [busy, *idle, *newcomers]:
            sock.close()
    server.stop()
    assert server.log.count("WARNING facade.serving [-] near the connection cap (9 open, cap 10): closed 1 idle "
                            "connection(s) of the clients holding the most (over 2 each)") == 1
    assert "connection refused" not in server.log and "Traceback" not in server.log


async def test_near_the_cap_an_address_whose_connections_all_serve_is_refused_more_and_others_are_not(served):
    server = await served("server.max_connections=10", "server.max_connections_per_client=2", "logging.level=INFO")
    busy = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(9)]
    for sock in busy:
        sock.sendall(BODY_COMING)
    await asyncio.sleep(0.3)
    try:
        assert await asyncio.to_thread(exchange, server.port, b"") == REFUSED
        answer = await asyncio.to_thread(exchange, server.port, HEALTH_ONCE, "127.0.0.2")
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b'{"status":"ok"}')
        assert not any([await asyncio.to_thread(closed_by_server, sock) for sock in busy])
    finally:
        for sock in busy:
            sock.close()
    await asyncio.sleep(0.3)
    answer = await asyncio.to_thread(exchange, server.port, HEALTH_ONCE)  # room again below the overload mark
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    server.stop()
    assert server.log.count("WARNING facade.serving [-] connection refused: 9 open (cap 10), 9 from 127.0.0.1 "
                            "(share under overload 2), none idle to close") == 1
