"""`facade serve --workers N`: N processes on one port and one store, that a
dying worker does not take down, and that SIGTERM stops together."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time

import aiohttp
import pytest

from tests.rows import PostgresRows, SqliteRows
from tests.conftest import CONFIG_FILE
from tests.servers import Served
from tests.test_express import ALICE, BASE, OK

pytestmark = pytest.mark.every_backend


async def until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


@pytest.fixture
async def workers(storage_url, tmp_path):
    server = Served(f"storage.url={storage_url}", "security.bcrypt_rounds=4", "logging.level=WARNING",
                    args=("--workers", "2"), cwd=tmp_path)
    await server.healthy()
    yield server
    server.stop()


async def test_two_workers_serve_one_store_and_one_identity(workers, backend, storage_url, db_path):
    await until(lambda: len(workers.children()) == 2)
    async with aiohttp.ClientSession() as http:
        # Concurrent registrations of one phone through two dialects, spread over both workers.
        express = [http.post(f"{workers.base}{BASE}/userRegister/v1", data={**ALICE, "userName": f"u{i}"})
                   for i in range(10)]
        api2 = [http.post(f"{workers.base}/api2/users/userReg/dev", headers={"devInfo": "{}"},
                          data={"uname": f"v{i}", "upwd": ALICE["pwd1"], "phone": ALICE["mobile"]}) for i in range(10)]
        answers = [(r.status, await r.text()) for r in await asyncio.gather(*express, *api2)]
        assert sum(text == OK or '"statu":"ok"' in text for _, text in answers) == 1
        for _ in range(20):  # the one user is found whichever worker answers
            async with http.post(f"{workers.base}{BASE}/login/v1",
                                 data={"loginInfo": ALICE["mobile"], "pwd": ALICE["pwd1"]}) as response:
                assert '"code":0' in await response.text()
    rows = SqliteRows(db_path) if backend == "sqlite" else PostgresRows(storage_url)
    assert len(rows("SELECT * FROM users WHERE phone = ?", ALICE["mobile"])) == 1


async def test_a_killed_worker_is_replaced_and_sigterm_stops_them_all(workers):
    await until(lambda: len(workers.children()) == 2)
    victim = workers.children()[0]
    os.kill(victim, signal.SIGKILL)
    await until(lambda: len(workers.children()) == 2 and victim not in workers.children())
    async with aiohttp.ClientSession() as http:
        for _ in range(10):
            async with http.post(f"{workers.base}{BASE}/userRegister/v1",
                                 data={**ALICE, "userName": "k", "mobile": "13700137000"}) as r:
                assert r.status == 200
    children = workers.children()
    assert workers.stop() == 0
    assert not any(os.path.exists(f"/proc/{pid}") for pid in children)
    assert "died (signal SIGKILL); starting another in" in workers.log


async def test_a_port_in_use_is_reported_once_before_any_worker_starts(workers, tmp_path):
    second = Served("security.bcrypt_rounds=4", args=("--workers", "2", "--port", str(workers.port)), cwd=tmp_path)
    assert second.finish() == 2
    assert second.log == f"facade: cannot listen on 127.0.0.1:{workers.port}: Address already in use\n"


async def test_an_unreachable_store_stops_the_server_before_any_worker_starts(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("one run is enough")
    server = Served("storage.url=postgresql://nobody@127.0.0.1:9/none", "storage.timeout=1",
                    args=("--workers", "2"), cwd=tmp_path)
    assert server.finish(timeout=60) == 2
    assert server.log.startswith("facade: storage.url: cannot open postgresql://nobody@127.0.0.1:9/none: ")
    assert server.log.count("\n") == 1


async def test_a_worker_dying_while_the_store_is_away_is_replaced_later_and_the_rest_keep_serving(
        tmp_path, backend, storage_url):
    """The store goes away, a worker dies: its replacements fail to start and wait longer each time, the
    other worker keeps answering (health says 503), and once the store is back a replacement starts."""
    if backend != "postgresql":
        pytest.skip("needs a store that can go away")
    from urllib.parse import urlsplit

    from tests.relay import Relay
    parts = urlsplit(storage_url)
    relay = Relay(parts.hostname, parts.port or 5432)
    await relay.start()
    url = parts._replace(netloc=f"{parts.username}@127.0.0.1:{relay.port}").geturl()
    server = Served(f"storage.url={url}", "storage.timeout=1", "security.bcrypt_rounds=4", args=("--workers", "2"),
                    cwd=tmp_path)
    try:
        await server.healthy()
        await until(lambda: len(server.children()) == 2)
        await asyncio.sleep(5.5)  # both workers have started, as far as the supervisor can tell
        await relay.cut()
        os.kill(server.children()[0], signal.SIGKILL)
        await asyncio.sleep(4)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.base}/_facade/health") as response:
                assert response.status == 503  # a worker still answers
        assert server.process.poll() is None
        await relay.start()
        await until(lambda: len(server.children()) == 2, timeout=40)
        await server.healthy(timeout=40)
    finally:
        try:
            # in a thread: the relay runs on this loop, and a worker stopping mid-way through its start
            # talks to the store through it (waiting here blocked the relay, and the worker, for a minute)
            await asyncio.to_thread(server.stop, 60)
        finally:
            await relay.cut()
    assert "giving up" not in server.log and "starting another in 1.0 s" in server.log


def running(pid: int) -> bool:
    """Alive and not a zombie (a re-parented worker may wait for a reaper that never comes)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def test_workers_stop_when_their_parent_is_killed(workers):
    await until(lambda: len(workers.children()) == 2)
    children = workers.children()
    workers.process.kill()
    await until(lambda: not any(running(pid) for pid in children), timeout=15)


async def test_every_limit_holds_across_two_worker_processes(tmp_path, storage_url):
    """With one process an in-process lock would hide a store that does not serialise: here requests
    race through two processes, so only the store's own transactions can keep the limits."""
    from facade.cli import main
    from tests.clients import AppPair, dialects
    outbox = tmp_path / "outbox.jsonl"
    server = Served(f"storage.url={storage_url}", "security.bcrypt_rounds=4", "logging.level=WARNING",
                    f"notify.outbox={outbox}", "server.trusted_proxies=[127.0.0.1]", "throttle.codes.ip_hourly=30",
                    args=("--workers", "2"), cwd=tmp_path)
    try:
        await server.healthy()
        await until(lambda: len(server.children()) == 2)
        printed = tmp_path / "app.json"
        with open(printed, "w") as out, contextlib.redirect_stdout(out):
            assert await asyncio.to_thread(main, ["apps", "add", "--config", str(CONFIG_FILE),
                                                  "--set", f"storage.url={storage_url}"]) == 0
        pair = json.loads(printed.read_text())
        calls = dialects(AppPair(pair["app_id"], pair["app_secret"]))
        async with aiohttp.ClientSession(base_url=server.base) as http:
            async def sent(phone: str, client: str) -> bool:
                return await calls["istatus"].ok(await calls["istatus"].send_code(http, phone,
                                                                                    {"X-Forwarded-For": client}))
            # 40 concurrent sends to one number: one message.
            assert sum(await asyncio.gather(*(sent("13700137000", f"10.1.0.{i}") for i in range(40)))) == 1
            # 40 numbers from one client: the hourly cap.
            assert sum(await asyncio.gather(*(sent(f"1360000{i:04d}", "10.2.0.1") for i in range(40)))) == 30
            # 30 concurrent wrong passwords: exactly the account's failures reach bcrypt, the rest wait.
            await calls["express"].register(http, "13500135000", "pw-1")
            wrong = await asyncio.gather(*(calls["express"].login(http, "13500135000", "wrong",
                                                                  {"X-Forwarded-For": "10.3.0.1"}) for _ in range(30)))
            texts = [await r.text() for r in wrong]
            assert sum("登录失败次数过多" in t for t in texts) == 20
            # 110 concurrent config keys for one user: the cap of 100.
            await calls["express"].register(http, "13400134000", "pw-1")
            token = (await (await calls["cloud_user"].login(http, "13400134000", "pw-1",
                                                           {"X-Forwarded-For": "10.4.0.1"})).json(content_type=None))
            headers = {"app_id": pair["app_id"], "app_secret": pair["app_secret"], "cloud_token": token["data"]["token"]}
            answers = await asyncio.gather(*(http.post("/api/cloud_user/config/set", headers=headers,
                                                       data={"key": f"k{i}", "config": "v"}) for i in range(110)))
            assert sum(['"code":1' in await a.text() for a in answers]) == 100
    finally:
        server.stop()
    assert "Traceback" not in server.log
