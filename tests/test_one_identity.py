"""One account, every dialect: a user made through one dialect logs in
through the others with the same password and sees the same profile."""
from __future__ import annotations

import asyncio
import json

import pytest

from facade.app import init_app
from facade.core.apps import Apps
from facade.keys import STORE
from tests.clients import AppPair, dialects, register
from tests.cloud import PHONE, Cloud, ok
from tests.test_istatus import b64, register as istatus_register

pytestmark = pytest.mark.every_backend

PASSWORD = "s3cret-pw"


@pytest.fixture
async def cloud(aiohttp_client, make_config, outbox_path):
    return await Cloud.start(aiohttp_client, make_config(), outbox_path)


async def express_register(client, **fields):
    data = {"userName": "alice", "pwd1": PASSWORD, "pwd2": PASSWORD, "mobile": PHONE, **fields}
    response = await client.post("/express/login/api/userRegister/v1", data=data)
    assert await response.text() == '{"code":0,"msg":"","userMsg":"","data":null}'


async def express_login(client, login_info: str) -> dict:
    response = await client.post("/express/login/api/login/v1", data={"loginInfo": login_info, "pwd": PASSWORD})
    return json.loads(await response.text())


async def istatus_login(client, username: str) -> dict:
    response = await client.post("/i/login", data={"username": username, "password": b64(PASSWORD)})
    return json.loads(await response.text())


async def test_an_express_user_logs_in_through_istatus_and_cloud_user(cloud, rows):
    await express_register(cloud.client)
    assert (await istatus_login(cloud.client, PHONE))["content"] == {
        "id": "1", "user_name": "alice", "mobile": PHONE, "email": "", "user_type": 0, "gid": "100001",
        "orgId": "", "passport": PHONE, "memo": ""}
    [user] = rows("SELECT public_id FROM users")
    assert (await cloud.login(PHONE, PASSWORD))["userId"] == user["public_id"]


async def test_an_istatus_email_user_logs_in_through_express_with_that_email(cloud, outbox_path):
    response = await istatus_register(cloud.client, outbox_path, "Ann@Example.com", PASSWORD)
    assert json.loads(await response.text())["status"]["status_code"] == "200"
    login = await express_login(cloud.client, "ann@example.com")
    assert (login["code"], login["data"]["userId"], login["data"]["userName"]) == (0, 1, "ann@example.com")


async def test_a_cloud_user_registration_logs_in_through_express_and_istatus(cloud):
    assert await cloud.register(PHONE, PASSWORD, nickname="张三") == ok()
    assert (await express_login(cloud.client, PHONE))["code"] == 0
    assert (await istatus_login(cloud.client, PHONE))["content"]["passport"] == PHONE


async def test_a_nickname_set_through_cloud_user_is_the_accounts_nickname(cloud, rows):
    await express_register(cloud.client, userName="bob")
    token = (await cloud.login(PHONE, PASSWORD))["token"]
    assert await cloud.text("POST", "/userinfo/update", token, nickname="鲍勃") == ok()
    again = (await cloud.login(PHONE, PASSWORD))["token"]  # a fresh session sees the one account
    body = json.loads(await cloud.text("GET", "/userinfo/get", again))
    assert body["data"]["nickname"] == "鲍勃"
    assert rows("SELECT username, nickname FROM users") == [{"username": "bob", "nickname": "鲍勃"}]


async def test_a_password_reset_through_cloud_user_ends_an_istatus_cookie_session(cloud, rows):
    await express_register(cloud.client)
    assert (await istatus_login(cloud.client, PHONE))["status"]["status_code"] == "200"  # the jar keeps the cookie
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=1) == ok()
    assert await cloud.text("POST", "/psw/reset", phone=PHONE, code=cloud.last_code(), password="n3w") == ok()
    assert rows("SELECT origin, revoked_at IS NOT NULL AS revoked FROM sessions") == [
        {"origin": "istatus", "revoked": 1}]
    response = await cloud.client.post("/i/logout")
    assert response.headers.getall("Set-Cookie")[0].startswith('istatus_session=""')


NAMES = sorted(dialects())


@pytest.mark.parametrize("made, used", [(a, b) for a in NAMES for b in NAMES])
async def test_an_account_made_through_one_dialect_logs_in_through_every_other(
        aiohttp_client, make_config, outbox_path, made, used):
    app = init_app(make_config())
    client = await aiohttp_client(app)
    pair = await Apps(app[STORE]).add("identity")
    calls = dialects(AppPair(pair.app_id, pair.app_secret))
    assert await calls[made].ok(await register(calls[made], client, "13912345678", PASSWORD, outbox_path))
    assert await calls[used].ok(await calls[used].login(client, "13912345678", PASSWORD))
    assert not await calls[used].ok(await calls[used].login(client, "13912345678", "not-" + PASSWORD))
    assert not await calls[used].ok(await calls[used].login(client, "13987654321", PASSWORD))  # nobody's


LOGOUTS = {  # where the dialect has a failure answer for a session already ended: (request, that answer)
    "result": (lambda c, token: c.client.delete("/log", params={"token": token}), '{"result": "0006"}'),
    "api2": (lambda c, token: c.client.get("/api2/users/userLoginOut/", headers={"token": token}),
             '{"msgFailed":"退出失败"}'),
    "cloud_user": (lambda c, token: c.call("GET", "/logout", token), '{"code":0,"msg":"登录已失效，请重新登录","data":null}'),
}
TOKENS = {
    "result": lambda c: c.client.post("/log", data={"userId": PHONE, "password": PASSWORD}),
    "api2": lambda c: c.client.post("/api2/users/userLogin/dev-1", data={"phone": PHONE, "upwd": PASSWORD},
                                    headers={"devInfo": "{}"}),
    "cloud_user": lambda c: c.call("GET", "/login/psw", phone=PHONE, password=PASSWORD),
}


@pytest.mark.parametrize("dialect", sorted(LOGOUTS))
async def test_of_eight_logouts_of_one_session_at_once_exactly_one_succeeds(cloud, rows, dialect):
    await express_register(cloud.client)
    login = json.loads(await (await TOKENS[dialect](cloud)).text())
    token = login.get("message") or login.get("token") or login["data"]["token"]
    logout, ended = LOGOUTS[dialect]
    answers = await asyncio.gather(*(logout(cloud, token) for _ in range(8)))
    texts = [await answer.text() for answer in answers]
    assert len([t for t in texts if t != ended]) == 1, texts
    assert texts.count(ended) == 7
    [session] = rows("SELECT revoked_at FROM sessions")
    assert session["revoked_at"] is not None
