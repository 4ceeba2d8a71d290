"""The express app's calls, as the real server took them: hahafreeasair666/express at f8e0114,
src/main/java/com/ch999/express/admin/api/LoginApi.java (plain Spring arguments: the query
string or an urlencoded form; the token in the raw Authorization header) and doc/登录.md.
Every field the app reads is checked with the type Jackson wrote it in."""
from __future__ import annotations

import json
import re

import pytest

from facade.keys import CORE

pytestmark = pytest.mark.every_backend

API = "/express/login/api"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CONTENT_TYPE = "application/json;charset=UTF-8"


async def call(client, method: str, path: str, *, query=None, form=None, token=None) -> dict:
    headers = {**(FORM if form is not None else {}), **({"Authorization": token} if token is not None else {})}
    response = await client.request(method, API + path, params=query, data=form, headers=headers)
    assert (response.status, response.headers["Content-Type"]) == (200, CONTENT_TYPE)
    body = json.loads(await response.text())
    assert list(body) == ["code", "msg", "userMsg", "data"]
    assert isinstance(body["code"], int) and isinstance(body["msg"], str) and isinstance(body["userMsg"], str)
    return body


async def test_the_apps_whole_sequence(client):
    # checkInfoIsCanUse(String type, String info): a GET with the query string
    free = await call(client, "GET", "/checkInfoIsCanUse/v1", query={"type": "userName", "info": "张三"})
    assert (free["code"], free["userMsg"], free["data"]) == (0, "恭喜该用户名可以使用", None)
    # userRegister(userName, pwd1, pwd2, mobile): an urlencoded form
    form = {"userName": "张三", "pwd1": "123456", "pwd2": "123456", "mobile": "18888888888"}
    registered = await call(client, "POST", "/userRegister/v1", form=form)
    assert (registered["code"], registered["data"]) == (0, None)  # Result.success(): the app reads code alone
    taken = await call(client, "GET", "/checkInfoIsCanUse/v1", query={"type": "mobile", "info": "18888888888"})
    assert (taken["code"], taken["userMsg"]) == (5000, "很遗憾该手机号已被使用")
    # login(loginInfo, pwd, isLongLogin)
    login = await call(client, "POST", "/login/v1", form={"loginInfo": "18888888888", "pwd": "123456",
                                                          "isLongLogin": "true"})
    data = login["data"]
    assert login["code"] == 0 and list(data) == ["authorization", "isCertified", "avatar", "userName", "userId"]
    assert re.fullmatch(r"[0-9a-f]{32}", data["authorization"]) and data["isCertified"] is False
    assert isinstance(data["avatar"], str) and data["avatar"].startswith("https://timgsa.baidu.com/timg?")
    assert (data["userName"], type(data["userId"])) == ("张三", int)
    # loginOut: the raw token in Authorization
    out = await call(client, "GET", "/loginOut/v1", token=data["authorization"])
    assert (out["code"], out["msg"], out["userMsg"]) == (0, "success", "退出登录成功")
    again = await call(client, "GET", "/loginOut/v1", token=data["authorization"])  # deleted, still success
    assert (again["code"], again["userMsg"]) == (0, "退出登录成功")
    none = await call(client, "GET", "/loginOut/v1")
    assert (none["code"], none["userMsg"]) == (5000, "退出登录失败,用户未登录")


async def test_the_old_app_builds_calls(client):
    """Before 2018-04-08 (820e24a) login/v1 was a GET; until 2018-05-05 (70aad79) the check was
    POST checkUserNameOrMobileIsCanUse/v1."""
    await call(client, "POST", "/userRegister/v1", form={"userName": "13900139000", "pwd1": "x", "pwd2": "x",
                                                          "mobile": "13800138000"})  # a phone-shaped name is legal
    check = await call(client, "POST", "/checkUserNameOrMobileIsCanUse/v1", form={"type": "userName",
                                                                                  "info": "13900139000"})
    assert (check["code"], check["userMsg"]) == (5000, "很遗憾该用户名已被使用")
    login = await call(client, "GET", "/login/v1", query={"loginInfo": "13900139000", "pwd": "x"})
    assert (login["code"], login["data"]["userName"]) == (0, "13900139000")


async def test_a_user_registered_elsewhere_gets_a_showable_user_name(client):
    """An account made with a phone alone (as cloud_user, result and istatus make them) shows its
    phone as userName: never null, and what the user logs in with here."""
    await client.server.app[CORE].register(phone="13700137000", password="pw-123")
    login = await call(client, "POST", "/login/v1", form={"loginInfo": "13700137000", "pwd": "pw-123"})
    assert (login["data"]["userName"], login["data"]["avatar"][:8]) == ("13700137000", "https://")
