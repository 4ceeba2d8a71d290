"""Tokens a legacy cloud_user service signed with its own key keep working
through the cut-over, for imported users, until they expire; logout, a
password reset and removing the app still end them."""
from __future__ import annotations

import time

import jwt
import pytest

from facade.core.ports import NewAccount
from facade.keys import CORE, STORE
from tests.cloud import PHONE, Cloud, fail, ok

pytestmark = pytest.mark.every_backend

OLD_KEY = "the-legacy-services-own-signing-key"
LEGACY_ID = "qpujpkjvoudsylho"  # the seed's own sample userId
LOGGED_OUT = fail("登录已失效，请重新登录")


def legacy_token(aud: str = LEGACY_ID, key: str = OLD_KEY, lifetime: int = 3600, **extra) -> str:
    """As the legacy service signed them: header {typ, alg}, payload {aud, exp} and nothing else."""
    return jwt.encode({"aud": aud, "exp": int(time.time()) + lifetime, **extra}, key, algorithm="HS256",
                      headers={"typ": "JWT", "alg": "HS256"})


@pytest.fixture
async def cloud(aiohttp_client, make_config, outbox_path):
    cloud = await Cloud.start(aiohttp_client, make_config(f"security.legacy_jwt_keys={{cloud_user: [{OLD_KEY}]}}"),
                              outbox_path)
    async with cloud.client.server.app[STORE].write() as work:  # as `facade import` leaves an imported user
        await work.users.add(NewAccount(
            public_id="x" * 16, username=None, username_key=None, phone=PHONE, email=None, password_hash="disabled:",
            nickname="穆仙念", gender=None, birthday=None, avatar=None, extra=None, contact_email=None,
            created_at=1.0, phone_verified_at=1.0, legacy_ids={"cloud_user.userId": LEGACY_ID}))
    return cloud


async def test_a_legacy_token_reads_userinfo_until_logout(cloud):
    token = legacy_token()
    info = await cloud.text("GET", "/userinfo/get", token)
    assert info == ok({"userId": LEGACY_ID, "nickname": "穆仙念", "sex": 0, "birthday": 0, "email": "", "extra": ""})
    assert await cloud.text("GET", "/userinfo/get", token) == info  # again: the same session
    assert await cloud.text("GET", "/logout", token) == ok()
    assert await cloud.text("GET", "/userinfo/get", token) == LOGGED_OUT


@pytest.mark.parametrize("token", [
    pytest.param(lambda: legacy_token(key="another-key-altogether-at-all-of-it"), id="another-key"),
    pytest.param(lambda: legacy_token(lifetime=-10), id="expired"),
    pytest.param(lambda: legacy_token(aud="nobodyheresthat"), id="unknown-user"),
    pytest.param(lambda: legacy_token(aud="1"), id="a-core-id"),
    pytest.param(lambda: jwt.encode({"aud": LEGACY_ID}, OLD_KEY, algorithm="HS256"), id="no-exp"),
    pytest.param(lambda: jwt.encode({"aud": LEGACY_ID, "exp": int(time.time()) + 60}, OLD_KEY * 2, algorithm="HS512"),
                 id="hs512"),
    pytest.param(lambda: jwt.encode({"aud": LEGACY_ID, "exp": int(time.time()) + 60}, None, algorithm="none"),
                 id="alg-none")])
async def test_anything_else_signed_or_not_is_refused(cloud, rows, token):
    before = rows("SELECT * FROM sessions")
    assert await cloud.text("GET", "/userinfo/get", token()) == LOGGED_OUT
    assert rows("SELECT * FROM sessions") == before


async def test_a_password_reset_ends_legacy_tokens_even_unused_ones(cloud):
    used, unused = legacy_token(), legacy_token(lifetime=7200)
    assert '"code":1' in await cloud.text("GET", "/userinfo/get", used)
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=1) == ok()
    assert await cloud.text("POST", "/psw/reset", phone=PHONE, code=cloud.last_code(), password="new-pw-1") == ok()
    assert await cloud.text("GET", "/userinfo/get", used) == LOGGED_OUT
    assert await cloud.text("GET", "/userinfo/get", unused) == LOGGED_OUT


async def test_a_legacy_token_is_bound_to_the_app_it_was_first_used_with(cloud):
    token = legacy_token()
    assert '"code":1' in await cloud.text("GET", "/userinfo/get", token)
    other = await cloud.client.server.app[CORE].apps.add("other")
    response = await cloud.client.get("/api/cloud_user/userinfo/get", headers={
        "app_id": other.app_id, "app_secret": other.app_secret, "cloud_token": token})
    assert await response.text() == LOGGED_OUT
    await cloud.client.server.app[CORE].apps.remove(cloud.app.app_id)
    assert await cloud.text("GET", "/userinfo/get", token) == fail("app_id或app_secret错误")


async def test_without_the_legacy_key_configured_they_are_refused(aiohttp_client, make_config, outbox_path):
    plain = await Cloud.start(aiohttp_client, make_config(), outbox_path)
    assert await plain.text("GET", "/userinfo/get", legacy_token()) == LOGGED_OUT


def test_a_key_for_a_dialect_that_signs_nothing_stops_start_up(make_config):
    from facade.app import load_config_dialects
    from facade.config import ConfigError
    with pytest.raises(ConfigError, match="security.legacy_jwt_keys.express: no dialect served here signs"):
        load_config_dialects(make_config("security.legacy_jwt_keys={express: [k]}"))
