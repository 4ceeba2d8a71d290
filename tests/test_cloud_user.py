"""The cloud_user dialect over real HTTP: app credentials, codes from the
outbox, JWT logins, profile, per-user config, reset and logout."""
from __future__ import annotations

import asyncio
import json
import time

import jwt
import pytest

from facade.keys import CORE
from tests.cloud import PHONE, PREFIX, Cloud, fail, ok
from tests.conftest import outbox

pytestmark = pytest.mark.every_backend

KEY = "a jwt key for the tests, long enough for HS256"
ROUTES = [("GET", "/code/get"), ("POST", "/register"), ("GET", "/login/psw"), ("GET", "/login/code"),
          ("GET", "/userinfo/get"), ("POST", "/userinfo/update"), ("POST", "/config/set"),
          ("POST", "/config/get"), ("POST", "/psw/reset"), ("POST", "/psw/rest"), ("GET", "/logout")]
APP_INVALID = fail("app_id或app_secret错误")


@pytest.fixture
async def cloud(aiohttp_client, make_config, outbox_path):
    """Codes may be resent at once: tests register with one code and then ask for another."""
    return await Cloud.start(aiohttp_client, make_config(f"security.jwt_secret={KEY}", "codes.resend_after=0"),
                             outbox_path)


@pytest.fixture
async def ann(cloud):
    """A registered user's login data."""
    assert await cloud.register() == ok()
    return await cloud.login()


@pytest.mark.parametrize("method, route", ROUTES)
@pytest.mark.parametrize("credentials", [{}, {"app_id": "nope", "app_secret": "nope"}, "wrong-secret", "id-only"])
async def test_a_call_without_valid_app_credentials_is_refused_first(cloud, rows, method, route, credentials):
    if credentials == "wrong-secret":
        credentials = {"app_id": cloud.app.app_id, "app_secret": cloud.app.app_secret + "x"}
    elif credentials == "id-only":
        credentials = {"app_id": cloud.app.app_id}
    before = rows.snapshot()
    response = await cloud.client.request(method, PREFIX + route, params={"phone": PHONE, "type": "0", **credentials})
    assert await response.text() == APP_INVALID
    assert rows.snapshot() == before and outbox(cloud.outbox_path) == []


async def test_app_credentials_may_be_split_across_sources_but_must_be_text(cloud):
    response = await cloud.client.post(f"{PREFIX}/config/get", params={"app_id": cloud.app.app_id},
                                       headers={"app_secret": cloud.app.app_secret})
    assert await response.text() == fail("登录已失效，请重新登录")
    for odd in ([cloud.app.app_id], 12345, {"id": cloud.app.app_id}):
        response = await cloud.client.post(f"{PREFIX}/config/get",
                                           json={"app_id": odd, "app_secret": cloud.app.app_secret})
        assert await response.text() == APP_INVALID


async def test_a_token_works_only_with_the_app_it_was_issued_to(cloud, ann, outbox_path):
    other = Cloud(cloud.client, await cloud.client.server.app[CORE].apps.add("other"), outbox_path)
    assert await other.text("GET", "/userinfo/get", ann["token"]) == fail("登录已失效，请重新登录")
    assert (await (await cloud.call("GET", "/userinfo/get", ann["token"])).json())["code"] == 1
    mine = (await other.login())["token"]
    assert (await (await other.call("GET", "/userinfo/get", mine)).json())["code"] == 1


@pytest.mark.parametrize("where", ["params", "data", "json", "headers"])
async def test_app_credentials_may_travel_in_query_form_json_or_headers(cloud, where):
    credentials = {"app_id": cloud.app.app_id, "app_secret": cloud.app.app_secret}
    response = await cloud.client.post(f"{PREFIX}/config/get", **{where: credentials})
    assert await response.text() == fail("登录已失效，请重新登录")  # past the app check, stopped at the token


async def test_code_get_sends_a_registration_code_by_sms(cloud):
    assert await cloud.text("GET", "/code/get", phone="+86 138 0013 8000", type=0) == ok()
    [message] = outbox(cloud.outbox_path)
    assert (message["channel"], message["to"], message["purpose"], len(message["code"])) == (
        "sms", PHONE, "register", 6)


@pytest.mark.parametrize("params, answer", [
    ({"type": "1"}, fail("用户不存在")), ({"type": "2"}, fail("用户不存在")),
    ({"type": "3"}, fail("参数错误")), ({"type": "x"}, fail("参数错误")), ({}, fail("缺少必要参数")),
    ({"type": "0", "phone": "1380013800"}, fail("手机号格式不正确")),
    ({"type": "0", "phone": "ann@example.com"}, fail("手机号格式不正确"))])
async def test_code_get_failures_send_nothing(cloud, rows, params, answer):
    before = rows.snapshot()
    assert await cloud.text("GET", "/code/get", **{"phone": PHONE, **params}) == answer
    assert rows.snapshot() == before and outbox(cloud.outbox_path) == []


async def test_code_get_for_a_registered_phone(cloud, ann):
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=0) == fail("该手机号已注册")
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=1) == ok()


async def test_one_code_a_minute_to_a_number_whatever_its_purpose(aiohttp_client, make_config, outbox_path):
    cloud = await Cloud.start(aiohttp_client, make_config(), outbox_path)
    assert await cloud.register() == ok()
    for kind in (0, 1, 2):
        assert await cloud.text("GET", "/code/get", phone=PHONE, type=kind) in (
            fail("验证码获取过于频繁，请稍后再试"), fail("该手机号已注册"))
    assert len(outbox(outbox_path)) == 1


async def test_register_stores_the_whole_profile(cloud, rows):
    answer = await cloud.register(nickname="张三", sex=0, birthday="1990-05-17", email="Zs@Example.com", extra="x")
    assert answer == ok()
    [user] = rows("SELECT phone, nickname, gender, birthday, email, contact_email, extra FROM users")
    assert user == {"phone": PHONE, "nickname": "张三", "gender": 1, "birthday": 642902400000,  # ISO 5218: 1 male
                    "email": None, "contact_email": "zs@example.com", "extra": "x"}


@pytest.mark.parametrize("fields, answer", [
    ({"code": "000000x"}, fail("验证码错误")), ({"sex": "5"}, fail("参数错误")),
    ({"birthday": "1990-13-01"}, fail("参数错误")), ({"birthday": "99999999999999"}, fail("参数错误")),
    ({"email": "not-an-address"}, fail("邮箱格式不正确")), ({"password": ""}, fail("缺少必要参数"))])
async def test_register_failures_store_no_user(cloud, rows, fields, answer):
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=0) == ok()
    params = {"phone": PHONE, "code": cloud.last_code(), "password": "pw", **fields}
    assert await cloud.text("POST", "/register", **params) == answer
    assert rows("SELECT * FROM users") == []


async def test_a_profile_email_is_shown_but_never_claims_the_address(cloud, ann, rows):
    """cloud_user never proves an address is the caller's, so it is no login, no
    reset target, and no obstacle to its owner registering with it elsewhere."""
    assert await cloud.text("POST", "/userinfo/update", ann["token"], email="Bob@Example.com") == ok()
    assert await cloud.register("13900139000", email="bob@example.com") == ok()  # two may give one address
    assert [r["contact_email"] for r in rows("SELECT contact_email FROM users")] == ["bob@example.com"] * 2
    response = await cloud.client.post("/i/login", data={"username": "bob@example.com", "password": "cHc="})
    assert (await response.json())["status"]["status_code"] == "3201"
    await cloud.client.post("/code/send", data={"username": "bob@example.com"})
    assert outbox(cloud.outbox_path)[-1]["purpose"] == "register"  # the address is still free to register


async def test_login_answers_user_id_token_and_expiry_in_ms(cloud, ann, rows):
    [user] = rows("SELECT public_id FROM users")
    [session] = rows("SELECT id, expires_at FROM sessions")
    assert set(ann) == {"userId", "token", "tokenExpire"} and ann["userId"] == user["public_id"]
    assert jwt.get_unverified_header(ann["token"]) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(ann["token"], KEY, algorithms=["HS256"], audience=ann["userId"])
    assert claims == {"aud": user["public_id"], "exp": int(session["expires_at"]), "sid": session["id"]}
    assert ann["tokenExpire"] == int(session["expires_at"] * 1000) and ann["tokenExpire"] // 1000 == claims["exp"]
    assert ann["tokenExpire"] / 1000 == pytest.approx(time.time() + 7 * 86400, abs=5)


async def test_login_failures(cloud, ann, rows):
    before = rows.snapshot(but=("throttles",))
    assert await cloud.text("GET", "/login/psw", phone="13900139000", password="pw") == fail("用户不存在")
    assert await cloud.text("GET", "/login/psw", phone=PHONE, password="wrong") == fail("密码错误")
    assert await cloud.text("GET", "/login/psw", phone=PHONE) == fail("缺少必要参数")
    assert rows.snapshot(but=("throttles",)) == before
    counted = rows("SELECT substr(key, 1, 5) AS kind, failures FROM throttles WHERE key NOT LIKE 'client:%' ORDER BY 1")
    # The unknown phone counts against itself and this client at it; ann's phone only against the budget of
    # a client ann logged in from (a trusted client's typos are no attack on the account).
    assert counted == [{"kind": "accou", "failures": 1}, {"kind": "pair:", "failures": 1},
                       {"kind": "pair:", "failures": 1}]


async def test_login_by_code(cloud, ann, rows):
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=2) == ok()
    code = cloud.last_code()
    wrong = "000000" if code != "000000" else "111111"
    assert await cloud.text("GET", "/login/code", phone=PHONE, code=wrong) == fail("验证码错误")
    response = await cloud.call("GET", "/login/code", phone=PHONE, code=code)
    data = (await response.json())["data"]
    assert data["userId"] == ann["userId"] and await cloud.text("GET", "/userinfo/get", data["token"]) != fail(
        "登录已失效，请重新登录")
    assert await cloud.text("GET", "/login/code", phone=PHONE, code=code) == fail("验证码错误")  # used up


async def test_userinfo_shows_defaults_until_set_and_then_the_update(cloud, ann):
    token = ann["token"]
    assert await cloud.text("GET", "/userinfo/get", token) == ok(
        {"userId": ann["userId"], "nickname": "", "sex": 0, "birthday": 0, "email": "", "extra": ""})
    update = {"nickname": "穆仙念", "sex": "1", "birthday": "1707184960286", "email": "m@example.com", "extra": "测试配置"}
    assert await cloud.text("POST", "/userinfo/update", token, **update) == ok()
    assert await cloud.text("GET", "/userinfo/get", token) == ok(
        {"userId": ann["userId"], "nickname": "穆仙念", "sex": 1, "birthday": 1707184960286,
         "email": "m@example.com", "extra": "测试配置"})
    assert await cloud.text("POST", "/userinfo/update", token, nickname="只改昵称") == ok()
    body = await (await cloud.call("GET", "/userinfo/get", token)).json()
    assert (body["data"]["nickname"], body["data"]["sex"]) == ("只改昵称", 1)


async def test_the_token_may_travel_as_a_parameter(cloud, ann):
    response = await cloud.call("GET", "/userinfo/get", cloud_token=ann["token"])
    assert (await response.json())["data"]["userId"] == ann["userId"]


@pytest.mark.parametrize("update, answer", [
    ({"sex": "9"}, fail("参数错误")), ({"email": "bad"}, fail("邮箱格式不正确")),
    ({"nickname": "n" * 65}, fail("参数错误")), ({"birthday": "tomorrow"}, fail("参数错误"))])
async def test_userinfo_update_failures_change_nothing(cloud, ann, rows, update, answer):
    before = rows.snapshot()
    assert await cloud.text("POST", "/userinfo/update", ann["token"], **update) == answer
    assert rows.snapshot() == before


async def test_config_set_and_get(cloud, ann):
    token = ann["token"]
    assert await cloud.text("POST", "/config/get", token, key="aaa") == ok(None)
    assert await cloud.text("POST", "/config/set", token, key="aaa", config="bbb") == ok()
    assert await cloud.text("POST", "/config/get", token, key="aaa") == ok("bbb")
    assert await cloud.text("POST", "/config/set", token, key="aaa", config='{"深色":true}') == ok()
    assert await cloud.text("POST", "/config/get", token, key="aaa") == ok('{"深色":true}')


async def test_userinfo_update_with_nothing_changes_nothing(cloud, ann, rows):
    before = rows.snapshot()
    assert await cloud.text("POST", "/userinfo/update", ann["token"]) == ok()
    assert rows.snapshot() == before


async def test_the_config_key_limit_holds_under_concurrency(cloud, ann, rows):
    calls = [cloud.text("POST", "/config/set", ann["token"], key=f"k{n}", config="v") for n in range(120)]
    answers = await asyncio.gather(*calls)
    assert (answers.count(ok()), len(answers) - answers.count(ok())) == (100, 20)
    assert rows("SELECT count(*) AS n FROM user_config") == [{"n": 100}]


async def test_config_limits(cloud, ann, rows):
    token = ann["token"]
    assert await cloud.text("POST", "/config/set", token, key="k" * 64, config="v" * 65536) == ok()
    before = rows.snapshot()
    assert await cloud.text("POST", "/config/set", token, key="k" * 65, config="v") == fail(
        "配置的key不能为空且不能超过64个字符")
    assert await cloud.text("POST", "/config/set", token, key="k", config="v" * 65537) == fail("配置内容不能超过64KB")
    assert await cloud.text("POST", "/config/set", token, key="k") == fail("缺少必要参数")
    assert rows.snapshot() == before
    for n in range(99):
        await cloud.text("POST", "/config/set", token, key=f"k{n}", config="v")
    assert await cloud.text("POST", "/config/set", token, key="one-more", config="v") == fail("配置数量已达上限（100个）")


@pytest.mark.parametrize("route", ["/psw/reset", "/psw/rest"])
async def test_password_reset_by_code_ends_every_token(cloud, ann, route):
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=1) == ok()
    code = cloud.last_code()
    assert await cloud.text("POST", route, phone=PHONE, code=code, password="n3w") == ok()
    assert await cloud.text("GET", "/userinfo/get", ann["token"]) == fail("登录已失效，请重新登录")
    assert await cloud.text("GET", "/login/psw", phone=PHONE, password="pw") == fail("密码错误")
    assert (await cloud.login(password="n3w"))["userId"] == ann["userId"]
    assert await cloud.text("POST", route, phone=PHONE, code=code, password="again") == fail("验证码错误")


async def test_password_reset_failures_change_nothing(cloud, ann, rows):
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=2) == ok()  # a login code
    before = rows.snapshot()
    login_code = cloud.last_code()
    assert await cloud.text("POST", "/psw/reset", phone=PHONE, code=login_code, password="x") == fail("验证码错误")
    assert await cloud.text("POST", "/psw/reset", phone="13900139000", code="1", password="x") == fail("用户不存在")
    assert rows.snapshot() == before


async def test_logout_ends_the_token_at_once(cloud, ann, rows):
    assert await cloud.text("GET", "/logout", ann["token"]) == ok()
    assert await cloud.text("GET", "/userinfo/get", ann["token"]) == fail("登录已失效，请重新登录")
    assert await cloud.text("GET", "/logout", ann["token"]) == fail("登录已失效，请重新登录")
    assert await cloud.text("GET", "/logout") == fail("登录已失效，请重新登录")


@pytest.mark.parametrize("sex, iso, shown", [("0", 1, 0), ("1", 2, 1), ("2", 2, 1)])
async def test_sex_reads_as_the_real_clients_send_it(cloud, ann, rows, sex, iso, shown):
    """CommonLib (NetWorkQuest.register) sends male 0, female 1; the document's 2 also reads as female."""
    assert await cloud.text("POST", "/userinfo/update", ann["token"], sex=sex) == ok()
    assert rows("SELECT gender FROM users") == [{"gender": iso}]
    body = await (await cloud.call("GET", "/userinfo/get", ann["token"])).json()
    assert body["data"]["sex"] == shown


async def test_one_persons_gender_reads_right_in_every_dialect(cloud):
    """result's "0" is female (its server's log: the user 莎莎 with "0"); CommonLib's female is 1."""
    http = cloud.client
    code = (await (await http.get("/register", params={"userId": PHONE})).json(content_type=None))["message"]
    await http.post("/register", data={"code_v": code, "code": code})
    answer = await http.post("/register", data={"register": "1", "userId": PHONE, "password": "abcd1234", "gender": "0"})
    assert await answer.text() == '{"result": "0000"}'
    body = await (await cloud.call("GET", "/userinfo/get", (await cloud.login(password="abcd1234"))["token"])).json()
    assert body["data"]["sex"] == 1


@pytest.mark.parametrize("method, path, msg", [("GET", "/nope", "接口不存在"), ("DELETE", "/register", "请求方式不支持")])
async def test_an_unknown_path_or_method_gets_the_envelope(cloud, method, path, msg):
    assert await cloud.text(method, path) == fail(msg)


@pytest.mark.parametrize("credentials", [{"app_id": "\ud800", "app_secret": "x"}, {"app_id": "x", "app_secret": "\udfff"},
                                         {"app_id": "fuzzapp000000001\x00", "app_secret": "x"}])
async def test_credentials_no_store_can_hold_are_simply_wrong(cloud, caplog, credentials):
    response = await cloud.client.get(f"{PREFIX}/login/psw", data=json.dumps({**credentials, "phone": PHONE,
                                                                              "password": "p"}),
                                      headers={"Content-Type": "application/json"})
    assert await response.text() == APP_INVALID
    assert "unexpected error" not in caplog.text
