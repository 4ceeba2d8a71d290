"""Engine features through a fixture dialect (tests/fixtures/probe/probe.yaml)."""
from __future__ import annotations

import base64
import json

import pytest

from facade.app import init_app
from tests.conftest import FIXTURES

PW = base64.b64encode("pässwörd".encode()).decode()


@pytest.fixture
async def probe(aiohttp_client, make_config):
    return await aiohttp_client(init_app(make_config(mappings=FIXTURES / "probe")))


async def expect(response, status: int, text: str) -> None:
    assert (response.status, response.headers["Content-Type"], await response.text()) == (
        status, "application/json", text)


async def register(probe, phone="13800138000", **extra):
    headers = {"X-User": "zhang", **extra.pop("headers", {})}
    return await probe.post(f"/probe/users/{phone}", data={"pw": PW, **extra}, headers=headers,
                            cookies={"nick": "张三"})


async def test_path_header_cookie_and_base64_sources(probe, rows):
    await expect(await register(probe), 200,
                 '{"result": "0000", "message": "created", "data": {"id": 1, "sid": "1", "email": null, '
                 '"nickname": "\\u5f20\\u4e09", '
                 '"note": "$literal"}}')
    [user] = rows("SELECT username, phone, nickname FROM users")
    assert user == {"username": "zhang", "phone": "13800138000", "nickname": "张三"}


async def test_a_route_may_answer_on_several_paths(probe, rows):
    response = await probe.post("/probe/people/13800138000", data={"pw": PW}, headers={"X-User": "zhang"})
    assert response.status == 200
    assert len(rows("SELECT * FROM users")) == 1


async def test_a_path_variable_may_carry_a_pattern(probe, rows):
    response = await probe.post("/probe/users/zhang", data={"pw": PW}, headers={"X-User": "zhang"})
    assert response.status == 404
    assert rows("SELECT * FROM users") == []


async def test_a_const_fills_an_optional_argument(probe, rows):
    await register(probe)
    await probe.post("/probe/login-short", data={"who": "zhang", "pw": "pässwörd"})
    [session] = rows("SELECT expires_at - created_at AS lifetime FROM sessions")
    assert session["lifetime"] == pytest.approx(300)


async def test_base64_that_does_not_decode(probe, rows):
    await expect(await register(probe, pw="@@not base64@@"), 400, '{"result": "0002"}')
    assert rows("SELECT * FROM users") == []


async def test_outcome_entries_may_set_the_http_status(probe):
    await register(probe)
    await expect(await register(probe), 409, '{"result": "0003"}')


async def test_a_parameter_limited_to_json_is_not_read_from_the_query(probe):
    await register(probe)
    response = await probe.post("/probe/login", params={"who": "zhang"}, json={"pw": "pässwörd"})
    await expect(response, 400, '{"result": "0001"}')


@pytest.mark.parametrize("ttl", ["abc", "1.5", [1], True, 0, -5])
async def test_a_bad_number_is_refused_and_nothing_is_written(probe, rows, ttl):
    await register(probe)
    before = rows.snapshot()
    response = await probe.post("/probe/login", json={"who": "zhang", "pw": "pässwörd", "ttl": ttl})
    await expect(response, 400, '{"result": "0002"}')
    assert rows.snapshot() == before


@pytest.mark.parametrize("sent", [{"ttl": ""}, {}])
async def test_an_empty_value_counts_as_not_sent_and_a_default_needs_no_required(probe, rows, sent):
    await register(probe)
    login = await probe.post("/probe/login", json={"who": "zhang", "pw": "pässwörd", **sent})
    assert login.status == 200
    [session] = rows("SELECT expires_at - created_at AS lifetime FROM sessions")
    assert session["lifetime"] == pytest.approx(7200)


@pytest.mark.parametrize("ttl", [120, "120"])
async def test_a_number_sets_the_session_lifetime(probe, rows, ttl):
    await register(probe)
    await probe.post("/probe/login", json={"who": "zhang", "pw": "pässwörd", "ttl": ttl})
    [session] = rows("SELECT expires_at - created_at AS lifetime FROM sessions")
    assert session["lifetime"] == pytest.approx(120)


async def a_token(probe) -> str:
    login = await probe.post("/probe/login", json={"who": "13800138000", "pw": "pässwörd"})
    return json.loads(await login.text())["data"]["token"]


@pytest.mark.parametrize("carry", ["cookie", "query"])
async def test_the_session_may_travel_in_any_declared_carrier(probe, carry):
    await register(probe)
    token = await a_token(probe)
    kwargs = {"cookies": {"sid": token}} if carry == "cookie" else {"params": {"token": token}}
    await expect(await probe.post("/probe/logout", **kwargs), 200,
                 '{"result": "0000", "message": null, "data": null}')
    await expect(await probe.post("/probe/logout", **kwargs), 401, '{"result": "0004"}')


async def test_the_first_declared_carrier_wins(probe):
    await register(probe)
    token = await a_token(probe)
    stale = "0" * 32
    await expect(await probe.post("/probe/logout", cookies={"sid": stale}, params={"token": token}), 401,
                 '{"result": "0004"}')
    await expect(await probe.post("/probe/logout", cookies={"sid": token}, params={"token": stale}), 200,
                 '{"result": "0000", "message": null, "data": null}')


async def test_a_login_may_issue_the_session_cookie_and_a_logout_clear_it(probe, rows):
    await register(probe)
    login = await probe.post("/probe/login", json={"who": "zhang", "pw": "pässwörd", "ttl": 600})
    token = json.loads(await login.text())["data"]["token"]
    assert login.headers.getall("Set-Cookie") == [f"sid={token}; HttpOnly; Max-Age=600; Path=/probe; SameSite=Lax"]
    logout = await probe.post("/probe/logout")  # the client's cookie jar carries sid back
    await expect(logout, 200, '{"result": "0000", "message": null, "data": null}')
    assert logout.headers.getall("Set-Cookie") == [
        'sid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/probe']
    assert rows("SELECT revoked_at IS NOT NULL AS revoked FROM sessions") == [{"revoked": 1}]


async def test_a_header_may_pick_between_routes_on_one_path(probe, rows):
    """'when' reads where its entry says: the header X-Kind picks the name check; the same words in
    the query pick nothing, and the route without 'when' answers."""
    await register(probe)
    taken_name = await probe.get("/probe/check", params={"v": "zhang"}, headers={"X-Kind": "name"})
    await expect(taken_name, 409, '{"result": "0003"}')
    free_name = await probe.get("/probe/check", params={"v": "li"}, headers={"X-Kind": "name"})
    await expect(free_name, 200, '{"result": "0000", "message": "a name", "data": null}')
    in_the_query = await probe.get("/probe/check", params={"v": "zhang", "X-Kind": "name"})
    await expect(in_the_query, 200, '{"result": "0000", "message": "a phone", "data": null}')
    assert len(rows("SELECT * FROM users")) == 1
