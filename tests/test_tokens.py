"""JWT session tokens (HS256) through a fixture dialect: what they carry, and
every token that must be refused."""
from __future__ import annotations

import json
import time

import jwt
import pytest

from facade.app import init_app
from facade.dialect.loader import _mapping_schema
from facade.dialect.tokens import codecs
from tests.conftest import FIXTURES, outbox

OK = '{"code":1,"data":null}'
REFUSED = '{"code":0,"msg":"未登录","data":null}'


@pytest.fixture
def signed_config(make_config):
    return lambda *extra: make_config(*extra, mappings=FIXTURES / "jwt")


@pytest.fixture
async def signed(aiohttp_client, signed_config):
    return await aiohttp_client(init_app(signed_config()))


async def login(client) -> dict:
    await client.post("/signed/register", data={"phone": "13800138000", "password": "pw"})
    response = await client.get("/signed/login", params={"phone": "13800138000", "password": "pw"})
    return json.loads(await response.text())["data"]


def stored_key(rows) -> str:
    return rows("SELECT value FROM settings WHERE name = 'jwt_secret'")[0]["value"]


async def logout(client, token: str) -> str:
    return await (await client.get("/signed/logout", headers={"cloud_token": token})).text()


async def test_a_login_token_is_hs256_naming_user_session_and_expiry(signed, rows):
    data = await login(signed)
    assert jwt.get_unverified_header(data["token"])["alg"] == "HS256"
    claims = jwt.decode(data["token"], stored_key(rows), algorithms=["HS256"], audience=data["userId"])
    [session] = rows("SELECT id, expires_at FROM sessions")
    assert claims == {"aud": data["userId"], "exp": int(session["expires_at"]), "sid": session["id"]}
    assert claims["exp"] == pytest.approx(time.time() + 86400, abs=5)


async def test_a_token_works_until_logout(signed):
    token = (await login(signed))["token"]
    assert await logout(signed, token) == OK
    assert await logout(signed, token) == REFUSED


def forged(rows, key: str | None = None, algorithm: str = "HS256", **claims) -> str:
    [session] = rows("SELECT id FROM sessions")
    [user] = rows("SELECT public_id FROM users")
    body = {"aud": user["public_id"], "exp": int(time.time()) + 600, "sid": session["id"], **claims}
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key if key is not None else stored_key(rows), algorithm=algorithm)


@pytest.mark.parametrize("make", [
    pytest.param(lambda rows: forged(rows, exp=int(time.time()) - 1), id="expired"),
    pytest.param(lambda rows: forged(rows, key="another key, quite long enough to sign"), id="another-key"),
    pytest.param(lambda rows: jwt.encode({"aud": "x", "exp": int(time.time()) + 600, "sid": 1},
                                         None, algorithm="none"), id="alg-none"),
    pytest.param(lambda rows: forged(rows, algorithm="HS512"), id="another-algorithm"),
    pytest.param(lambda rows: forged(rows, exp=None), id="no-exp"),
    pytest.param(lambda rows: forged(rows, sid=None), id="no-sid"),
    pytest.param(lambda rows: forged(rows, sid="1"), id="sid-not-an-id"),
    pytest.param(lambda rows: forged(rows, sid=999), id="no-such-session"),
    pytest.param(lambda rows: "not.a.jwt", id="garbage"),
])
async def test_a_token_that_must_be_refused(signed, rows, make):
    await login(signed)
    assert await logout(signed, make(rows)) == REFUSED
    assert rows("SELECT revoked_at FROM sessions") == [{"revoked_at": None}]


async def test_a_forged_token_with_the_right_key_still_needs_a_live_session(signed, rows):
    await login(signed)
    assert await logout(signed, forged(rows)) == OK  # the key is what makes a token; keep it secret
    assert await logout(signed, forged(rows)) == REFUSED  # and the session it names must be live


async def test_the_generated_key_survives_a_restart(aiohttp_client, signed_config):
    first = await aiohttp_client(init_app(signed_config()))
    token = (await login(first))["token"]
    await first.close()
    second = await aiohttp_client(init_app(signed_config()))
    assert await logout(second, token) == OK


async def test_a_configured_key_is_used(aiohttp_client, signed_config, rows):
    key = "k" * 40
    client = await aiohttp_client(init_app(signed_config(f"security.jwt_secret={key}")))
    data = await login(client)
    jwt.decode(data["token"], key, algorithms=["HS256"], audience=data["userId"])
    assert rows("SELECT * FROM settings") == []


def test_every_token_form_a_mapping_may_name_has_a_codec():
    declared = _mapping_schema()["properties"]["session"]["properties"]["token"]["enum"]
    assert sorted(declared) == sorted(codecs("k" * 32))


async def test_a_password_reset_refuses_every_earlier_token(signed, outbox_path):
    first = (await login(signed))["token"]
    response = await signed.get("/signed/login", params={"phone": "13800138000", "password": "pw"})
    second = json.loads(await response.text())["data"]["token"]
    assert await (await signed.get("/signed/code", params={"phone": "13800138000", "type": "1"})).text() == OK
    code = outbox(outbox_path)[-1]["code"]
    response = await signed.post("/signed/reset", data={"phone": "13800138000", "code": code, "password": "new"})
    assert await response.text() == OK
    assert await logout(signed, first) == REFUSED
    assert await logout(signed, second) == REFUSED
    response = await signed.get("/signed/login", params={"phone": "13800138000", "password": "new"})
    assert await logout(signed, json.loads(await response.text())["data"]["token"]) == OK
