"""Two listeners: the public one answers the dialects and /_facade/health, and nothing else under /_facade/
in any spelling; the admin one serves the operator's endpoints, behind a bearer token when one is set."""
from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import stat
import subprocess
import sys

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from facade.app import init_app
from tests.conftest import CONFIG_FILE, ROOT
from tests.servers import Served
from tests.test_metrics import samples, value

TOKEN = "a-long-admin-token-0123456789"
CHECK = "/express/login/api/checkInfoIsCanUse/v1?type=userName&info=alice"
OPERATOR = ("/_facade/metrics", "/_facade/shadow", "/_facade/openapi/express.json", "/_facade/docs/express",
            "/_facade/docs/page.js", "/_facade/docs/ui/swagger-ui.css")
ADMIN_PAGES = {"/_facade/metrics": "text/plain; version=0.0.4; charset=utf-8",
               "/_facade/shadow": "application/json; charset=utf-8",
               "/_facade/openapi/express.json": "application/json; charset=utf-8",
               "/_facade/docs/express": "text/html; charset=utf-8"}


def spellings(path: str) -> list[str]:
    """Ways a client may write ``path`` (/_facade/...) that a proxy matching the literal prefix would let by."""
    rest = path[len("/_facade/"):]
    return [path, path.replace("_", "%5F", 1), path.replace("_", "%5f", 1), "/%5F%66%61cade/" + rest, "/" + path,
            "/_facade/.." + path, "/_facade/./" + rest, "/x/.." + path, path.replace("_facade", "_FACADE"),
            "/express/login/api/%2e%2e/%2e%2e/%2e%2e" + path, "/express/login/api/../../.." + path,
            "/api2/users/%2E%2E/%2E%2E" + path, "/_facade%2f" + rest, "/_facade%2F" + rest, path + "/",
            path + "?x=1", path + "%00", "http://x" + path, "/%2e%2e" + path, "/_facade/%2e/" + rest]


async def raw(port: int, target: str, headers: str = "") -> tuple[int, dict[str, str], bytes]:
    """The answer to a request line sent as it is written: no client library normalises it first."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n".encode())
    answer = await reader.read()
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), fields, body


def normal(answer: tuple[int, dict[str, str], bytes], nowhere: str = "") -> tuple:
    """An answer without its time and request id, and, for the answer to a path nobody serves, with ``nowhere``
    in place of the path's last part: what an unknown path's answer would be for that path instead."""
    status, fields, body = answer
    text = body.decode("utf-8", "replace").replace("nowhere", nowhere) if nowhere else body.decode("utf-8", "replace")
    if fields.get("Content-Type", "").startswith("application/json"):
        text = json.dumps({k: v for k, v in json.loads(text).items() if k != "timestamp"})
    return status, fields.get("Content-Type"), text


async def refuses_every_spelling(port: int) -> None:
    """Each spelling of each operator path is answered as the same spelling of a path nobody serves."""
    for path in OPERATOR:
        for spelled, nowhere in zip(spellings(path), spellings("/_facade/nowhere")):
            answer = await raw(port, spelled)
            assert answer[0] in (400, 404), (spelled, answer)
            assert normal(answer) == normal(await raw(port, nowhere), path[len("/_facade/"):]), spelled


async def answers_health_only(port: int) -> None:
    for spelled, nowhere in zip(spellings("/_facade/health"), spellings("/_facade/nowhere")):
        answer = await raw(port, spelled)
        if answer[0] == 200:
            assert answer[2] == b'{"status":"ok"}', spelled
        else:
            assert normal(answer) == normal(await raw(port, nowhere), "health"), spelled


async def test_the_public_app_answers_every_spelling_of_an_operator_path_as_an_unknown_path(make_config):
    server = TestServer(init_app(make_config()), host="127.0.0.1")
    await server.start_server()
    try:
        await refuses_every_spelling(server.port)
        await answers_health_only(server.port)
        assert (await raw(server.port, "/%5Ffacade/health"))[2] == b'{"status":"ok"}'  # decoded, as ever
    finally:
        await server.close()


@pytest.fixture
def gated(aiohttp_client, admin_client, make_config):
    """The public app and, beside it, the admin app with a token, on a clock the test moves."""
    class Clock:
        now = 1000.0

        def __call__(self) -> float:
            return self.now
    clock = Clock()

    async def make(*sets: str):
        public = await aiohttp_client(init_app(make_config(f"admin.token={TOKEN}", *sets)))
        return public, await admin_client(public, clock), clock
    return make


async def test_without_the_right_token_every_admin_path_is_a_bare_401(gated):
    _, admin, _ = await gated()
    wrong = [{}, {"Authorization": "Bearer"}, {"Authorization": "Bearer "}, {"Authorization": f"Basic {TOKEN}"},
             {"Authorization": "Bearer " + TOKEN[:-1]}, {"Authorization": "Bearer " + TOKEN + "x"},
             {"Authorization": TOKEN}, {"X-Admin-Token": TOKEN}]
    for path in [*ADMIN_PAGES, "/_facade/docs/ui/swagger-ui.css", "/_facade/nowhere", "/"]:
        for headers in wrong:
            response = await admin.get(path, headers=headers)
            assert (response.status, await response.read()) == (401, b""), (path, headers)
            assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_the_right_token_opens_metrics_documents_pages_and_the_shadow_report(gated):
    _, admin, _ = await gated()
    for scheme in ("Bearer", "bearer"):
        for path, content_type in ADMIN_PAGES.items():
            response = await admin.get(path, headers={"Authorization": f"{scheme} {TOKEN}"})
            assert (response.status, response.headers["Content-Type"]) == (200, content_type), path
    response = await admin.get("/_facade/shadow", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (await response.json())["dialects"] == {}
    response = await admin.get("/_facade/nowhere", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (response.status, await response.text()) == (404, "404: Not Found")


async def test_refusals_are_one_line_a_minute_counting_the_others_and_never_the_token(gated, caplog):
    _, admin, clock = await gated()
    with caplog.at_level(logging.INFO, logger="facade.admin"):
        for _ in range(5):
            await admin.get("/_facade/metrics")
        clock.now += 30
        await admin.get("/_facade/shadow", headers={"Authorization": f"Bearer {TOKEN}-not"})
        assert [r.getMessage() for r in caplog.records if r.name == "facade.admin"] == [
            "admin: refused GET /_facade/metrics from 127.0.0.1: no bearer token (0 more refused since the last "
            "such line; said once a minute at most)"]
        clock.now += 31
        await admin.get("/_facade/shadow", headers={"Authorization": f"Bearer {TOKEN}-not"})
        await admin.get("/_facade/metrics", headers={"Authorization": f"Bearer {TOKEN}"})  # no line: let in
        clock.now += 61
        await admin.get("/_facade/x%0Aforged%20line")
    told = [r for r in caplog.records if r.name == "facade.admin"]
    assert [r.levelname for r in told] == ["WARNING", "WARNING", "WARNING"]
    assert told[1].getMessage() == ("admin: refused GET /_facade/shadow from 127.0.0.1: a wrong bearer token (5 more "
                                    "refused since the last such line; said once a minute at most)")
    assert told[2].getMessage().startswith("admin: refused GET /_facade/x%0Aforged%20line from 127.0.0.1: no bearer")
    assert TOKEN[:8] not in caplog.text


async def test_without_a_token_the_admin_app_asks_for_none(client, admin_client):
    admin = await admin_client(client)
    for path, content_type in ADMIN_PAGES.items():
        response = await admin.get(path)
        assert (response.status, response.headers["Content-Type"]) == (200, content_type), path


def facade(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "facade", *argv], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.mark.parametrize("listen", ["0.0.0.0:8081", "[::]:8081", "10.1.2.3:8081", "admin.example.com:8081"])
def test_no_token_and_a_listener_others_can_reach_stops_start_up_naming_admin_listen(tmp_path, listen):
    result = facade("serve", "--config", str(CONFIG_FILE), "--set", f"storage.url=sqlite:///{tmp_path}/f.db",
                    "--set", f"admin.listen={listen}")
    assert (result.returncode, result.stderr) == (2, (
        f"facade: --set admin.listen={listen}: admin.listen: {listen} is neither a loopback address nor a Unix "
        f"socket; without admin.token (set FACADE_ADMIN__TOKEN) the admin listener listens on loopback only\n"))
    assert not (tmp_path / "f.db").exists()


@pytest.mark.parametrize("listen, why", [
    ("8081", "'8081': expected HOST:PORT ([::1]:8081 for IPv6) or unix:/absolute/path"),
    (":8081", "':8081': expected HOST:PORT ([::1]:8081 for IPv6) or unix:/absolute/path"),
    ("127.0.0.1:http", "'127.0.0.1:http': expected HOST:PORT ([::1]:8081 for IPv6) or unix:/absolute/path"),
    ("unix:admin.sock", "'unix:admin.sock': a Unix socket's path must be absolute (unix:/run/facade/admin.sock)")])
def test_a_malformed_admin_listen_stops_start_up(listen, why):
    result = facade("check", "--config", str(CONFIG_FILE), "--set", f"admin.listen={listen}")
    assert (result.returncode, result.stderr) == (2, f"facade: --set admin.listen={listen}: admin.listen: {why}\n")


@pytest.mark.parametrize("listen", ["127.0.0.1:8081", "127.9.9.9:0", "[::1]:8081", "localhost:8081",
                                    "unix:/run/facade/admin.sock"])
def test_loopback_and_unix_sockets_need_no_token(listen):
    result = facade("check", "--config", str(CONFIG_FILE), "--set", f"admin.listen={listen}")
    assert (result.returncode, result.stderr) == (0, "")


def test_with_a_token_any_address_will_do():
    result = facade("check", "--config", str(CONFIG_FILE), "--set", "admin.listen=0.0.0.0:8081",
                    env={"FACADE_ADMIN__TOKEN": TOKEN})
    assert (result.returncode, result.stderr) == (0, "")


def test_a_short_token_is_refused_without_being_shown():
    for env, sets in (({"FACADE_ADMIN__TOKEN": "short-secret"}, ()), ({}, ("--set", "admin.token=short-secret"))):
        result = facade("check", "--config", str(CONFIG_FILE), *sets, env=env)
        assert result.returncode == 2 and "admin.token: refused (minLength: 16)" in result.stderr, result.stderr
        assert "short-secret" not in result.stderr.replace("--set admin.token=short-secret", "")


async def test_facade_serve_keeps_the_operators_plane_off_the_public_port(tmp_path):
    server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", "security.bcrypt_rounds=4", cwd=tmp_path,
                    env={"FACADE_ADMIN__TOKEN": TOKEN})
    try:
        await server.healthy()
        await refuses_every_spelling(server.port)
        await answers_health_only(server.port)
        admin_port = int(server.admin.rsplit(":", 1)[1])
        for path in ADMIN_PAGES:
            assert (await raw(admin_port, path))[0::2] == (401, b"")
            status, fields, _ = await raw(admin_port, path, f"Authorization: Bearer {TOKEN}\r\n")
            assert (status, fields["Content-Type"]) == (200, ADMIN_PAGES[path])
        reader, writer = await asyncio.open_connection("127.0.0.1", admin_port)
        writer.write(f"G\x01T /_facade/metrics?token={TOKEN} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        bad = await reader.read()
        writer.close()
        assert bad.split(b"\r\n")[0].endswith(b" 400 Bad Request") and bad.endswith(b"\r\n\r\nBad Request")
        refused = await asyncio.to_thread(facade, "shadow", "report", "--url", server.admin,
                                          env={"FACADE_ADMIN__TOKEN": ""})
        assert (refused.returncode, refused.stderr) == (2, (
            f"facade: shadow report: {server.admin}/_facade/shadow answered 401 (without the admin listener's token: "
            f"--token or $FACADE_ADMIN__TOKEN)\n"))
        shown = await asyncio.to_thread(facade, "shadow", "report", "--url", server.admin,
                                        env={"FACADE_ADMIN__TOKEN": TOKEN})
        assert shown.returncode == 0 and "no dialect has an upstream" in shown.stdout, shown.stderr
    finally:
        assert server.stop() == 0
    assert (f"admin listener at {server.admin} (metrics, OpenAPI documents and docs, shadow report): every request "
            f"needs Authorization: Bearer <admin.token>") in server.log
    assert server.log.count("WARNING facade.admin") == 1 and TOKEN[:8] not in server.log
    assert "Traceback" not in server.log


async def test_without_a_token_the_admin_listener_is_open_on_loopback_and_says_so(tmp_path):
    server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", "security.bcrypt_rounds=4", cwd=tmp_path)
    try:
        await server.healthy()
        async with aiohttp.ClientSession() as http, http.get(server.admin + "/_facade/metrics") as response:
            assert response.status == 200 and "facade_requests_total" in await response.text()
    finally:
        assert server.stop() == 0
    assert (f"INFO facade [-] admin listener at {server.admin} (metrics, OpenAPI documents and docs, shadow report): "
            f"no admin.token is set: it asks for none, and listens on loopback only\n") in server.log


async def test_the_admin_listener_on_a_unix_socket_is_the_servers_users_alone(tmp_path):
    path = tmp_path / "admin.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))  # what a killed server leaves: a socket file nobody listens on
    stale.close()
    server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", "security.bcrypt_rounds=4", f"admin.listen=unix:{path}",
                    cwd=tmp_path)
    try:
        await server.healthy()
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(str(path))) as http:
            async with http.get("http://localhost/_facade/metrics") as response:
                assert response.status == 200 and "facade_requests_total" in await response.text()
        shown = await asyncio.to_thread(facade, "shadow", "report", "--url", f"unix:{path}")
        assert shown.returncode == 0 and "no dialect has an upstream" in shown.stdout, shown.stderr
        second = Served(f"storage.url=sqlite:///{tmp_path}/g.db", f"admin.listen=unix:{path}", cwd=tmp_path)
        assert second.finish() == 2
        assert second.log == f"facade: admin.listen: cannot listen on unix:{path}: Address already in use\n"
    finally:
        assert server.stop() == 0
    assert not path.exists()  # removed by the server that made it
    assert f"admin listener at unix:{path} (metrics" in server.log


async def test_a_file_where_the_socket_would_be_is_left_alone_and_stops_start_up(tmp_path):
    path = tmp_path / "admin.sock"
    path.write_text("not a socket")
    server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", f"admin.listen=unix:{path}", cwd=tmp_path)
    assert server.finish() == 2
    assert server.log == f"facade: admin.listen: cannot listen on unix:{path}: {path} exists and is not a socket\n"
    assert path.read_text() == "not a socket"


async def test_an_admin_address_in_use_stops_start_up_in_one_line(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", f"admin.listen=127.0.0.1:{port}", cwd=tmp_path)
        assert server.finish() == 2
    assert server.log == f"facade: admin.listen: cannot listen on 127.0.0.1:{port}: Address already in use\n"


async def checks(base: str, count: int) -> None:
    """``count`` requests, each on a connection of its own (so whichever process may accept it does)."""
    for _ in range(count):
        async with aiohttp.ClientSession() as http, http.get(base + CHECK) as response:
            assert response.status == 200


async def test_with_two_workers_one_admin_listener_scrapes_both_and_is_served_again_after_a_kill(tmp_path):
    server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", "security.bcrypt_rounds=4", "logging.level=INFO",
                    args=("--workers", "2"), cwd=tmp_path)
    try:
        await server.healthy()
        workers = server.children()
        assert len(workers) == 2
        for paused, count in zip(workers, (3, 5)):  # each batch can only be the other worker's
            os.kill(paused, signal.SIGSTOP)
            try:
                await checks(server.base, count)
            finally:
                os.kill(paused, signal.SIGCONT)
        async with aiohttp.ClientSession() as http:
            async with http.get(server.admin + "/_facade/metrics") as response:
                found = samples(await response.text())
            assert value(found, "facade_requests_total", dialect="express", route="check-username", outcome="ok") == 8
            async with http.get(server.admin + "/_facade/shadow") as response:
                serving = (await response.json())["process"]
            assert serving in workers
            os.kill(serving, signal.SIGKILL)
            for _ in range(200):  # the replacement takes over the admin socket the parent kept
                await asyncio.sleep(0.05)
                try:
                    async with http.get(server.admin + "/_facade/shadow") as response:
                        replaced = (await response.json())["process"]
                        break
                except aiohttp.ClientError:
                    continue
            assert replaced not in workers and replaced in server.children()
    finally:
        assert server.stop() == 0
    assert "admin listener at " + server.admin in server.log and "served by one of the 2 processes" in server.log
    assert "Traceback" not in server.log
