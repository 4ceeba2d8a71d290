"""The istatus dialect over real HTTP: exact bytes, every status code, codes
read from the outbox, the session cookie."""
from __future__ import annotations

import base64
import json

import pytest

from facade.app import init_app
from facade.keys import CORE
from tests.conftest import outbox

pytestmark = pytest.mark.every_backend

JSON_UTF8 = "application/json; charset=utf-8"
PHONE = "13800138000"
OK_EMPTY = '{"status":{"status_code":"200","status_message":"OK"},"content":{}}'
OK_MEMO = '{"status":{"status_code":"200","status_message":"OK"},"content":{"memo":""}}'


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def failure(code: str, message: str) -> str:
    return '{"status":{"status_code":"%s","status_message":"%s"},"content":{}}' % (code, message)


async def expect(response, text: str) -> None:
    assert (response.status, response.headers["Content-Type"], await response.text()) == (200, JSON_UTF8, text)


async def send_code(client, username=PHONE):
    return await client.post("/code/send", data={"username": username})


def last_code(outbox_path, to=PHONE) -> str:
    return [m for m in outbox(outbox_path) if m["to"] == to][-1]["code"]


async def register(client, outbox_path, username=PHONE, password="s3cret-pw"):
    await expect(await send_code(client, username), OK_EMPTY)
    code = last_code(outbox_path, username.lower())
    return await client.post("/i/register", data={"username": username, "password": b64(password), "code": b64(code)})


async def login(client, username=PHONE, password="s3cret-pw"):
    return await client.post("/i/login", data={"username": username, "password": b64(password)})


async def test_send_code_sends_six_digits_by_sms_or_by_email(client, outbox_path):
    await expect(await send_code(client), OK_EMPTY)
    await expect(await send_code(client, "Ann@Example.com"), OK_EMPTY)
    sms, mail = outbox(outbox_path)
    assert (sms["channel"], sms["to"], sms["purpose"]) == ("sms", PHONE, "register")
    assert (mail["channel"], mail["to"], mail["purpose"]) == ("email", "ann@example.com", "register")
    assert all(len(m["code"]) == 6 and m["code"].isdigit() for m in (sms, mail))


@pytest.mark.parametrize("username, answer", [
    ("1380013800", failure("3203", "无效的手机号")), ("abc", failure("3203", "无效的手机号")),
    ("ann@example", failure("3204", "无效的邮箱")), ("", failure("400", "参数错误"))])
async def test_send_code_to_an_invalid_target_sends_nothing(client, rows, outbox_path, username, answer):
    before = rows.snapshot()
    await expect(await send_code(client, username), answer)
    assert rows.snapshot() == before and outbox(outbox_path) == []


async def test_a_second_code_within_a_minute_is_refused(client, outbox_path):
    await send_code(client)
    await expect(await send_code(client), failure("429", "请求过于频繁，请稍后再试"))
    assert len(outbox(outbox_path)) == 1


async def test_a_code_that_cannot_be_delivered_is_503(aiohttp_client, make_config, tmp_path, rows):
    client = await aiohttp_client(init_app(make_config(f"notify.outbox={tmp_path}")))  # a folder: unwritable
    await expect(await send_code(client), failure("503", "验证码发送失败"))
    assert [c["used_at"] is not None for c in rows("SELECT used_at FROM codes")] == [True]


async def test_register_then_login_shows_the_account_and_sets_the_session_cookie(client, outbox_path, rows):
    await expect(await register(client, outbox_path), OK_MEMO)
    response = await login(client)
    await expect(response, '{"status":{"status_code":"200","status_message":"OK"},"content":{"id":"1",'
                           '"user_name":"13800138000","mobile":"13800138000","email":"","user_type":0,'
                           '"gid":"100001","orgId":"","passport":"13800138000","memo":""}}')
    [session] = rows("SELECT token_hash, origin FROM sessions")
    [cookie] = response.headers.getall("Set-Cookie")
    token = cookie.split(";")[0].removeprefix("istatus_session=")
    assert cookie == f"istatus_session={token}; HttpOnly; Max-Age=86400; Path=/; SameSite=Lax"
    assert len(token) == 32 and session["origin"] == "istatus"


async def test_an_account_registered_by_email_has_it_as_passport(client, outbox_path):
    await expect(await register(client, outbox_path, "Ann@Example.com"), OK_MEMO)
    await expect(await login(client, "ann@example.com"),
                 '{"status":{"status_code":"200","status_message":"OK"},"content":{"id":"1",'
                 '"user_name":"ann@example.com","mobile":"","email":"ann@example.com","user_type":0,'
                 '"gid":"100001","orgId":"","passport":"ann@example.com","memo":""}}')


async def test_register_with_a_wrong_code_is_3208_and_stores_no_user(client, outbox_path, rows):
    await send_code(client)
    wrong = "000000" if last_code(outbox_path) != "000000" else "111111"
    response = await client.post("/i/register", data={"username": PHONE, "password": b64("pw"), "code": b64(wrong)})
    await expect(response, failure("3208", "验证码错误"))
    assert rows("SELECT * FROM users") == []


async def test_register_twice_is_3207(client, outbox_path, rows):
    await register(client, outbox_path)
    before = rows.snapshot()
    response = await client.post("/i/register", data={"username": PHONE, "password": b64("pw"), "code": b64("123456")})
    await expect(response, failure("3207", "用户已注册"))
    assert rows.snapshot() == before


@pytest.mark.parametrize("fields", [
    {"password": "not base64!", "code": b64("123456")},          # password not base64
    {"password": b64("pw"), "code": "%%%"},                      # code not base64
    {"password": base64.b64encode(b"\xff\xfe").decode(), "code": b64("123456")},  # not UTF-8 inside
])
async def test_register_with_a_missing_or_undecodable_field_is_400(client, outbox_path, rows, fields):
    await send_code(client)
    before = rows.snapshot()
    await expect(await client.post("/i/register", data={"username": PHONE, **fields}), failure("400", "参数错误"))
    assert rows.snapshot() == before


async def test_register_with_an_invalid_username_is_3203_or_3204(client, rows):
    data = {"password": b64("pw"), "code": b64("123456")}
    await expect(await client.post("/i/register", data={"username": "12", **data}), failure("3203", "无效的手机号"))
    await expect(await client.post("/i/register", data={"username": "a@b", **data}), failure("3204", "无效的邮箱"))
    assert rows("SELECT * FROM users") == []


async def test_login_failures(client, outbox_path, rows):
    await register(client, outbox_path)
    before = rows.snapshot(but=("throttles",))
    await expect(await login(client, "13900139000"), failure("3201", "没有此用户"))
    await expect(await login(client, password="wrong"), failure("3202", "密码错误"))
    await expect(await client.post("/i/login", data={"username": PHONE}), failure("400", "参数错误"))
    assert rows.snapshot(but=("throttles",)) == before
    assert [r["failures"] for r in rows("SELECT failures FROM throttles WHERE key LIKE 'account:%'")] == [1, 1]


async def test_logout_ends_the_cookies_session_and_clears_the_cookie(client, outbox_path, rows):
    await register(client, outbox_path)
    await login(client)
    response = await client.post("/i/logout", data={"username": PHONE})  # the cookie jar carries the session
    await expect(response, OK_EMPTY)
    assert response.headers.getall("Set-Cookie") == [
        'istatus_session=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/']
    assert rows("SELECT revoked_at IS NOT NULL AS revoked FROM sessions") == [{"revoked": 1}]
    again = await client.post("/i/logout", data={"username": PHONE}, cookies={"istatus_session": "0" * 32})
    await expect(again, OK_EMPTY)  # a dead cookie is cleared too
    assert again.headers.getall("Set-Cookie") == response.headers.getall("Set-Cookie")


async def test_a_username_alone_never_ends_anyones_session(client, outbox_path, rows):
    await register(client, outbox_path)
    await login(client)
    client.session.cookie_jar.clear()
    await expect(await client.post("/i/logout", data={"username": PHONE}), OK_EMPTY)
    await expect(await client.post("/i/logout", data={"username": PHONE},
                                   cookies={"istatus_session": "0" * 32}), OK_EMPTY)
    assert rows("SELECT revoked_at FROM sessions") == [{"revoked_at": None}]


@pytest.fixture
async def eager(aiohttp_client, make_config):
    """A client whose codes may be re-sent at once, so one test can register and then reset."""
    return await aiohttp_client(init_app(make_config("codes.resend_after=0")))


async def test_resetpwd_sets_a_new_password_and_ends_every_session(eager, outbox_path, rows):
    client = eager
    await register(client, outbox_path)
    await login(client)
    await expect(await send_code(client), OK_EMPTY)
    reset = outbox(outbox_path)[-1]
    assert reset["purpose"] == "reset_password"
    response = await client.post("/i/resetpwd", data={"username": PHONE, "password": b64("n3w-pw"),
                                                      "code": b64(reset["code"])})
    await expect(response, OK_MEMO)
    await expect(await login(client), failure("3202", "密码错误"))
    assert json.loads(await (await login(client, password="n3w-pw")).text())["status"]["status_code"] == "200"
    assert [r["revoked"] for r in rows("SELECT revoked_at IS NOT NULL AS revoked FROM sessions")] == [1, 0]


async def test_resetpwd_with_a_code_for_another_purpose_or_target_is_3208(eager, outbox_path, rows):
    client = eager
    await register(client, outbox_path)
    await send_code(client, "13900139000")  # a live registration code, for another number
    other_target = last_code(outbox_path, "13900139000")
    login_code = (await client.server.app[CORE].send_code(target=PHONE, purpose="login", origin="istatus")).code
    before = rows.snapshot()
    data = {"username": PHONE, "password": b64("n3w-pw")}
    for code in (other_target, login_code):
        await expect(await client.post("/i/resetpwd", data={**data, "code": b64(code)}), failure("3208", "验证码错误"))
    await expect(await client.post("/i/resetpwd", data={**data, "username": "13700137000", "code": b64("123456")}),
                 failure("3201", "没有此用户"))
    assert rows.snapshot() == before


async def test_an_unescaped_plus_in_base64_is_read_as_plus(client, outbox_path):
    assert b64("a>>>") == "YT4+Pg=="
    await expect(await register(client, outbox_path, password="a>>>"), OK_MEMO)
    raw = f"username={PHONE}&password={b64('a>>>')}"  # not URL-encoded: the form reads '+' as a space
    response = await client.post("/i/login", data=raw, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert json.loads(await response.text())["status"]["status_code"] == "200"


@pytest.mark.parametrize("code", [None, ""])
async def test_a_registration_without_a_code_is_taken_but_proves_nothing(client, rows, code):
    """The real web client sends code = base64("") (controllers.js User.register): taken as the real
    server took it, the phone stays unproven, so whoever proves it later takes it over."""
    fields = {"username": PHONE, "password": b64("s3cret-pw"), **({} if code is None else {"code": code})}
    await expect(await client.post("/i/register", data=fields), OK_MEMO)
    assert rows("SELECT phone, phone_verified_at FROM users") == [{"phone": PHONE, "phone_verified_at": None}]


async def test_send_code_takes_the_clients_base64_mobile_by_get_or_post(eager, outbox_path):
    await expect(await eager.post("/code/send?uuid=1", json={"mobile": b64(PHONE)}), OK_EMPTY)
    await expect(await eager.get("/code/send", params={"uuid": "2", "mobile": b64("Ann@Example.com")}), OK_EMPTY)
    assert [(m["to"], m["purpose"]) for m in outbox(outbox_path)] == [(PHONE, "register"), ("ann@example.com", "register")]


@pytest.mark.parametrize("mobile, answer", [("not base64!", failure("400", "参数错误")), ("", failure("400", "参数错误")),
                                            (b64("12345"), failure("3203", "无效的手机号"))])
async def test_send_code_with_a_bad_mobile_sends_nothing(client, outbox_path, rows, mobile, answer):
    before = rows.snapshot()
    await expect(await client.post("/code/send", json={"mobile": mobile}), answer)
    assert rows.snapshot() == before and outbox(outbox_path) == []


async def test_resetpwd_as_the_client_sends_it(eager, outbox_path, rows):
    await register(eager, outbox_path)
    await expect(await eager.post("/code/send?uuid=3", json={"mobile": b64(PHONE)}), OK_EMPTY)
    code = last_code(outbox_path)
    response = await eager.post("/user/resetPwd?uuid=4", json={"mobile": b64(PHONE), "password": b64("n3w-pw"),
                                                               "mobilecode": b64(code)})
    await expect(response, OK_MEMO)
    assert json.loads(await (await login(eager, password="n3w-pw")).text())["status"]["status_code"] == "200"


async def test_resetpwd_with_the_clients_empty_mobile_is_400_and_changes_nothing(eager, outbox_path, rows):
    """user.js binds the forgot page's number to user.uname, so User.resetPwd sends base64("") as mobile."""
    await register(eager, outbox_path)
    await send_code(eager)
    before = rows.snapshot()
    response = await eager.post("/user/resetPwd", json={"mobile": "", "password": b64("n3w-pw"),
                                                        "mobilecode": b64(last_code(outbox_path))})
    await expect(response, failure("400", "参数错误"))
    assert rows.snapshot() == before


async def test_a_code_dead_from_wrong_tries_says_so(client, outbox_path, rows):
    await send_code(client)
    data = {"username": PHONE, "password": b64("s3cret-pw"), "code": b64("000000")}
    answers = [json.loads(await (await client.post("/i/register", data=data)).text())["status"] for _ in range(6)]
    assert [a["status_code"] for a in answers] == ["3208"] * 5 + ["3209"]
    assert answers[-1]["status_message"] == "验证码错误次数过多，请重新获取"
    assert rows("SELECT * FROM users") == []


@pytest.mark.parametrize("method, path, answer", [("GET", "/i/nope", failure("404", "接口不存在")),
                                                  ("PUT", "/i/login", failure("405", "请求方式不支持")),
                                                  ("DELETE", "/user/resetPwd", failure("405", "请求方式不支持"))])
async def test_an_unknown_path_or_method_gets_the_envelope(client, method, path, answer):
    await expect(await client.request(method, path), answer)


async def test_a_non_ascii_password_is_the_bad_input_answer(client, rows):
    before = rows.snapshot()
    await expect(await client.post("/i/login", json={"username": PHONE, "password": "密码"}), failure("400", "参数错误"))
    await expect(await client.post("/i/register", json={"username": PHONE, "password": "pässwörd"}),
                 failure("400", "参数错误"))
    assert rows.snapshot() == before
