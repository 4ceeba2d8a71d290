"""The express dialect over real HTTP: exact bytes, status and content type."""
from __future__ import annotations

import hashlib
import json
import re

import aiohttp
import pytest

from facade.app import init_app

pytestmark = pytest.mark.every_backend

BASE = "/express/login/api"
JSON_UTF8 = "application/json;charset=UTF-8"
OK = '{"code":0,"msg":"","userMsg":"","data":null}'
# UserInfo.getAvatar()'s image for a user without one (the real server's, also in the seed's sample).
DEFAULT_AVATAR = ("https://timgsa.baidu.com/timg?image&quality=80&size=b9999_10000&sec=1522751654036"
                  "&di=7af9f2e8404b3bb6834e5f4dbd349e19&imgtype=0&src=http%3A%2F%2Fim5.tongbu.com%2FArticleImage"
                  "%2F2fb7c966-1.jpg%3Fw%3D480%2C343")
ALICE = {"userName": "alice", "pwd1": "s3cret-pw", "pwd2": "s3cret-pw", "mobile": "13800138000"}


def failure(text: str) -> str:
    return '{"code":5000,"msg":"error","userMsg":"%s","data":null}' % text


async def expect(response, text: str, status: int = 200) -> None:
    assert (response.status, response.headers["Content-Type"], await response.text()) == (status, JSON_UTF8, text)


async def register(client, **fields):
    return await client.post(f"{BASE}/userRegister/v1", data={**ALICE, **fields})


async def login(client, **fields):
    return await client.post(f"{BASE}/login/v1", data={"loginInfo": "alice", "pwd": "s3cret-pw", **fields})


async def token_of(response) -> str:
    return json.loads(await response.text())["data"]["authorization"]


async def test_register_answers_success_and_stores_a_bcrypt_hash(client, rows):
    await expect(await register(client), OK)
    [user] = rows("SELECT username, phone, password_hash FROM users")
    assert user["username"] == "alice" and user["phone"] == "13800138000"
    assert user["password_hash"].startswith("sha256-bcrypt:$2b$04$") and "s3cret-pw" not in user["password_hash"]


@pytest.mark.parametrize("field", ["userName", "pwd1", "pwd2", "mobile"])
@pytest.mark.parametrize("value", [None, "", "   "])
async def test_register_with_a_field_missing_or_empty(client, rows, field, value):
    fields = {k: v for k, v in ALICE.items() if k != field}
    if value is not None:
        fields[field] = value
    await expect(await client.post(f"{BASE}/userRegister/v1", data=fields), failure("请填完所有信息"))
    assert rows("SELECT * FROM users") == []


@pytest.mark.parametrize("mobile", ["1380013800", "23800138000", "138001380001", "abcdefghijk", "12800138000"])
async def test_register_with_a_number_that_is_not_a_mainland_mobile(client, rows, mobile):
    await expect(await register(client, mobile=mobile), failure("请填写正确的手机号"))
    assert rows("SELECT * FROM users") == []


async def test_register_checks_run_in_the_legacy_order(client, rows):
    await expect(await register(client), OK)
    before = rows.snapshot()
    # missing beats an invalid mobile
    await expect(await register(client, pwd2="", mobile="123"), failure("请填完所有信息"))
    # invalid mobile beats a taken username
    await expect(await register(client, mobile="123"), failure("请填写正确的手机号"))
    # taken username beats a taken mobile, with the legacy server's typo kept
    await expect(await register(client), failure("改用户名已被使用"))
    # taken mobile beats mismatched passwords
    await expect(await register(client, userName="bob", pwd2="other"), failure("手机号已被使用"))
    await expect(await register(client, userName="bob", mobile="13900139000", pwd2="other"),
                 failure("两次密码输入不一致"))
    assert rows.snapshot() == before


async def test_usernames_and_mobiles_are_compared_normalised(client, rows):
    await expect(await register(client), OK)
    await expect(await register(client, userName="ALICE", mobile="13900139000"), failure("改用户名已被使用"))
    await expect(await register(client, userName="bob", mobile="+86 138-0013-8000"), failure("手机号已被使用"))
    assert len(rows("SELECT * FROM users")) == 1


async def test_a_username_may_look_like_a_phone_and_login_prefers_the_mobile_match(client, rows):
    """The real server set no rule on user names and matched loginInfo against the mobile first
    (LoginApi.java); the name's owner still logs in with it when the phone's owner's password fails."""
    await expect(await register(client, userName="13900139000", mobile="13800138000"), OK)
    await register(client, userName="bob", mobile="13900139000", pwd1="bobs-pw-1", pwd2="bobs-pw-1")
    as_phone = await login(client, loginInfo="13900139000", pwd="bobs-pw-1")
    as_name = await login(client, loginInfo="13900139000", pwd="s3cret-pw")
    names = [json.loads(await r.text())["data"]["userName"] for r in (as_phone, as_name)]
    assert names == ["bob", "13900139000"]
    assert len(rows("SELECT * FROM users")) == 2


@pytest.mark.parametrize("send", ["query", "json", "multipart"])
async def test_parameters_are_read_from_any_body_or_the_query(client, rows, send):
    url = f"{BASE}/userRegister/v1"
    if send == "query":
        response = await client.post(url, params=ALICE)
    elif send == "json":
        response = await client.post(url, json=ALICE)
    else:
        with aiohttp.MultipartWriter("form-data") as form:
            for key, value in ALICE.items():
                form.append(value).set_content_disposition("form-data", name=key)
        response = await client.post(url, data=form)
    await expect(response, OK)
    assert len(rows("SELECT * FROM users")) == 1


async def test_login_answers_token_and_user(client, rows):
    await register(client)
    response = await login(client)
    token = await token_of(response)
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    [user] = rows("SELECT id FROM users")
    await expect(response, '{"code":0,"msg":"","userMsg":"","data":{"authorization":"%s","isCertified":false,'
                           '"avatar":"%s","userName":"alice","userId":%d}}' % (token, DEFAULT_AVATAR, user["id"]))
    [session] = rows("SELECT token_hash, origin FROM sessions")
    assert session == {"origin": "express", "token_hash": hashlib.sha256(token.encode()).hexdigest()}


@pytest.mark.parametrize("info", ["alice", "ALICE", "13800138000"])
async def test_login_by_username_or_mobile(client, info):
    await register(client)
    response = await login(client, loginInfo=info)
    assert json.loads(await response.text())["code"] == 0


@pytest.mark.parametrize("long_login, lifetime", [
    (None, 86400), ("false", 86400), ("true", 604800), ("1", 604800), ("0", 86400)])
async def test_login_lifetime_follows_isLongLogin(client, rows, long_login, lifetime):
    await register(client)
    fields = {} if long_login is None else {"isLongLogin": long_login}
    await login(client, **fields)
    [session] = rows("SELECT expires_at - created_at AS lifetime FROM sessions")
    assert session["lifetime"] == pytest.approx(lifetime)


async def test_login_with_a_json_boolean(client, rows):
    await register(client)
    await client.post(f"{BASE}/login/v1", json={"loginInfo": "alice", "pwd": "s3cret-pw", "isLongLogin": True})
    [session] = rows("SELECT expires_at - created_at AS lifetime FROM sessions")
    assert session["lifetime"] == pytest.approx(604800)


@pytest.mark.parametrize("info, pwd", [("alice", "wrong"), ("nobody", "s3cret-pw"), ("13900139000", "s3cret-pw")])
async def test_login_failure_says_the_same_for_unknown_user_and_wrong_password(client, rows, info, pwd):
    await register(client)
    await expect(await login(client, loginInfo=info, pwd=pwd), failure("登录失败用户名密码不匹配"))
    assert rows("SELECT * FROM sessions") == []


async def test_an_empty_query_value_does_not_hide_the_body(client):
    await register(client)
    response = await client.post(f"{BASE}/login/v1", params={"pwd": ""}, data={"loginInfo": "alice", "pwd": "s3cret-pw"})
    assert json.loads(await response.text())["code"] == 0


@pytest.mark.parametrize("missing", ["loginInfo", "pwd"])
async def test_login_with_a_field_missing(client, missing):
    fields = {"loginInfo": "alice", "pwd": "x"}
    del fields[missing]
    await expect(await client.post(f"{BASE}/login/v1", data=fields), failure("请填完所有信息"))


async def test_logout_revokes_the_session(client, rows):
    await register(client)
    token = await token_of(await login(client))
    logout = f"{BASE}/loginOut/v1"
    await expect(await client.get(logout, headers={"Authorization": token}), LOGGED_OUT)
    assert rows("SELECT revoked_at IS NOT NULL AS revoked FROM sessions") == [{"revoked": 1}]


async def test_logout_ends_only_that_session(client, rows):
    await register(client)
    first, second = [await token_of(await login(client)) for _ in range(2)]
    await client.get(f"{BASE}/loginOut/v1", headers={"Authorization": first})
    assert [r["revoked"] for r in rows("SELECT revoked_at IS NOT NULL AS revoked FROM sessions ORDER BY id")] == [1, 0]
    await expect(await client.get(f"{BASE}/loginOut/v1", headers={"Authorization": second}), LOGGED_OUT)


LOGGED_OUT = '{"code":0,"msg":"success","userMsg":"退出登录成功","data":null}'


@pytest.mark.parametrize("token", ["not-a-token", "0" * 32, "revoked"])
async def test_logout_with_any_non_empty_token_answers_success(client, rows, token):
    """LoginApi.loginOut deleted the Redis key and answered success whatever the token was."""
    await register(client)
    live = await token_of(await login(client))
    if token == "revoked":
        await client.get(f"{BASE}/loginOut/v1", headers={"Authorization": live})
        token = live
    before = rows.snapshot()
    await expect(await client.get(f"{BASE}/loginOut/v1", headers={"Authorization": token}), LOGGED_OUT)
    assert rows.snapshot() == before


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}])
async def test_logout_without_a_token(client, headers):
    await expect(await client.get(f"{BASE}/loginOut/v1", headers=headers), failure("退出登录失败,用户未登录"))


CHECK = f"{BASE}/checkInfoIsCanUse/v1"


async def test_check_free_username_and_mobile(client):
    await expect(await client.get(CHECK, params={"type": "userName", "info": "alice"}),
                 '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}')
    await expect(await client.get(CHECK, params={"type": "mobile", "info": "13800138000"}),
                 '{"code":0,"msg":"success","userMsg":"恭喜该手机号可以使用","data":null}')


async def test_a_get_may_carry_its_parameters_in_a_form_body(client):
    response = await client.get(CHECK, data={"type": "userName", "info": "alice"})
    await expect(response, '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}')


async def test_check_taken_username_and_mobile(client):
    await register(client)
    await expect(await client.get(CHECK, params={"type": "userName", "info": "Alice"}), failure("很遗憾该用户名已被使用"))
    await expect(await client.get(CHECK, params={"type": "mobile", "info": "13800138000"}),
                 failure("很遗憾该手机号已被使用"))


@pytest.mark.parametrize("params", [{"info": "13900139000"}, {"type": "email", "info": "13900139000"},
                                    {"type": "mobile", "info": "12345"}, {"type": "mobile"}, {}])
async def test_check_with_any_other_type_checks_the_mobile_unformatted(client, params):
    """LoginApi.checkInfoIsCanUse: anything but type=userName is a mobile check, with no format check."""
    await expect(await client.get(CHECK, params=params),
                 '{"code":0,"msg":"success","userMsg":"恭喜该手机号可以使用","data":null}')


async def test_check_with_a_missing_type_finds_a_taken_mobile(client):
    await register(client)
    await expect(await client.get(CHECK, params={"info": "13800138000"}), failure("很遗憾该手机号已被使用"))
    await expect(await client.get(CHECK, params={"type": "userName"}),
                 '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}')


async def test_the_old_endpoint_forms_still_answer(client):
    """Before 2018-04-08 login/v1 was a GET; until 2018-05-05 the check was POST checkUserNameOrMobileIsCanUse/v1."""
    await register(client)
    response = await client.get(f"{BASE}/login/v1", params={"loginInfo": "alice", "pwd": "s3cret-pw"})
    assert json.loads(await response.text())["data"]["userName"] == "alice"
    await expect(await client.post(f"{BASE}/checkUserNameOrMobileIsCanUse/v1", data={"type": "userName", "info": "alice"}),
                 failure("很遗憾该用户名已被使用"))


@pytest.mark.parametrize("method, path, status, tail", [
    ("GET", "/express/nope", 404, '"error":"Not Found","message":"No message available","path":"/express/nope"}'),
    ("DELETE", f"{BASE}/login/v1", 405, '"error":"Method Not Allowed","exception":'
     '"org.springframework.web.HttpRequestMethodNotSupportedException","message":"Request method \'DELETE\' not '
     'supported","path":"/express/login/api/login/v1"}')])
async def test_an_unknown_path_or_method_gets_spring_boots_error_body(client, rows, method, path, status, tail):
    before = rows.snapshot()
    response = await client.request(method, path)
    text = await response.text()
    assert (response.status, response.headers["Content-Type"]) == (status, JSON_UTF8)
    assert re.fullmatch(r'\{"timestamp":\d{13},"status":%d,' % status + re.escape(tail), text), text
    assert rows.snapshot() == before


async def test_outside_every_dialect_a_plain_404_stays(client):
    response = await client.get("/elsewhere")
    assert (response.status, response.headers["Content-Type"]) == (404, "text/plain; charset=utf-8")


async def test_the_default_avatar_is_a_setting(aiohttp_client, make_config):
    config = make_config("dialects={express: {default_avatar: 'https://cdn.example/a.png'}}")
    client = await aiohttp_client(init_app(config))
    await register(client)
    assert json.loads(await (await login(client)).text())["data"]["avatar"] == "https://cdn.example/a.png"
