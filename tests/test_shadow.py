"""Shadow mode against a real legacy server process (tests/legacy_express.py): the facade answers, the
legacy server is asked the same in the background, and the answers are compared with the mapping's
knowledge of which values are volatile. The report names the route, the outcome and the field."""
from __future__ import annotations

import asyncio
import json
import sys
import time

from facade.app import init_app
from tests.conftest import ROOT
from tests.legacy import LegacyServer

BASE = "/express/login/api"
CHECK, LOGIN, REGISTER = f"{BASE}/checkInfoIsCanUse/v1", f"{BASE}/login/v1", f"{BASE}/userRegister/v1"
USERS = [(f"user{i}", f"1380013800{i}") for i in range(5)]
LIBERAL = ("throttle.login.account.failures=100000", "throttle.login.ip.failures=100000")


def shadowing(legacy: LegacyServer, **given) -> str:
    return "upstreams=" + json.dumps({"express": {"url": legacy.base, "mode": "shadow", **given}})


async def report(admin) -> dict:
    return (await (await admin.get("/_facade/shadow")).json())["dialects"]["express"]


async def settled(admin, count: int, timeout: float = 60) -> dict:
    """The report once ``count`` mirrored calls were compared, found unavailable or dropped."""
    deadline = time.monotonic() + timeout
    while True:
        found = await report(admin)
        if found["compared"] + found["unavailable"] + found["dropped"] >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


def request(i: int) -> tuple[str, str, dict[str, str]]:
    """The i-th of five kinds of request an old client makes, each answered alike by both servers."""
    name, phone = USERS[i % len(USERS)]
    return [("POST", LOGIN, {"loginInfo": name, "pwd": "pw-" + name}),
            ("POST", LOGIN, {"loginInfo": phone, "pwd": "wrong"}),
            ("GET", CHECK, {"type": "userName", "info": name}),
            ("GET", CHECK, {"type": "userName", "info": f"free{i}"}),
            ("GET", CHECK, {"type": "mobile", "info": f"1390013{i:04d}"})][i % 5]


async def send(client, i: int):
    method, path, fields = request(i)
    options = {"params": fields} if method == "GET" else {"data": fields}
    async with client.request(method, path, **options) as response:
        return response.status


async def cli_report(base: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "facade", "shadow", "report", "--url", base, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode, out.decode() + err.decode()


async def test_a_thousand_requests_agree_and_one_changed_text_is_named_with_both_values(
        legacy, aiohttp_client, admin_client, make_config):
    config = make_config(shadowing(legacy, shadow_writes=True, shadow={"queue": 2000, "concurrency": 4, "keep": 20}),
                         *LIBERAL)
    client = await aiohttp_client(init_app(config))
    admin = await admin_client(client)
    for name, phone in USERS:  # mirrored too (shadow_writes): both servers hold the same users
        await client.post(REGISTER, data={"userName": name, "pwd1": "pw-" + name, "pwd2": "pw-" + name,
                                          "mobile": phone})
    assert (await settled(admin, len(USERS)))["different"] == 0
    for batch in range(0, 1000, 20):
        assert set(await asyncio.gather(*(send(client, i) for i in range(batch, batch + 20)))) == {200}
    same = await settled(admin, len(USERS) + 1000)
    assert (same["compared"], same["different"], same["unavailable"], same["dropped"]) == (1005, 0, 0, 0)
    assert {route: sorted(outcomes) for route, outcomes in same["routes"].items()} == {
        "check-mobile": ["ok"], "check-username": ["ok", "username_taken"], "login": ["ok", "wrong_password"],
        "register": ["ok"]}
    assert same["routes"]["login"]["ok"]["compared"] == 200 and same["recent"] == []

    await legacy.faults(texts={"很遗憾该用户名已被使用": "很遗憾该用户名已被占用"})
    for i in range(10):
        await send(client, 5 * i + 2)  # a taken user name
        await send(client, 5 * i)  # a login, unchanged
    found = await settled(admin, 1025)
    assert (found["compared"], found["different"]) == (1025, 10)
    differing = {(route, outcome): group["fields"] for route, outcomes in found["routes"].items()
                 for outcome, group in outcomes.items() if group["different"]}
    assert differing == {("check-username", "username_taken"): {
        "body /userMsg": {"count": 10, "facade": "很遗憾该用户名已被使用", "legacy": "很遗憾该用户名已被占用"}}}
    [pair, *_] = found["recent"]
    assert (pair["route"], pair["request"]["query"], pair["differences"]) == (
        "check-username", {"type": "userName", "info": "user2"},
        [{"where": "body /userMsg", "facade": "很遗憾该用户名已被使用", "legacy": "很遗憾该用户名已被占用"}])

    code, printed = await cli_report(str(admin.make_url("")).rstrip("/"))
    assert code == 1, printed
    assert ("  check-username username_taken: 210 compared, 10 different\n"
            "    body /userMsg (10): facade '很遗憾该用户名已被使用', legacy '很遗憾该用户名已被占用'\n") in printed
    assert f"express -> {legacy.base} (circuit closed): 1025 compared, 10 different, 0 unavailable, 0 dropped" in printed


async def test_the_legacy_server_never_slows_the_answer_and_a_full_queue_drops_and_counts(
        legacy, aiohttp_client, admin_client, make_config):
    client = await aiohttp_client(init_app(make_config(shadowing(legacy, shadow={"queue": 1, "concurrency": 1,
                                                                                "keep": 5}))))
    admin = await admin_client(client)
    await legacy.faults(delay=0.5)
    for i in range(10):
        started = time.monotonic()
        assert await send(client, 5 * i + 3) == 200
        assert time.monotonic() - started < 0.3
    found = await settled(admin, 10)
    assert found["dropped"] >= 7 and found["compared"] + found["dropped"] == 10 and found["different"] == 0
    assert f'facade_shadow_dropped_total{{dialect="express"}} {float(found["dropped"])}' in await (
        await admin.get("/_facade/metrics")).text()


async def test_writes_are_not_mirrored_and_secrets_never_reach_the_report(legacy, aiohttp_client, admin_client,
                                                                           make_config):
    client = await aiohttp_client(init_app(make_config(shadowing(legacy))))
    admin = await admin_client(client)
    await client.post(REGISTER, data={"userName": "ann", "pwd1": "ann-pw", "pwd2": "ann-pw", "mobile": "13800138000"})
    await legacy.faults(texts={"登录失败用户名密码不匹配": "用户名或密码错误"})
    await client.post(LOGIN, data={"loginInfo": "ann", "pwd": "not-her-pw"}, headers={"Authorization": "f" * 32})
    found = await settled(admin, 1)
    assert REGISTER not in await legacy.seen()  # a mirrored registration would be real
    [pair] = found["recent"]
    assert pair["request"]["body"] == {"loginInfo": "ann", "pwd": "***"}
    assert pair["request"]["headers"]["Authorization"] == "***"
    assert "not-her-pw" not in json.dumps(found) and "f" * 32 not in json.dumps(found)
    assert found["routes"]["login"]["wrong_password"]["fields"] == {
        "body /userMsg": {"count": 1, "facade": "登录失败用户名密码不匹配", "legacy": "用户名或密码错误"}}
