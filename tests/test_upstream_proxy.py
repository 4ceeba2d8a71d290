"""Cut-over route by route: a route in proxy mode answers with the legacy server's bytes (a real
stand-in process, tests/legacy_express.py), and serving it again is a config change and a restart."""
from __future__ import annotations

import asyncio
import json

import pytest

from facade.app import init_app
from facade.config import ConfigError
from facade.contract.cases import cases_file, load
from facade.contract.runner import Target, run
from tests.conftest import MAPPINGS
from tests.legacy import LegacyServer

CHECK = "/express/login/api/checkInfoIsCanUse/v1"
LOGIN = "/express/login/api/login/v1"
JSON_UTF8 = "application/json;charset=UTF-8"


def upstream(legacy: LegacyServer, **given) -> str:
    return "upstreams=" + json.dumps({"express": {"url": legacy.base, **given}})


async def test_the_stand_in_answers_as_the_real_express_server_did(legacy):
    """The express contract cases pass against the stand-in, except where the facade departs from the
    real server on purpose: it refuses control characters in a user name, and throttles guessing."""
    results = await run(load(cases_file(MAPPINGS, "express")), Target(legacy.base))
    failed = {r.case: sorted({d.step for d in r.differences}) for r in results if not r.passed}
    assert failed == {"registration refuses what the real server refused": ["a user name with a control character"],
                      "too many wrong passwords for one account are throttled":
                          ["the eleventh try, even with the right password"]}


async def answered(response) -> tuple[int, str, str]:
    return response.status, response.headers["Content-Type"], await response.text()


async def test_a_proxied_route_answers_with_the_legacy_servers_bytes_and_serving_it_is_a_restart(
        legacy, aiohttp_client, make_config):
    await legacy.add_user("alice", "13800138000", "plain-pw")
    # check-mobile is proxied while check-username, on the same path, is served: told apart by 'type'
    proxying = await aiohttp_client(init_app(make_config(upstream(legacy, routes={"check-mobile": "proxy"}))))
    taken = {"type": "mobile", "info": "13800138000"}
    legacy_bytes = (200, JSON_UTF8, '{"code":5000,"msg":"error","userMsg":"很遗憾该手机号已被使用","data":null}')
    assert await answered(await proxying.get(CHECK, params=taken)) == legacy_bytes
    assert await answered(await proxying.get(CHECK, params={"type": "userName", "info": "alice"})) == (
        200, JSON_UTF8, '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}')  # the facade's
    assert (await legacy.seen())[CHECK] == 1
    await proxying.close()

    # the restart: the same store, the route served again by the facade, the legacy server never asked
    serving = await aiohttp_client(init_app(make_config(upstream(legacy))))
    assert await answered(await serving.get(CHECK, params=taken)) == (
        200, JSON_UTF8, '{"code":0,"msg":"success","userMsg":"恭喜该手机号可以使用","data":null}')
    assert (await legacy.seen())[CHECK] == 1


async def test_a_proxied_login_is_the_legacy_servers_answer_without_hop_by_hop_headers(
        legacy, aiohttp_client, make_config, rows):
    await legacy.add_user("alice", "13800138000", "plain-pw")
    client = await aiohttp_client(init_app(make_config(upstream(legacy, mode="proxy"))))
    response = await client.post(LOGIN, data={"loginInfo": "alice", "pwd": "plain-pw"}, headers={
        "X-Request-Id": "cutover-0001", "Connection": "keep-alive, X-Hop", "X-Hop": "this link only",
        "Keep-Alive": "timeout=5", "TE": "trailers", "Proxy-Authorization": "Basic eDp5", "X-Custom": "kept"})
    body = json.loads(await response.text())
    assert (response.status, response.headers["Content-Type"], response.headers["X-Request-Id"]) == (
        200, JSON_UTF8, "cutover-0001")
    assert (body["code"], body["data"]["userId"], body["data"]["userName"]) == (0, 1000, "alice")  # the legacy id
    arrived = await legacy.last()
    names = {name.lower(): value for name, value in arrived["headers"]}
    assert arrived["method"] == "POST" and arrived["body"] == "loginInfo=alice&pwd=plain-pw"
    assert {"connection", "x-hop", "keep-alive", "te", "proxy-authorization"}.isdisjoint(names)
    assert (names["x-request-id"], names["x-custom"], names["x-forwarded-for"]) == ("cutover-0001", "kept", "127.0.0.1")
    assert rows("SELECT * FROM users") == [] and rows("SELECT * FROM sessions") == []  # nothing served here


async def test_an_upstream_named_wrongly_stops_start_up(legacy, make_config):
    with pytest.raises(ConfigError, match=r"upstreams\.express\.routes\.logn: express has no route 'logn' \(have: "):
        init_app(make_config(upstream(legacy, routes={"logn": "proxy"})))
    with pytest.raises(ConfigError, match=r"upstreams\.express\.routes\.register: its operation register writes, and "
                                          r"a mirrored write is real: set shadow_writes: true to shadow it"):
        init_app(make_config(upstream(legacy, routes={"register": "shadow"})))
    with pytest.raises(ConfigError, match=r"upstreams\.nope: no dialect 'nope' is served here"):
        init_app(make_config("upstreams={nope: {url: 'http://127.0.0.1:9'}}"))


SPOOFED = {"X-Forwarded-For": "6.6.6.6", "Forwarded": "for=6.6.6.6;host=evil.example;proto=https",
           "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https", "X-Real-Ip": "6.6.6.6",
           "X-Request-Id": "no good, spoofed"}


async def arrived_headers(legacy: LegacyServer) -> dict[str, str]:
    return {name.lower(): value for name, value in (await legacy.last())["headers"]}


@pytest.mark.parametrize("mode", ["proxy", "shadow"])
async def test_the_legacy_server_hears_who_the_client_is_from_the_facade_never_from_the_client(
        legacy, aiohttp_client, make_config, mode):
    client = await aiohttp_client(init_app(make_config(upstream(legacy, mode=mode))))
    response = await client.post(LOGIN, data={"loginInfo": "nobody", "pwd": "pw"}, headers=SPOOFED)
    assert response.status == 200
    for _ in range(200):  # a shadowed call goes out after the answer
        if (await legacy.last()).get("path_qs") == LOGIN:
            break
        await asyncio.sleep(0.02)
    names = await arrived_headers(legacy)
    assert (names["x-forwarded-for"], names["x-request-id"]) == ("127.0.0.1", response.headers["X-Request-Id"])
    assert len(names["x-request-id"]) == 32 and "6.6.6.6" not in json.dumps(names)
    assert {"forwarded", "x-forwarded-host", "x-forwarded-proto", "x-real-ip"}.isdisjoint(names)


async def test_behind_trusted_proxies_the_hops_they_forwarded_go_on_and_the_clients_own_claims_do_not(
        legacy, aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config(
        upstream(legacy, mode="proxy"), "server.trusted_proxies=[127.0.0.1, 10.0.0.0/8]")))
    await client.post(LOGIN, data={"loginInfo": "nobody", "pwd": "pw"}, headers={
        **SPOOFED, "X-Forwarded-For": "6.6.6.6, 203.0.113.9, 10.0.0.7", "X-Request-Id": "edge-7f3a9c21"})
    names = await arrived_headers(legacy)
    assert (names["x-forwarded-for"], names["x-request-id"]) == ("203.0.113.9, 10.0.0.7, 127.0.0.1", "edge-7f3a9c21")
    assert {"forwarded", "x-forwarded-host", "x-forwarded-proto", "x-real-ip"}.isdisjoint(names)
