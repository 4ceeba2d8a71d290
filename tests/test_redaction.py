"""The one redaction every recorded comparison value passes (facade/wire/redact.py): a table of what
is masked, what is shown partly and what is shown as it is."""
from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from facade.app import init_app, load_config_dialects
from facade.config import load
from facade.keys import CORE
from facade.logs import AccessLogger
from facade.upstream.answers import reading
from facade.upstream.report import text
from facade.upstream.secrets import rules
from facade.wire.redact import MASK, Redaction, Rules
from tests.clients import AppPair, dialects as calls_of, register
from tests.conftest import CONFIG_FILE
from tests.legacy import LegacyServer
from tests.test_shadow import LIBERAL

TOKEN = "5f0c3b8e9a7d41c2b6e8f1a2d3c4b5a6"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiIxMDAwIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
RULES = Rules(pointers=frozenset({"/data/ticket"}), shown=frozenset({"/code"}),
              names=frozenset({"pwd", "upwd", "cloud_token"}))


@pytest.mark.parametrize("given, shown", [
    ("13800138000", "138****8000"),
    ("+8613800138000", "+861****8000"),
    ("call 13800138000 now", "call 138****8000 now"),
    ("0755-1234567", "0755-12****67"),
    ("ann@example.com", "a***@example.com"),
    ("mail a.b+c@mail.example.org today", "mail a***@mail.example.org today"),
    (TOKEN, MASK),
    (f"Bearer {TOKEN}", f"Bearer {MASK}"),
    (JWT, MASK),
    ("sid=" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7", "sid=" + MASK),
    ("HttpRequestMethodNotSupportedException", "HttpRequestMethodNotSupportedException"),  # a word, no token
    ("/express/login/api/userRegister/v1", "/express/login/api/userRegister/v1"),
    ("很遗憾该用户名已被使用", "很遗憾该用户名已被使用"),
    ("3201", "3201"),
    ("user2", "user2"),
    ("e13800138000", "e138****8000"),
])
def test_a_text_shows_phones_and_addresses_partly_and_no_token(given, shown):
    assert Redaction(Rules()).text(given) == shown


def test_a_value_is_masked_at_a_secret_place_inside_an_example_of_a_larger_place():
    """The whole /data of a user the legacy server does not know differs: its example is an object."""
    data = {"ticket": "not-token-shaped", "isCertified": False, "userName": "13800138000", "userId": 1000}
    assert Redaction(RULES).value(data, "/data") == {
        "ticket": MASK, "isCertified": False, "userName": "138****8000", "userId": 1000}
    assert Redaction(RULES).value({"data": data, "code": 0}) == {"data": {**data, "ticket": MASK,
                                                                            "userName": "138****8000"}, "code": 0}
    assert Redaction(RULES).value("not-token-shaped", "/data/ticket") == MASK
    assert Redaction(RULES).value({"nested": [1, {"x": "y"}]}, "/data/ticket") == MASK
    assert Redaction(RULES).value({"ticket": "not-token-shaped"}, "/other") == {"ticket": "not-token-shaped"}


def test_names_hide_leaves_unless_the_mapping_says_the_place_holds_no_secret():
    rules = Rules(shown=frozenset({"/code", "/status/status_code"}))
    answer = {"code": 5000, "status": {"status_code": "3201"}, "data": {"code": "4711", "session": {"token": "t"},
                                                                        "list": [{"password": "p"}]}}
    assert Redaction(rules).value(answer) == {
        "code": 5000, "status": {"status_code": "3201"},
        "data": {"code": MASK, "session": {"token": MASK}, "list": [{"password": MASK}]}}
    assert Redaction(rules).value({"code": 5000}, None) == {"code": MASK}  # in no answer: names alone decide


def test_what_one_place_masks_is_masked_everywhere_else_in_the_pair():
    facade = {"code": 0, "data": {"ticket": "plain-secret-1", "userName": "ann"}}
    redaction = Redaction.of(RULES, [facade], [("pwd", "hunter22"), ("loginInfo", "ann"), ("upwd", "abc")])
    assert redaction.text('{"authorization":"plain-secret-1","echo":"hunter22"}') == (
        '{"authorization":"***","echo":"***"}')
    assert redaction.value({"elsewhere": ["x plain-secret-1 y"]}, "/other") == {"elsewhere": [f"x {MASK} y"]}
    assert redaction.text("abc and ann") == "abc and ann"  # shorter than 4: masked at its place only
    assert redaction.pairs([("pwd", "hunter22"), ("cloud_token", "t"), ("Cookie", "a=b"), ("loginInfo", "ann")]) == {
        "pwd": MASK, "cloud_token": MASK, "Cookie": MASK, "loginInfo": "ann"}


def test_lists_and_numbers():
    redaction = Redaction(Rules(pointers=frozenset({"/1/token"})))
    assert redaction.value([{"token": "a"}, {"token": "b", "id": 13800138000}, None, True]) == [
        {"token": MASK}, {"token": MASK, "id": 13800138000}, None, True]


# Over HTTP: facade-only users register and log in through every dialect, each dialect's routes in shadow
# mode against a legacy server that knows none of them (the express stand-in for express, a second facade
# with a store of its own for the others), then log out with the token where their clients carry it.

TOKEN_AT = {"express": "/data/authorization", "api2": "/token", "cloud_user": "/data/token", "result": "/message",
            "istatus": None}  # where each dialect's login answer holds its token (istatus: only in its cookie)


def shadowing(dialects, legacy_url: str, other_url: str) -> str:
    """Every dialect in shadow mode; its writes served here only (the users stay facade-only), but for
    logout, which carries the token to the legacy server."""
    return "upstreams=" + json.dumps({d.name: {
        "url": legacy_url if d.name == LegacyServer.SPEAKS else other_url, "mode": "shadow", "shadow_writes": True,
        "routes": {r.name: "serve" for r in d.routes if r.writes and r.operation != "logout"}} for d in dialects})


def at(document, pointer: str):
    for part in pointer.split("/")[1:]:
        document = document[part]
    return document


async def logout(http, dialect, token: str, app: AppPair):
    route = next(r for r in dialect.routes if r.operation == "logout")
    place, name = dialect.session.places[0]
    given = {"header": {"headers": {**app.headers(), name: token}}, "query": {"params": {name: token},
                                                                               "headers": app.headers()},
             "cookie": {"headers": app.headers()}}[place]  # a cookie: the client's jar sends it
    return await http.request(route.methods[0], route.paths[0], **given)


def substrings(secret: str, length: int = 8) -> set[str]:
    return {secret[i:i + length] for i in range(len(secret) - length + 1)}


async def test_no_token_password_or_whole_phone_of_a_shadowed_session_reaches_the_report_metrics_or_logs(
        legacy, aiohttp_client, aiohttp_server, admin_client, make_config, tmp_path, outbox_path, caplog):
    caplog.set_level(logging.DEBUG)
    served = {"access_log_class": AccessLogger}  # as `facade serve` logs requests: never a query string
    other = await aiohttp_server(init_app(make_config(f"storage.url=sqlite:///{tmp_path / 'other.db'}",
                                                      f"notify.outbox={tmp_path / 'other-outbox.jsonl'}")), **served)
    dialects = load_config_dialects(make_config())
    config = make_config(shadowing(dialects, legacy.base, str(other.make_url("")).rstrip("/")), *LIBERAL)
    client = await aiohttp_client(await aiohttp_server(init_app(config), **served))
    admin = await admin_client(client)
    pair = await client.server.app[CORE].apps.add("tests")
    app = AppPair(pair.app_id, pair.app_secret)
    calls, secrets, phones, users = calls_of(app), {pair.app_secret}, set(), {}
    for i, dialect in enumerate(dialects):
        phone, password = f"1380000{i:04d}", f"pw-{i}-S3cret-never-shown"
        registered = await register(calls[dialect.name], client, phone, password, outbox_path)
        assert await calls[dialect.name].ok(registered), await registered.text()
        response = await calls[dialect.name].login(client, phone, password)
        assert await calls[dialect.name].ok(response), await response.text()
        token = (at(json.loads(await response.text()), TOKEN_AT[dialect.name]) if TOKEN_AT[dialect.name]
                 else response.cookies[dialect.session.cookie["name"]].value)
        secrets |= {token, password, *(c.value for c in client.session.cookie_jar)}
        phones.add(phone)
        users[dialect.name] = (phone, password)
        assert (await logout(client, dialect, token, app)).status == 200
    counts = {d.name: 2 for d in dialects}  # each dialect's login and logout
    await settled(admin, counts)
    await legacy.faults(garbage=True)  # now no JSON: the two answers are compared as text
    again = await calls["express"].login(client, *users["express"])
    secrets.add(at(json.loads(await again.text()), TOKEN_AT["express"]))
    found = await settled(admin, {**counts, "express": 3})
    assert found["dialects"]["express"]["routes"]["login"]["ok"]["fields"]["body"]["legacy"].startswith("<html>")
    assert {name: shown["different"] >= 1 for name, shown in found["dialects"].items()} == {
        d.name: True for d in dialects}
    express_login = found["dialects"]["express"]["routes"]["login"]["ok"]["fields"]
    assert express_login["body /data"]["facade"]["authorization"] == MASK  # the whole /data differed
    assert express_login["body /data"]["legacy"] is None
    assert express_login["body /code"] == {"count": 1, "facade": 0, "legacy": 5000}  # no secret, shown
    assert found["dialects"]["api2"]["routes"]["login"]["ok"]["fields"]["body /token"] == {
        "count": 1, "facade": "a value (volatile)", "legacy": "<absent>"}  # markers say what is where

    shown = "\n".join([json.dumps(found, ensure_ascii=False), text("http://facade", found),
                       await (await admin.get("/_facade/metrics")).text(), caplog.text,
                       *(repr(record.__dict__) for record in caplog.records)])
    assert len(secrets) > 2 * len(dialects)
    leaked = {secret: sorted(part for part in substrings(secret) if part in shown) for secret in secrets}
    assert {secret: parts for secret, parts in leaked.items() if parts} == {}, [
        shown[max(0, shown.index(parts[0]) - 300):shown.index(parts[0]) + 100] for parts in leaked.values() if parts]
    assert [phone for phone in phones if phone in shown] == [], [
        shown[shown.index(p) - 300:shown.index(p) + 100] for p in phones if p in shown]
    assert f"{next(iter(phones))[:3]}****" in shown  # shown partly


async def settled(client, counts: dict[str, int], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = await (await client.get("/_facade/shadow")).json()
        done = {name: d["compared"] + d["unavailable"] + d["dropped"] for name, d in found["dialects"].items()}
        if all(done.get(name, 0) >= count for name, count in counts.items()) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


SECRET_PLACES = {  # what each shipped mapping says its login answer holds a secret at, and its secret names
    "api2": ({"/token"}, {"token", "upwd"}),
    "cloud_user": ({"/data/token"}, {"app_secret", "cloud_token", "code", "password"}),
    "express": ({"/data/authorization"}, {"authorization", "pwd", "pwd1", "pwd2"}),
    "istatus": (set(), {"code", "istatus_session", "mobilecode", "password"}),
    "result": ({"/message"}, {"code", "password", "result_flow", "token"}),
}


@pytest.mark.parametrize("dialect", load_config_dialects(load(str(CONFIG_FILE))), ids=lambda d: d.name)
def test_the_mapping_says_where_a_login_answer_holds_a_secret_and_which_names_carry_one(dialect):
    login = next(r for r in dialect.routes if r.operation == "login")
    found = rules(dialect, reading(dialect, login))
    assert (set(found.pointers), set(found.names)) == SECRET_PLACES[dialect.name]
    assert not found.pointers & found.shown and "/code" not in found.pointers  # an envelope's code is shown
