"""The result app's calls, as the real server took them: greatestWorkers/FriendLive at 976b253,
MyProject/myproject/views.py (Pyramid request.params: the query or an urlencoded form; no
session, no cookie: the app's OkHttp kept none) and 后台接口及参数. Every field the app reads is
checked with the type Python's json wrote it in."""
from __future__ import annotations

import io
import json
from datetime import datetime

import aiohttp
import pytest

from facade.app import init_app
from tests.images import image

pytestmark = pytest.mark.every_backend

PHONE = "15827486857"


@pytest.fixture
async def app_client(aiohttp_client, make_config):
    """An HTTP client that keeps no cookies, as OkHttp's default does."""
    return await aiohttp_client(init_app(make_config()), cookie_jar=aiohttp.DummyCookieJar())


async def answer(response) -> dict:
    assert (response.status, response.headers["Content-Type"]) == (200, "application/json")
    text = await response.text()
    assert text.isascii()  # json.dumps' default: \uXXXX escapes
    body = json.loads(text)
    assert isinstance(body["result"], str)
    return body


async def test_the_apps_whole_registration_and_login(app_client, rows):
    sent = await answer(await app_client.get("/register", params={"userId": PHONE}))
    code = sent["message"]
    assert sent["result"] == "0000" and isinstance(code, str) and len(code) == 4
    # the app posts both numbers; the real server compared them, the facade checks "code" itself
    verified = await answer(await app_client.post("/register", data={"code_v": code, "code": code}))
    assert verified == {"result": "0000"}
    form = aiohttp.FormData()
    form.add_field("img", io.BytesIO(image("PNG")), filename=datetime.now().strftime("%Y%m%d%H%M%S") + ".png",
                   content_type="image/png")
    uploaded = await answer(await app_client.post("/upload", data=form))
    assert uploaded["result"] == "0000" and uploaded["message"].startswith("static/user_imgs/")
    done = await answer(await app_client.post("/register", data={
        "register": "1", "userId": PHONE, "headImage": uploaded["message"], "password": "abcd1234",
        "gender": "0", "nickname": "莎莎"}))
    assert done == {"result": "0000"}
    [user] = rows("SELECT phone, gender, nickname FROM users")
    assert user == {"phone": PHONE, "gender": 2, "nickname": "莎莎"}  # "0": female, as the server's log shows
    avatar = await app_client.get("/" + uploaded["message"])
    assert (avatar.status, avatar.headers["Content-Type"]) == (200, "image/png")
    login = await answer(await app_client.post("/log", data={"userId": PHONE, "password": "abcd1234",
                                                             "expire_in": "999999999"}))  # any value was taken
    assert login["result"] == "0000" and isinstance(login["message"], str)
    [session] = rows("SELECT expires_at - created_at AS lifetime FROM sessions")
    assert session["lifetime"] == 30 * 86400  # capped at security.session_ttl_max
    wrong = await answer(await app_client.post("/log", data={"userId": PHONE, "password": "nope", "expire_in": "60"}))
    unknown = await answer(await app_client.post("/log", data={"userId": "13900139000", "password": "x",
                                                               "expire_in": "60"}))
    assert (wrong["result"], unknown["result"]) == ("0008", "0007")


async def test_a_registered_number_and_a_wrong_code(app_client):
    code = (await answer(await app_client.get("/register", params={"userId": PHONE})))["message"]
    wrong = "0000" if code != "0000" else "1111"
    assert await answer(await app_client.post("/register", data={"code_v": wrong, "code": wrong})) == {"result": "0004"}
    await app_client.post("/register", data={"code_v": code, "code": code})
    await app_client.post("/register", data={"register": "1", "userId": PHONE, "password": "abcd1234"})
    again = await answer(await app_client.get("/register", params={"userId": PHONE}))
    assert again == {"result": "0001", "message": None}
