"""The istatus web client's calls, exactly as it sends them: vsmartzhl/jintong at 5a83349,
common/js/index.js (sendRequest: a JSON body as application/json; charset=UTF-8 with a ?uuid=<n>
query; GET puts the fields in the query), common/js/controllers.js (User.register, login, logout,
resetPwd) and user/js/user.js (Code.sendSms). It reads status.status_code as a string compared
with "200", status.status_message, and from content user_name, mobile, email and power."""
from __future__ import annotations

import base64
import json
from itertools import count

import pytest

from facade.app import init_app
from tests.conftest import outbox

pytestmark = pytest.mark.every_backend

UNAME = "13800009999"  # the page's default number (user.js init)
JSON_UTF8 = {"Content-Type": "application/json; charset=UTF-8"}


def b64(text: str) -> str:  # the client's Base64.encode: UTF-8, standard alphabet, padded
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class Browser:
    def __init__(self, client) -> None:
        self.client, self.uuid = client, count(1)

    async def send(self, method: str, url: str, fields: dict) -> dict:
        params = {**(fields if method in ("GET", "DELETE") else {}), "uuid": str(next(self.uuid))}
        body = None if method in ("GET", "DELETE") else json.dumps(fields)
        response = await self.client.request(method, url, params=params, data=body, headers=JSON_UTF8)
        assert (response.status, response.headers["Content-Type"]) == (200, "application/json; charset=utf-8")
        res = json.loads(await response.text())
        assert isinstance(res["status"]["status_code"], str) and isinstance(res["status"]["status_message"], str)
        return res

    @staticmethod
    def failed(res: dict) -> bool:
        return "" + res["status"]["status_code"] != "200"


@pytest.fixture
async def browser(aiohttp_client, make_config):
    return Browser(await aiohttp_client(init_app(make_config("codes.resend_after=0"))))


async def test_register_login_logout_as_the_pages_do(browser, outbox_path, rows):
    user = {"uname": UNAME, "password": "s3cret-pw", "code": "", "sms": ""}
    sent = await browser.send("POST", "/code/send", {"mobile": b64(user["uname"])})  # Code.sendSms
    assert not browser.failed(sent)
    user["sms"] = outbox(outbox_path)[-1]["code"]
    assert len(user["sms"]) == 6  # $scope.nextable: sms.length == 6
    registered = await browser.send("POST", "/i/register", {"username": user["uname"], "password": b64(user["password"]),
                                                            "code": b64(user["code"][1:])})
    assert not browser.failed(registered)
    res = await browser.send("POST", "/i/login", {"username": user["uname"], "password": b64(user["password"]),
                                                  "validate_code": b64(user["code"][1:])})
    content = res["content"]
    assert not browser.failed(res) and content["user_name"]  # the client: success is a non-empty user_name
    assert (content["user_name"], content["mobile"], content["email"]) == (UNAME, UNAME, "")
    assert "power" not in content or isinstance(content["power"], list)
    out = await browser.send("POST", "/i/logout", {"username": content["user_name"]})
    assert not browser.failed(out)


async def test_a_wrong_password_shows_at_the_password_field(browser, outbox_path):
    await browser.send("POST", "/i/register", {"username": UNAME, "password": b64("s3cret-pw"), "code": ""})
    res = await browser.send("POST", "/i/login", {"username": UNAME, "password": b64("wrong"), "validate_code": ""})
    assert browser.failed(res) and res["status"]["status_code"] == "3202"  # the page's case '3202'
    res = await browser.send("POST", "/i/login", {"username": "13900139000", "password": b64("x"), "validate_code": ""})
    assert res["status"]["status_code"] == "3201"  # case '3201': 用户不存在


async def test_forgotten_password_as_the_page_sends_it(browser, outbox_path, rows):
    await browser.send("POST", "/i/register", {"username": UNAME, "password": b64("s3cret-pw"), "code": ""})
    await browser.send("POST", "/code/send", {"mobile": b64(UNAME)})
    sms = outbox(outbox_path)[-1]["code"]
    before = rows.snapshot()
    # User.resetPwd sends data.mobile, which the forgot page never fills (its input is user.uname)
    res = await browser.send("POST", "/user/resetPwd", {"mobile": b64(""), "password": b64("n3w-pw"),
                                                        "mobilecode": b64(sms)})
    assert browser.failed(res) and res["status"]["status_message"]  # shown: res.message || 密码修改失败
    assert rows.snapshot() == before
    # with the number filled in, the same call resets
    res = await browser.send("POST", "/user/resetPwd", {"mobile": b64(UNAME), "password": b64("n3w-pw"),
                                                        "mobilecode": b64(sms)})
    assert not browser.failed(res)
    res = await browser.send("POST", "/i/login", {"username": UNAME, "password": b64("n3w-pw"), "validate_code": ""})
    assert res["content"]["user_name"] == UNAME


async def test_get_works_as_post_did(browser, outbox_path):
    """docs/api.md: the server took GET and POST alike; sendGet puts the fields in the query."""
    assert not browser.failed(await browser.send("GET", "/code/send", {"mobile": b64("ann@example.com")}))
    assert outbox(outbox_path)[-1]["to"] == "ann@example.com"
    res = await browser.send("GET", "/i/nothing", {})
    assert (res["status"]["status_code"], res["content"]) == ("404", {})
