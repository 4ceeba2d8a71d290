"""JWT session tokens (HS256), through cloud_user: what they carry, and
every token that must be refused."""
from __future__ import annotations

import time

import jwt
import pytest

from facade.dialect.loading.read import mapping_schema
from facade.dialect.tokens import FORMS
from tests.cloud import PHONE, Cloud, fail, ok

pytestmark = pytest.mark.every_backend

REFUSED = fail("登录已失效，请重新登录")


@pytest.fixture
def start(aiohttp_client, make_config, outbox_path):
    return lambda *overrides, app=None: Cloud.start(aiohttp_client, make_config(*overrides), outbox_path, app)


@pytest.fixture
async def cloud(start):
    return await start("codes.resend_after=0")  # registered with a code, reset with another at once


async def login(cloud) -> dict:
    await cloud.register()
    return await cloud.login()


def stored_key(rows) -> str:
    return rows("SELECT value FROM settings WHERE name = 'jwt_secret'")[0]["value"]


async def logout(cloud, token: str) -> str:
    return await cloud.text("GET", "/logout", token)


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
    pytest.param(lambda rows: forged(rows, aud="someoneelsexxxxx"), id="another-audience"),
    pytest.param(lambda rows: forged(rows, aud=["a", "b"]), id="audience-a-list"),
    pytest.param(lambda rows: "not.a.jwt", id="garbage"),
])
async def test_a_token_that_must_be_refused(cloud, rows, make):
    await login(cloud)
    assert await logout(cloud, make(rows)) == REFUSED
    assert rows("SELECT revoked_at FROM sessions") == [{"revoked_at": None}]


async def test_a_forged_token_with_the_right_key_still_needs_a_live_session(cloud, rows):
    await login(cloud)
    assert await logout(cloud, forged(rows)) == ok()  # the key is what makes a token; keep it secret
    assert await logout(cloud, forged(rows)) == REFUSED  # and the session it names must be live


async def test_the_generated_key_survives_a_restart(start):
    first = await start()
    token = (await login(first))["token"]
    await first.client.close()
    second = await start(app=first.app)
    assert await logout(second, token) == ok()


async def test_a_configured_key_is_used(start, rows):
    key = "k" * 40
    data = await login(await start(f"security.jwt_secret={key}"))
    jwt.decode(data["token"], key, algorithms=["HS256"], audience=data["userId"])
    assert rows("SELECT * FROM settings") == []


def test_every_token_form_a_mapping_may_name_has_a_codec():
    declared = mapping_schema()["properties"]["session"]["properties"]["token"]["enum"]
    assert sorted(declared) == sorted(FORMS)


async def test_a_password_reset_refuses_every_earlier_token(cloud):
    first = (await login(cloud))["token"]
    second = (await cloud.login())["token"]
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=1) == ok()
    assert await cloud.text("POST", "/psw/reset", phone=PHONE, code=cloud.last_code(), password="new") == ok()
    assert await logout(cloud, first) == REFUSED
    assert await logout(cloud, second) == REFUSED
    assert await logout(cloud, (await cloud.login(password="new"))["token"]) == ok()
