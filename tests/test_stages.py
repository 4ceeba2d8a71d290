"""Each route's request pipeline is compiled at start-up into named stages, in order; an upstream
mode is stages of its own, plugged in per route from config. The names say what a request runs, and
a traced request runs exactly those (real stages, each noted as it starts): a proxied route never
calls the core, a shadowed one offers its answer, a migrating login hands the core the legacy server."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from facade.app import init_app
from facade.dialect.endpoint import Endpoint
from facade.dialect.stages import Stage
from tests.conftest import ROOT
from tests.legacy import LegacyServer

CHECK = "/express/login/api/checkInfoIsCanUse/v1"
LOGIN = "/express/login/api/login/v1"
REGISTER = "/express/login/api/userRegister/v1"
PROFILE = "/api/cloud_user/userinfo/get"
SERVED_CHECK = ("body", "route", "parameters", "call", "render")
SUPPLIED = ("body", "route", "supplied", "parameters", "call", "render")


def upstream(legacy: LegacyServer, **given) -> str:
    return "upstreams=" + json.dumps({"express": {"url": legacy.base, **given}})


def endpoint(app, method: str, path: str) -> Endpoint:
    [found] = [r.handler.__self__ for r in app.router.routes()
               if r.method == method and r.resource is not None and r.resource.canonical == path]
    return found


def named(found: Endpoint) -> dict[str, tuple[str, ...]]:
    return {route.name: found.stages(route) for route in found.routes}


def traced(found: Endpoint, ran: list[str]) -> Endpoint:
    """Each stage notes its name as it starts, then runs as compiled."""
    def noting(stage: Stage):
        async def run(exchange):
            ran.append(stage.name)
            return await stage.run(exchange)
        return run
    found._head = tuple(noting(stage) for stage in found.head)
    for pipeline in found.pipelines:
        pipeline.steps = tuple(noting(stage) for stage in pipeline.stages[:-1])
        pipeline.last = noting(pipeline.stages[-1])
    return found


async def test_served_routes_run_the_engines_own_stages(aiohttp_client, make_config):
    app = init_app(make_config())
    ran: list[str] = []
    traced(endpoint(app, "GET", CHECK), ran)
    assert named(endpoint(app, "GET", CHECK)) == {"check-username": SERVED_CHECK, "check-mobile": SERVED_CHECK}
    assert named(endpoint(app, "POST", LOGIN)) == {"login": SUPPLIED}
    # a dialect whose requests name their app checks it first; a route with a session supplies it
    assert set(named(endpoint(app, "GET", PROFILE)).values()) == {
        ("body", "app", "route", "supplied", "parameters", "call", "render")}
    client = await aiohttp_client(app)
    response = await client.get(CHECK, params={"type": "userName", "info": "nobody"})
    assert (response.status, await response.text()) == (
        200, '{"code":0,"msg":"success","userMsg":"恭喜该用户名可以使用","data":null}')
    assert ran == list(SERVED_CHECK)


async def test_a_proxied_route_answers_with_the_legacy_bytes_and_never_calls_the_core(
        legacy, aiohttp_client, make_config, rows):
    await legacy.add_user("alice", "13800138000", "plain-pw")
    app = init_app(make_config(upstream(legacy, routes={"check-mobile": "proxy"})))
    assert named(endpoint(app, "GET", CHECK)) == {"check-username": SERVED_CHECK,
                                                 "check-mobile": ("body", "route", "proxy")}
    ran: list[str] = []
    traced(endpoint(app, "GET", CHECK), ran)
    client = await aiohttp_client(app)
    response = await client.get(CHECK, params={"type": "mobile", "info": "13800138000"})
    assert (response.status, await response.text()) == (
        200, '{"code":5000,"msg":"error","userMsg":"很遗憾该手机号已被使用","data":null}')  # the legacy server's
    assert ran == ["body", "route", "proxy"] and (await legacy.seen())[CHECK] == 1


async def test_a_wholly_proxied_path_sends_the_body_on_unread(legacy, aiohttp_client, make_config, rows):
    await legacy.add_user("alice", "13800138000", "plain-pw")
    app = init_app(make_config(upstream(legacy, mode="proxy")))
    assert named(endpoint(app, "POST", LOGIN)) == {"login": ("raw body", "proxy")}
    ran: list[str] = []
    traced(endpoint(app, "POST", LOGIN), ran)
    client = await aiohttp_client(app)
    response = await client.post(LOGIN, data={"loginInfo": "alice", "pwd": "plain-pw"})
    assert response.status == 200 and json.loads(await response.text())["code"] == 0  # only the legacy server knows her
    assert ran == ["raw body", "proxy"] and rows("SELECT * FROM users") == []


async def test_a_shadowed_route_offers_its_answer_once_rendered(legacy, aiohttp_client, admin_client, make_config):
    config = make_config(upstream(legacy, mode="shadow"))
    app = init_app(config)
    shadowed = ("body", "route", "shadow", "parameters", "call", "render")
    assert named(endpoint(app, "GET", CHECK)) == {"check-username": shadowed, "check-mobile": shadowed}
    assert named(endpoint(app, "POST", REGISTER)) == {"register": SUPPLIED}  # a write: not mirrored
    ran: list[str] = []
    traced(endpoint(app, "GET", CHECK), ran)
    client = await aiohttp_client(app)
    admin = await admin_client(client)
    await client.get(CHECK, params={"type": "userName", "info": "nobody"})
    assert ran == list(shadowed)
    for _ in range(600):
        found = (await (await admin.get("/_facade/shadow")).json())["dialects"]["express"]
        if found["compared"]:
            break
        await asyncio.sleep(0.05)
    assert (found["compared"], found["different"]) == (1, 0) and (await legacy.seen())[CHECK] == 1


async def test_a_login_with_lazy_migration_hands_the_core_the_legacy_server(legacy, aiohttp_client, make_config, rows):
    await legacy.add_user("oldtimer", "13700137000", "plain-old-pw")
    app = init_app(make_config(upstream(legacy, lazy_migration=True)))
    migrating = ("body", "route", "supplied", "parameters", "legacy login", "call", "render")
    assert named(endpoint(app, "POST", LOGIN)) == {"login": migrating}
    assert named(endpoint(app, "GET", CHECK))["check-username"] == SERVED_CHECK
    ran: list[str] = []
    traced(endpoint(app, "POST", LOGIN), ran)
    client = await aiohttp_client(app)
    response = await client.post(LOGIN, data={"loginInfo": "oldtimer", "pwd": "plain-old-pw"})
    assert response.status == 200 and json.loads(await response.text())["code"] == 0
    assert ran == list(migrating) and [u["username"] for u in rows("SELECT username FROM users")] == ["oldtimer"]


def test_the_engine_loads_no_upstream_or_contract_module():
    """The modes reach the engine as stages: importing it, its middleware and its stages brings in
    neither the upstream package nor the contract kit (which import the engine)."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import json, sys, facade.dialect.endpoint, facade.dialect.errors, facade.dialect.stages; "
                               "print(json.dumps(sorted(m for m in sys.modules if m.startswith('facade.'))))"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    modules = json.loads(loaded)
    assert "facade.dialect.stages" in modules
    assert [m for m in modules if m.startswith(("facade.upstream", "facade.contract"))] == []
