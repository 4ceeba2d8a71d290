"""A PostgreSQL that goes away and comes back: requests answer the dialect's
error within the configured timeout, health says so, and service resumes
without a restart; nothing acknowledged is lost."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from facade.app import init_app
from tests.relay import Relay
from tests.test_express import ALICE, BASE, OK

pytestmark = pytest.mark.every_backend

UNAVAILABLE = '{"code":5000,"msg":"error","userMsg":"系统繁忙,请稍后再试","data":null}'


@pytest.fixture
async def relay(backend, storage_url):
    if backend != "postgresql":
        pytest.skip("a PostgreSQL fault")
    parts = urlsplit(storage_url)
    relay = Relay(parts.hostname, parts.port or 5432)
    await relay.start()
    yield relay, parts._replace(netloc=f"{parts.username}@127.0.0.1:{relay.port}").geturl()
    await relay.cut()


async def test_down_then_back_without_a_restart(aiohttp_client, make_config, relay):
    relay, url = relay
    client = await aiohttp_client(init_app(make_config(f"storage.url={url}", "storage.timeout=2")))
    assert await (await client.post(f"{BASE}/userRegister/v1", data=ALICE)).text() == OK

    await relay.cut()
    started = time.monotonic()
    response = await client.post(f"{BASE}/login/v1", data={"loginInfo": "alice", "pwd": ALICE["pwd1"]})
    assert (response.status, await response.text()) == (200, UNAVAILABLE)
    health = await client.get("/_facade/health")
    assert (health.status, await health.text()) == (503, '{"status":"unavailable","store":"unreachable"}')
    assert time.monotonic() - started < 4  # two requests, each bounded by storage.timeout

    await relay.start()  # the same port, as a restarted server would be
    response = await client.post(f"{BASE}/login/v1", data={"loginInfo": "alice", "pwd": ALICE["pwd1"]})
    assert '"code":0' in await response.text()  # the acknowledged registration survived
    assert (await client.get("/_facade/health")).status == 200
