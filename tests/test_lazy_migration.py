"""Lazy migration against a real legacy server process (tests/legacy_express.py): a user only the legacy
server has logs in through the facade and is moved here; then the legacy server can go. And when it is
slow, down or talking nonsense, the dialect's own error comes within the configured time, and the
circuit opens and closes again."""
from __future__ import annotations

import asyncio
import json
import time

from facade.app import init_app
from facade.core.passwords import AWAITING
from facade.keys import CORE
from tests.clients import AppPair, dialects
from tests.importing import Importing  # noqa: F401  imported while collecting, as test_import.py does: the
# import command's progress line binds the stderr it finds at its first import
from tests.legacy import LegacyServer

LOGIN = "/express/login/api/login/v1"
JSON_UTF8 = "application/json;charset=UTF-8"
MISMATCH = '{"code":5000,"msg":"error","userMsg":"登录失败用户名密码不匹配","data":null}'
BUSY = '{"code":5000,"msg":"error","userMsg":"系统繁忙,请稍后再试","data":null}'
THROTTLED = '{"code":5000,"msg":"error","userMsg":"登录失败次数过多,请稍后再试","data":null}'


def migrating(legacy: LegacyServer, **given) -> str:
    return "upstreams=" + json.dumps({"express": {"url": legacy.base, "lazy_migration": True, **given}})


async def login(client, info: str, pwd: str):
    return await client.post(LOGIN, data={"loginInfo": info, "pwd": pwd})


async def test_a_user_only_the_legacy_server_has_moves_here_at_the_first_login(legacy, aiohttp_client, make_config,
                                                                              rows):
    await legacy.add_user("oldtimer", "13700137000", "plain-old-pw")
    await legacy.add_user("someone", "13600136000", "other")  # id 1001: ids come from the legacy answer
    client = await aiohttp_client(init_app(make_config(migrating(legacy))))
    response = await login(client, "13600136000", "other")
    data = json.loads(await response.text())["data"]
    assert (response.status, response.headers["Content-Type"]) == (200, JSON_UTF8)
    assert (data["userId"], data["userName"]) == (1001, "someone")
    [user] = rows("SELECT id, username, phone, password_hash FROM users")
    assert (user["username"], user["phone"]) == ("someone", "13600136000")
    assert user["password_hash"].startswith("sha256-bcrypt:") and "other" not in user["password_hash"]
    assert rows("SELECT namespace, value FROM user_ids") == [{"namespace": "express.userId", "value": "1001"}]
    assert (await legacy.seen())[LOGIN] == 1

    again = json.loads(await (await login(client, "someone", "other")).text())["data"]
    assert again["userId"] == 1001 and (await legacy.seen())[LOGIN] == 1  # never asked about a migrated user
    await expect(await login(client, "someone", "wrong"), MISMATCH)
    assert (await legacy.seen())[LOGIN] == 1

    await expect(await login(client, "13500135000", "whatever"), MISMATCH)  # the legacy server said no
    assert (await legacy.seen())[LOGIN] == 2 and len(rows("SELECT * FROM users")) == 1


async def test_once_moved_the_user_logs_in_through_every_dialect_without_the_legacy_server(
        legacy, aiohttp_client, make_config):
    await legacy.add_user("oldtimer", "13700137000", "plain-old-pw")
    client = await aiohttp_client(init_app(make_config(migrating(legacy))))
    moved = json.loads(await (await login(client, "13700137000", "plain-old-pw")).text())
    assert (moved["code"], moved["data"]["userName"], moved["data"]["userId"]) == (0, "oldtimer", 1000)
    legacy.stop()

    pair = await client.server.app[CORE].apps.add("tests")
    calls = dialects(AppPair(pair.app_id, pair.app_secret))
    for name in ("cloud_user", "istatus", "express"):
        response = await calls[name].login(client, "13700137000", "plain-old-pw")
        assert await calls[name].ok(response), (name, await response.text())
    assert not await calls["istatus"].ok(await calls["istatus"].login(client, "13700137000", "wrong"))


async def test_a_user_imported_without_a_password_completes_at_the_first_login(
        legacy, aiohttp_client, make_config, importing, rows):
    """The import brings what the legacy database had but the password (scheme upstream), keeping ids and
    profile; the first login asks the legacy server and stores the facade's own hash."""
    await legacy.add_user("marked", "13900139000", "kept-there")
    importing.write("users.csv", "id,name,mobile,nick\n1000,marked,13900139000,from import\n")
    code, out, err = await importing.run("""
        dialect: express
        users:
          source: {path: users.csv, format: csv}
          fields:
            ids: {userId: $row.id}
            username: $row.name
            phone: $row.mobile
            nickname: $row.nick
            password: {scheme: upstream}
        """)
    assert code == 0, err
    [user] = rows("SELECT password_hash FROM users")
    assert user["password_hash"] == AWAITING
    client = await aiohttp_client(init_app(make_config(migrating(legacy))))
    await expect(await login(client, "marked", "wrong"), MISMATCH)  # the legacy server said no
    ok = json.loads(await (await login(client, "marked", "kept-there")).text())
    assert (ok["code"], ok["data"]["userId"]) == (0, 1000)
    [user] = rows("SELECT nickname, password_hash FROM users")
    assert user["nickname"] == "from import" and user["password_hash"].startswith("sha256-bcrypt:")
    assert (await legacy.seen())[LOGIN] == 2
    await expect(await login(client, "marked", "wrong"), MISMATCH)
    assert (await legacy.seen())[LOGIN] == 2  # migrated: never asked again


async def expect(response, text: str) -> None:
    assert (response.status, response.headers["Content-Type"], await response.text()) == (200, JSON_UTF8, text)


async def timed(coroutine) -> tuple[float, object]:
    started = time.monotonic()
    result = await coroutine
    return time.monotonic() - started, result


async def test_a_slow_legacy_server_is_the_dialects_error_within_the_timeout_and_the_circuit_opens_and_closes(
        legacy, aiohttp_client, admin_client, make_config, rows):
    await legacy.add_user("late", "13700137000", "pw")
    config = make_config(migrating(legacy, timeout=0.5, breaker={"failures": 2, "cool_down": 1}))
    client = await aiohttp_client(init_app(config))
    admin = await admin_client(client)
    await legacy.faults(delay=3)
    for _ in range(2):  # each waits the timeout, no longer
        seconds, response = await timed(login(client, "13700137000", "pw"))
        await expect(response, BUSY)
        assert 0.5 <= seconds < 1.2
    seconds, response = await timed(login(client, "13700137000", "pw"))  # open: at once, unasked
    await expect(response, BUSY)
    assert seconds < 0.3 and (await legacy.seen())[LOGIN] == 2
    assert 'facade_upstream_circuit_open{dialect="express"} 1.0' in await (await admin.get("/_facade/metrics")).text()

    await legacy.faults()
    await asyncio.sleep(1.1)  # the cool-down: one call may try, and its success closes the circuit
    assert json.loads(await (await login(client, "13700137000", "pw")).text())["data"]["userName"] == "late"
    assert 'facade_upstream_circuit_open{dialect="express"} 0.0' in await (await admin.get("/_facade/metrics")).text()
    assert len(rows("SELECT * FROM users")) == 1


async def test_a_stopped_legacy_server_or_a_garbage_answer_is_the_dialects_error_and_moves_nobody(
        legacy, aiohttp_client, make_config, rows):
    await legacy.add_user("ghost", "13700137000", "pw")
    client = await aiohttp_client(init_app(make_config(migrating(legacy, timeout=2))))
    await legacy.faults(garbage=True)
    await expect(await login(client, "13700137000", "pw"), BUSY)
    await legacy.faults(texts={'"code":0': '"code":0,"extra":1'})  # a success the schema refuses
    await expect(await login(client, "13700137000", "pw"), BUSY)
    legacy.stop()
    seconds, response = await timed(login(client, "13700137000", "pw"))
    await expect(response, BUSY)
    assert seconds < 1
    assert rows("SELECT * FROM users") == []


async def test_the_client_a_user_migrated_from_is_trusted_with_the_account(legacy, aiohttp_client, make_config):
    """The migrating login counted against the phone nobody held here yet; its success trusts the client
    with the account it made, so an account-wide wait strangers earn later does not hold it back."""
    await legacy.add_user("someone", "13600136000", "other")
    client = await aiohttp_client(init_app(make_config(migrating(legacy), "server.trusted_proxies=[127.0.0.1]")))
    device = {"X-Forwarded-For": "10.0.0.9"}
    assert '"code":0' in await (await client.post(LOGIN, data={"loginInfo": "13600136000", "pwd": "other"},
                                                  headers=device)).text()
    for i in range(40):  # 20 addresses, twice each: the account-wide wait engages
        await client.post(LOGIN, data={"loginInfo": "someone", "pwd": "wrong"},
                          headers={"X-Forwarded-For": f"10.2.0.{i // 2}"})
    await expect(await client.post(LOGIN, data={"loginInfo": "someone", "pwd": "other"},
                                   headers={"X-Forwarded-For": "10.3.0.1"}), THROTTLED)
    assert '"code":0' in await (await client.post(LOGIN, data={"loginInfo": "someone", "pwd": "other"},
                                                  headers=device)).text()
