"""Verified identifiers against account pre-hijacking: a phone proven by a code
wins over an account that claimed it without proof."""
from __future__ import annotations

import json

import pytest

from facade.keys import CORE
from tests.cloud import PHONE, Cloud, fail, ok
from tests.test_express import BASE

pytestmark = pytest.mark.every_backend

ATTACKER_PW, OWNER_PW = "attacker-pw", "owner-pw-2"
EXPRESS_FAILED = '{"code":5000,"msg":"error","userMsg":"登录失败用户名密码不匹配","data":null}'
LOGGED_OUT = fail("登录已失效，请重新登录")


@pytest.fixture
async def cloud(aiohttp_client, make_config, outbox_path):
    return await Cloud.start(aiohttp_client, make_config("codes.resend_after=0"), outbox_path)


async def express_login(cloud: Cloud, password: str) -> str:
    response = await cloud.client.post(f"{BASE}/login/v1", data={"loginInfo": PHONE, "pwd": password})
    return await response.text()


async def test_the_phones_owner_takes_over_an_account_registered_without_proof(cloud, rows):
    # The attacker registers the owner's number through express, which asks no code, and uses it.
    response = await cloud.client.post(f"{BASE}/userRegister/v1", data={
        "userName": "mallory", "pwd1": ATTACKER_PW, "pwd2": ATTACKER_PW, "mobile": PHONE})
    assert '"code":0' in await response.text()
    attacker = (await cloud.login(PHONE, ATTACKER_PW))["token"]
    assert await cloud.text("POST", "/config/set", attacker, key="planted", config="x") == ok()
    assert rows("SELECT phone_verified_at FROM users") == [{"phone_verified_at": None}]

    # The owner logs in by SMS code through cloud_user: the code proves the number.
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=2) == ok()
    owner = json.loads(await cloud.text("GET", "/login/code", phone=PHONE, code=cloud.last_code()))["data"]["token"]

    assert await express_login(cloud, ATTACKER_PW) == EXPRESS_FAILED  # the claimant's password is dead
    assert await cloud.text("GET", "/userinfo/get", attacker) == LOGGED_OUT  # and so are their sessions
    assert await cloud.text("POST", "/config/get", attacker, key="planted") == LOGGED_OUT
    assert '"code":1' in await cloud.text("GET", "/userinfo/get", owner)
    [user] = rows("SELECT phone_verified_at, sessions_revoked_at FROM users")
    assert user["phone_verified_at"] is not None and user["sessions_revoked_at"] is not None

    # The owner sets a password of their own; it works everywhere, the claimant's still does not.
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=1) == ok()
    assert await cloud.text("POST", "/psw/reset", phone=PHONE, code=cloud.last_code(), password=OWNER_PW) == ok()
    assert '"code":0' in await express_login(cloud, OWNER_PW)
    assert await express_login(cloud, ATTACKER_PW) == EXPRESS_FAILED


async def test_a_proven_phone_is_not_taken_over_again(cloud):
    assert await cloud.register(password=OWNER_PW) == ok()  # registered with a code: proven
    session = (await cloud.login(PHONE, OWNER_PW))["token"]
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=2) == ok()
    assert '"code":1' in await cloud.text("GET", "/login/code", phone=PHONE, code=cloud.last_code())
    assert '"code":0' in await express_login(cloud, OWNER_PW)  # the password still works
    assert '"code":1' in await cloud.text("GET", "/userinfo/get", session)  # and the earlier session lives


async def test_a_code_the_dialect_disclosed_proves_nothing(cloud, rows):
    core = cloud.client.server.app[CORE]
    await core.register(phone=PHONE, password=ATTACKER_PW)
    sent = await core.send_code(target=PHONE, purpose="login", origin="result", disclosed=True)
    await core.login_by_code(target=PHONE, code=sent.code, origin="result")
    assert rows("SELECT phone_verified_at FROM users") == [{"phone_verified_at": None}]
    assert '"code":0' in await express_login(cloud, ATTACKER_PW)
