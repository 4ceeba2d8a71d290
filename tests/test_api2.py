"""The api2 dialect over real HTTP: fields at the top level, every failure a
404 with msgFailed, appkey in the path or as a parameter, devInfo header."""
from __future__ import annotations

import json

import pytest

from facade.app import init_app

pytestmark = pytest.mark.every_backend

JSON_UTF8 = "application/json; charset=utf-8"
USERS = "/api2/users"
DEVICE = {"devInfo": '{"model":"MI 6","os":"Android 9"}'}
ALICE = {"uname": "alice", "upwd": "s3cret-pw", "phone": "13800138000"}
REGISTERED = ('{"statu":"ok","msgSuccess":"注册成功","uid":"1","uname":"alice","upwd":"******",'
              '"phone":"13800138000"}')
REG_FAILED, LOGIN_FAILED, LOGOUT_FAILED = ('{"msgFailed":"注册失败"}', '{"msgFailed":"登录失败"}',
                                           '{"msgFailed":"退出失败"}')


async def expect(response, text: str, status: int = 200) -> None:
    assert (response.status, response.headers["Content-Type"], await response.text()) == (status, JSON_UTF8, text)


async def register(client, path=f"{USERS}/userReg/dev-1", headers=DEVICE, **fields):
    """As the document shows: appkey in the path, the fields in the query string."""
    return await client.post(path, params={**ALICE, **fields}, headers=headers)


async def login(client, **fields):
    return await client.post(f"{USERS}/userLogin/dev-1", data={"uname": "alice", "upwd": "s3cret-pw", **fields},
                             headers=DEVICE)


async def test_register_answers_the_account_with_the_password_masked(client, rows):
    await expect(await register(client), REGISTERED)
    [user] = rows("SELECT username, phone, password_hash FROM users")
    assert (user["username"], user["phone"]) == ("alice", "13800138000")
    assert "s3cret-pw" not in user["password_hash"]


@pytest.mark.parametrize("path, extra", [
    (f"{USERS}/userReg/", {"appkey": "dev-1"}), (f"{USERS}/userReg", {"appkey": "dev-1"}),
    (f"{USERS}/userReg/dev-1/", {})])
async def test_appkey_may_be_a_parameter_and_the_trailing_slash_is_optional(client, path, extra):
    await expect(await register(client, path, **extra), REGISTERED)


async def test_register_reads_a_form_or_json_body_too(client):
    response = await client.post(f"{USERS}/userReg/", json={**ALICE, "appkey": "dev-1"}, headers=DEVICE)
    await expect(response, REGISTERED)


async def test_the_echo_setting_gives_the_password_back(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config("dialects={api2: {echo_password: true}}")))
    await expect(await register(client), REGISTERED.replace("******", "s3cret-pw"))


@pytest.mark.parametrize("case", [
    {"uname": ""}, {"upwd": None}, {"phone": None}, {"phone": "1380013800"}, {"uname": "x" * 65},
    {"uname": "tab\there"}, {"path": f"{USERS}/userReg/"}, {"headers": {}}, {"headers": {"devInfo": "not json"}},
    {"headers": {"devInfo": "[1,2]"}}])
async def test_every_register_failure_is_404_and_stores_nothing(client, rows, case):
    case = dict(case)
    kwargs = {k: case.pop(k) for k in ("path", "headers") if k in case}
    fields = {k: v for k, v in {**ALICE, **case}.items() if v is not None}
    path, headers = kwargs.get("path", f"{USERS}/userReg/dev-1"), kwargs.get("headers", DEVICE)
    await expect(await client.post(path, params=fields, headers=headers), REG_FAILED, 404)
    assert rows("SELECT * FROM users") == []


async def test_a_taken_name_or_phone_is_404(client, rows):
    await register(client)
    before = rows.snapshot()
    await expect(await register(client, phone="13900139000"), REG_FAILED, 404)
    await expect(await register(client, uname="bob"), REG_FAILED, 404)
    assert rows.snapshot() == before


async def test_login_extension_answers_a_token_and_the_session_keeps_the_device(client, rows):
    await register(client)
    response = await login(client)
    body = json.loads(await response.text())
    await expect(response, '{"statu":"ok","msgSuccess":"登录成功","uid":"1","uname":"alice",'
                           '"phone":"13800138000","token":"%s"}' % body["token"])
    [session] = rows("SELECT origin, device_key, device_info FROM sessions")
    assert (session["origin"], session["device_key"]) == ("api2", "dev-1")
    assert json.loads(session["device_info"]) == {"model": "MI 6", "os": "Android 9"}


async def test_login_by_phone(client):
    await register(client)
    response = await client.post(f"{USERS}/userLogin/", data={"phone": "13800138000", "upwd": "s3cret-pw",
                                                              "appkey": "dev-2"}, headers=DEVICE)
    assert json.loads(await response.text())["uid"] == "1"


@pytest.mark.parametrize("case", [{"upwd": "wrong"}, {"uname": "bob"}, {"upwd": ""}, {"headers": {}},
                                  {"headers": {"devInfo": "{"}}, {"headers": {"devInfo": "[" * 3000}},
                                  {"path": f"{USERS}/userLogin/"}, {"path": f"{USERS}/userLogin/", "appkey": "k" * 4097}])
async def test_every_login_failure_is_404_and_opens_no_session(client, rows, caplog, case):
    await register(client)
    case = dict(case)  # the parameter is shared by every backend's run
    headers, path = case.pop("headers", DEVICE), case.pop("path", f"{USERS}/userLogin/dev-1")
    response = await client.post(path, data={**{"uname": "alice", "upwd": "s3cret-pw"}, **case}, headers=headers)
    await expect(response, LOGIN_FAILED, 404)
    assert rows("SELECT * FROM sessions") == []
    assert "unexpected error" not in caplog.text  # a client's mistake, not the server's


@pytest.mark.parametrize("carry", ["header", "query"])
async def test_logout_ends_the_session(client, rows, carry):
    await register(client)
    token = json.loads(await (await login(client)).text())["token"]
    kwargs = {"headers": {"token": token}} if carry == "header" else {"params": {"token": token}}
    await expect(await client.get(f"{USERS}/userLoginOut/", **kwargs), '{"statu":"ok","msgSuccess":"退出成功"}')
    assert rows("SELECT revoked_at IS NOT NULL AS revoked FROM sessions") == [{"revoked": 1}]
    await expect(await client.get(f"{USERS}/userLoginOut", **kwargs), LOGOUT_FAILED, 404)


async def test_logout_without_a_valid_token_is_404(client):
    await expect(await client.get(f"{USERS}/userLoginOut/"), LOGOUT_FAILED, 404)
    await expect(await client.get(f"{USERS}/userLoginOut/", headers={"token": "f" * 32}), LOGOUT_FAILED, 404)


async def test_an_api2_user_logs_in_through_express_by_name_or_phone(client):
    await register(client)
    for login_info in ("alice", "13800138000"):
        response = await client.post("/express/login/api/login/v1", data={"loginInfo": login_info, "pwd": "s3cret-pw"})
        assert json.loads(await response.text())["data"]["userId"] == 1


@pytest.mark.parametrize("dev_info, kept", [("{}", {}), ('{"model":"\\ud800"}', {"model": "\ud800"}),
                                            ('{"model":"小米 6"}', {"model": "小米 6"})])
async def test_login_keeps_any_json_object_as_device_info(client, rows, caplog, dev_info, kept):
    """Found by fuzzing: an empty object and a lone surrogate (which UTF-8 cannot hold) both failed."""
    await register(client)
    response = await client.post(f"{USERS}/userLogin/dev-1", data={"uname": "alice", "upwd": "s3cret-pw"},
                                 headers={"devInfo": dev_info})
    assert (response.status, json.loads(await response.text())["statu"]) == (200, "ok")
    [session] = rows("SELECT device_info FROM sessions")
    assert json.loads(session["device_info"]) == kept
    assert "unexpected error" not in caplog.text
