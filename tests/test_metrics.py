"""/_facade/metrics on the admin listener: Prometheus text whose counters move with the requests a test makes, in one process
and summed over every worker of `serve --workers 2`."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from facade.app import init_app
from tests.servers import Served, free_port

REGISTER = "/express/login/api/userRegister/v1"
LOGIN = "/express/login/api/login/v1"
ALICE = {"userName": "alice", "pwd1": "s3cret-pw", "pwd2": "s3cret-pw", "mobile": "13800138000"}


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client) -> dict:
    response = await client.get("/_facade/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return samples(await response.text())


@pytest.mark.every_backend
async def test_counters_move_with_the_requests_made(aiohttp_client, admin_client, make_config):
    dead_gateway = f"http://127.0.0.1:{free_port()}/sms"  # nothing listens: every SMS fails
    client = await aiohttp_client(init_app(make_config(
        "notify.sms=webhook", f"notify.webhook.url={dead_gateway}", "notify.webhook.timeout=2",
        "throttle.login.account.failures=2")))
    admin = await admin_client(client)
    before = await scrape(admin)
    assert value(before, "facade_requests_total", dialect="express", route="register", outcome="ok") == 0
    assert (await client.post(REGISTER, data=ALICE)).status == 200
    for _ in range(3):
        await client.post(LOGIN, data={"loginInfo": "alice", "pwd": "wrong-pw"})
    await client.post("/code/send", data={"username": "13900139000"})
    await client.post("/code/send", data={"username": "ann@example.com"})
    await client.get("/express/login/api/nowhere")
    found = await scrape(admin)
    assert value(found, "facade_requests_total", dialect="express", route="register", outcome="ok") == 1
    assert value(found, "facade_requests_total", dialect="express", route="login", outcome="wrong_password") == 2
    assert value(found, "facade_requests_total", dialect="express", route="login", outcome="login_throttled") == 1
    assert value(found, "facade_requests_total", dialect="express", route="-", outcome="no_route") == 1
    assert value(found, "facade_logins_throttled_total", dialect="express") == 1
    assert value(found, "facade_request_seconds_count", dialect="express", route="login") == 3
    assert value(found, "facade_codes_total", channel="sms", result="failed") == 1
    assert value(found, "facade_codes_total", channel="email", result="sent") == 1
    assert value(found, "facade_password_hash_wait_seconds_count") >= 3  # a hash, two checks (and decoys)
    assert value(found, "facade_password_hash_queue") == 0
    assert value(found, "facade_store_errors_total") == 0


async def test_one_scrape_sees_every_worker(tmp_path):
    server = Served(f"storage.url=sqlite:///{tmp_path}/f.db", "security.bcrypt_rounds=4", "logging.level=WARNING",
                    "server.max_connections_per_client=64",  # 40 at once may all reach one worker
                    args=("--workers", "2"))
    try:
        await server.healthy()
        async with aiohttp.ClientSession() as http:
            async def check() -> None:  # a connection each, so the kernel spreads them over both workers
                async with aiohttp.ClientSession() as own, own.get(
                        server.base + "/express/login/api/checkInfoIsCanUse/v1?type=userName&info=alice") as r:
                    assert r.status == 200
            await asyncio.gather(*(check() for _ in range(40)))
            for _ in range(4):  # the one admin listener counts all 40, whichever worker answered them
                async with http.get(server.admin + "/_facade/metrics") as response:
                    found = samples(await response.text())
                assert value(found, "facade_requests_total", dialect="express", route="check-username",
                             outcome="ok") == 40
        assert len(server.children()) == 2
    finally:
        assert server.stop() == 0
