"""The cloud_user Android library's calls, exactly as it sends them: 343661629/CommonLib at 91e0947,
app/src/main/java/com/example/commonlibproject/network/NetWorkQuest.kt (Retrofit @QueryMap: every
parameter in the query string, app_id and app_secret too, even where the server documents POST)
and Constants.kt (api/cloud_user/code/get, api/cloud_user/registe). Gson reads code as Int and msg
as String (SMSModel, RegisterModel); LoginModel reads userId as String and tokenExpire as Long."""
from __future__ import annotations

import json

import pytest

from facade.app import init_app
from facade.keys import CORE
from tests.conftest import outbox

pytestmark = pytest.mark.every_backend

APP_ID, APP_SECRET = "scvkymfqjaogwgmc", "8tdgQagZF9JY4YRbzCghaz5uN3BZYjAF"  # NetWorkQuest.commonParam()
PHONE = "13800138000"


@pytest.fixture
async def app_client(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config()))
    await client.server.app[CORE].apps.add("CommonLib", app_id=APP_ID, app_secret=APP_SECRET)  # the shipped pair
    return client


async def model(response) -> dict:
    assert (response.status, response.headers["Content-Type"]) == (200, "application/json;charset=UTF-8")
    body = json.loads(await response.text())
    assert type(body["code"]) is int and isinstance(body["msg"], str)
    return body


def common(**param: str) -> dict:
    return {"app_id": APP_ID, "app_secret": APP_SECRET, **param}


@pytest.mark.parametrize("sex, iso", [(0, 1), (1, 2)])  # RegisterPage: male -> 0, female -> 1
async def test_sms_code_then_register_as_the_app_sends_them(app_client, outbox_path, rows, sex, iso):
    sms = await model(await app_client.get("/api/cloud_user/code/get", params=common(phone=PHONE, type=str(0))))
    assert sms["code"] == 1
    code = outbox(outbox_path)[-1]["code"]
    registered = await model(await app_client.get("/api/cloud_user/registe", params=common(
        phone=PHONE, code=code, nickname="张三", password="pw-123456", sex=str(sex), birthday="1999-08-09",
        email="12345678@qq.com", extra="")))
    assert (registered["code"], registered["msg"]) == (1, "数据返回成功！")
    [user] = rows("SELECT phone, nickname, gender, birthday, contact_email FROM users")
    assert user == {"phone": PHONE, "nickname": "张三", "gender": iso, "birthday": 934156800000,
                    "contact_email": "12345678@qq.com"}
    login = await model(await app_client.get("/api/cloud_user/login/psw", params=common(phone=PHONE,
                                                                                        password="pw-123456")))
    data = login["data"]  # LoginModel
    assert login["code"] == 1 and isinstance(data["userId"], str) and type(data["tokenExpire"]) is int
    assert isinstance(data["token"], str)


async def test_a_failure_is_code_0_with_a_message_the_app_shows(app_client, rows):
    wrong = await model(await app_client.get("/api/cloud_user/registe", params=common(
        phone=PHONE, code="000000", nickname="张三", password="pw", sex="0", birthday="1999-08-09",
        email="12345678@qq.com", extra="")))
    assert (wrong["code"], wrong["data"]) == (0, None) and wrong["msg"]
    assert rows("SELECT * FROM users") == []
