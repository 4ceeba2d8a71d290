"""Contract tests every shipped mapping goes through, whatever its dialect.

With response checking on (see conftest), each answer below is also checked
against the dialect's own response schema.
"""
from __future__ import annotations

import io
import logging

import pytest

from facade.app import load_config_dialects
from facade.config import load
from facade.keys import METRICS
from facade.core.outcomes import OUTCOMES, BodyTooLarge, MalformedBody, NoRoute, WrongMethod
from tests.conftest import CONFIG_FILE

DIALECTS = load_config_dialects(load(str(CONFIG_FILE)))
ROUTES = [(d, r, m, p) for d in DIALECTS for r in d.routes for m, p in r.served()]
IDS = [f"{d.name}:{m}:{p}:{r.name}" for d, r, m, p in ROUTES]


def concrete(path: str) -> str:
    return path.replace("{", "").replace("}", "")


def answer(dialect, outcome, route) -> tuple[int, str, bytes]:
    """What the dialect's mapping says it answers for this outcome on this route. A route
    picked by 'when' is not known until the body is read and says which: until then the
    dialect answers for itself."""
    status, body, _ = dialect.failure_body(outcome, None if route is None or route.conditions else route)
    return status, dialect.style.content_type, dialect.style.encode(body)


async def received(response) -> tuple[int, str, bytes]:
    return response.status, response.headers["Content-Type"], await response.read()


BAD_BODIES = {
    "malformed-json": (lambda: b"{oops", "application/json", MalformedBody),
    "oversized": (lambda: io.BytesIO(b"a=" + b"x" * (2 << 20)), "application/x-www-form-urlencoded", BodyTooLarge),
}


@pytest.mark.parametrize("bad", BAD_BODIES)
@pytest.mark.parametrize("dialect, route, method, path", ROUTES, ids=IDS)
async def test_a_bad_body_gets_the_dialects_failure_envelope(client, rows, dialect, route, method, path, bad):
    body, content_type, outcome = BAD_BODIES[bad]
    before = rows.snapshot()
    response = await client.request(method, concrete(path), data=body(), headers={"Content-Type": content_type})
    assert await received(response) == answer(dialect, outcome, route)
    assert rows.snapshot() == before


# What each endpoint answers a request with nothing in it, and which route and outcome say so: the app
# check comes first, then the session, then the parameters (a route picked by 'when' is not known
# until they are read: "-"). Written out, so a crash (the internal answer) can never pass for one.
EMPTY = {
    ("api2", "POST", "/api2/users/userReg/"): ("register", "missing_parameter"),
    ("api2", "POST", "/api2/users/userReg"): ("register", "missing_parameter"),
    ("api2", "POST", "/api2/users/userReg/{appkey}"): ("register", "missing_parameter"),
    ("api2", "POST", "/api2/users/userReg/{appkey}/"): ("register", "missing_parameter"),
    ("api2", "POST", "/api2/users/userLogin/"): ("login", "missing_parameter"),
    ("api2", "POST", "/api2/users/userLogin"): ("login", "missing_parameter"),
    ("api2", "POST", "/api2/users/userLogin/{appkey}"): ("login", "missing_parameter"),
    ("api2", "POST", "/api2/users/userLogin/{appkey}/"): ("login", "missing_parameter"),
    ("api2", "GET", "/api2/users/userLoginOut/"): ("logout", "not_logged_in"),
    ("api2", "GET", "/api2/users/userLoginOut"): ("logout", "not_logged_in"),
    ("cloud_user", "GET", "/api/cloud_user/code/get"): ("code-get", "app_invalid"),
    ("cloud_user", "POST", "/api/cloud_user/register"): ("register", "app_invalid"),
    ("cloud_user", "GET", "/api/cloud_user/register"): ("register", "app_invalid"),
    ("cloud_user", "POST", "/api/cloud_user/registe"): ("register", "app_invalid"),
    ("cloud_user", "GET", "/api/cloud_user/registe"): ("register", "app_invalid"),
    ("cloud_user", "GET", "/api/cloud_user/login/psw"): ("login-password", "app_invalid"),
    ("cloud_user", "GET", "/api/cloud_user/login/code"): ("login-code", "app_invalid"),
    ("cloud_user", "GET", "/api/cloud_user/userinfo/get"): ("userinfo-get", "app_invalid"),
    ("cloud_user", "POST", "/api/cloud_user/userinfo/update"): ("userinfo-update", "app_invalid"),
    ("cloud_user", "POST", "/api/cloud_user/config/set"): ("config-set", "app_invalid"),
    ("cloud_user", "POST", "/api/cloud_user/config/get"): ("config-get", "app_invalid"),
    ("cloud_user", "POST", "/api/cloud_user/psw/reset"): ("password-reset", "app_invalid"),
    ("cloud_user", "POST", "/api/cloud_user/psw/rest"): ("password-reset", "app_invalid"),
    ("cloud_user", "GET", "/api/cloud_user/logout"): ("logout", "app_invalid"),
    ("express", "POST", "/express/login/api/userRegister/v1"): ("register", "missing_parameter"),
    ("express", "POST", "/express/login/api/login/v1"): ("login", "missing_parameter"),
    ("express", "GET", "/express/login/api/login/v1"): ("login", "missing_parameter"),
    ("express", "GET", "/express/login/api/loginOut/v1"): ("logout", "not_logged_in"),
    ("express", "GET", "/express/login/api/checkInfoIsCanUse/v1"): ("check-mobile", "ok"),
    ("express", "POST", "/express/login/api/checkInfoIsCanUse/v1"): ("check-mobile", "ok"),
    ("express", "GET", "/express/login/api/checkUserNameOrMobileIsCanUse/v1"): ("check-mobile", "ok"),
    ("express", "POST", "/express/login/api/checkUserNameOrMobileIsCanUse/v1"): ("check-mobile", "ok"),
    ("istatus", "POST", "/code/send"): ("send-code-to-username", "missing_parameter"),
    ("istatus", "GET", "/code/send"): ("send-code-to-username", "missing_parameter"),
    ("istatus", "POST", "/i/register"): ("register", "missing_parameter"),
    ("istatus", "GET", "/i/register"): ("register", "missing_parameter"),
    ("istatus", "POST", "/i/login"): ("login", "missing_parameter"),
    ("istatus", "GET", "/i/login"): ("login", "missing_parameter"),
    ("istatus", "POST", "/i/logout"): ("logout", "not_logged_in"),
    ("istatus", "GET", "/i/logout"): ("logout", "not_logged_in"),
    ("istatus", "POST", "/i/resetpwd"): ("reset-password", "missing_parameter"),
    ("istatus", "GET", "/i/resetpwd"): ("reset-password", "missing_parameter"),
    ("istatus", "POST", "/user/resetPwd"): ("reset-password-client", "missing_parameter"),
    ("istatus", "GET", "/user/resetPwd"): ("reset-password-client", "missing_parameter"),
    ("result", "GET", "/register"): ("send-code", "missing_parameter"),
    ("result", "POST", "/register"): ("-", "missing_parameter"),
    ("result", "POST", "/upload"): ("upload", "missing_parameter"),
    ("result", "POST", "/log"): ("login", "missing_parameter"),
    ("result", "DELETE", "/log"): ("logout", "not_logged_in"),
}
ENDPOINTS = sorted({(d.name, m, p) for d, r, m, p in ROUTES})


def test_every_endpoint_says_what_an_empty_request_gets():
    assert sorted(EMPTY) == ENDPOINTS


@pytest.mark.parametrize("dialect_name, method, path", ENDPOINTS, ids=[":".join(e) for e in ENDPOINTS])
async def test_an_empty_request_gets_the_outcome_named_for_it(client, rows, caplog, dialect_name, method, path):
    [dialect] = [d for d in DIALECTS if d.name == dialect_name]
    route_name, outcome = EMPTY[(dialect_name, method, path)]
    before, counted = rows.snapshot(), answered(client, dialect_name, route_name, outcome)
    response = await client.request(method, concrete(path))
    got = await received(response)
    route = next((r for r in dialect.routes if r.name == route_name), None)
    if outcome == "ok":
        assert got[0] == dialect.success.status
    else:
        assert got == answer(dialect, OUTCOMES[outcome], route)
    assert answered(client, dialect_name, route_name, outcome) == counted + 1
    assert "unexpected error" not in caplog.text
    assert rows.snapshot() == before


def answered(client, dialect: str, route: str, outcome: str) -> float:
    """How many answers the server counted for this dialect, route and outcome (its own metrics)."""
    for family in client.server.app[METRICS].registry.collect():
        for sample in family.samples:
            if sample.name == "facade_requests_total" and sample.labels == {
                    "dialect": dialect, "route": route, "outcome": outcome}:
                return sample.value
    return 0.0


def test_every_shipped_dialect_has_a_response_schema():
    assert DIALECTS, "no dialect shipped"
    for dialect in DIALECTS:
        assert dialect.validator is None  # checking is off in the shipped config...
    checked = load_config_dialects(load(str(CONFIG_FILE), ["mappings.validate_responses=true"]))
    assert all(d.validator is not None for d in checked)  # ...but every dialect has a schema to check against


async def test_a_response_that_breaks_its_schema_is_caught(client, monkeypatch):
    from facade.dialect.declarations import Dialect
    real = Dialect.failure_body

    def broken(self, outcome, route):
        status, body = real(self, outcome, route)
        return status, {**body, "code": "5000"}  # a string where the schema says integer
    monkeypatch.setattr(Dialect, "failure_body", broken)
    response = await client.get("/express/login/api/loginOut/v1")
    assert response.status == 500


SPACED = [d for d in DIALECTS if d.url_space]


def test_every_dialect_declares_its_url_space():
    assert [d.name for d in SPACED] == [d.name for d in DIALECTS]


@pytest.mark.parametrize("dialect", SPACED, ids=[d.name for d in SPACED])
async def test_an_unknown_path_in_a_dialects_space_gets_its_no_route_answer(client, rows, dialect):
    before = rows.snapshot()
    path = dialect.url_space[0].rstrip("/") + "/no/such/route"
    status, _, body = await received(await client.get(path))
    expected_status, content_type, expected = answer(dialect, NoRoute, None)
    assert status == expected_status and body.startswith(expected[:1])
    if b"timestamp" not in expected:  # an own body naming the time cannot be foreseen to the byte
        assert body == expected
    assert rows.snapshot() == before


@pytest.mark.parametrize("dialect", SPACED, ids=[d.name for d in SPACED])
async def test_a_wrong_method_in_a_dialects_space_gets_its_wrong_method_answer(client, rows, dialect):
    route = dialect.routes[0]
    method, path = route.served()[0]
    wrong = next(m for m in ("PATCH", "PUT", "DELETE", "GET") if (m, path) not in
                 {(mm, pp) for r in dialect.routes for mm, pp in r.served()})
    response = await client.request(wrong, concrete(path))
    expected_status, content_type, expected = answer(dialect, WrongMethod, None)
    assert (response.status, response.headers["Content-Type"]) == (expected_status, content_type)
    assert method in response.headers["Allow"]
    if b"timestamp" not in expected:
        assert await response.read() == expected


GETS = [(d, r, p) for d, r, m, p in ROUTES if m == "GET"]


@pytest.mark.parametrize("dialect, route, path", GETS, ids=[f"{d.name}:{p}" for d, _, p in GETS])
async def test_head_is_answered_wherever_get_is(client, rows, dialect, route, path):
    before = rows.snapshot()
    got, head = await client.get(concrete(path)), await client.head(concrete(path))
    assert (head.status, head.headers["Content-Type"]) == (got.status, got.headers["Content-Type"])
    assert await head.read() == b""
    assert rows.snapshot() == before


@pytest.mark.parametrize("dialect", SPACED, ids=[d.name for d in SPACED])
async def test_a_url_space_without_its_trailing_slash_is_the_dialects_too(client, dialect):
    path = dialect.url_space[0].rstrip("/")
    response = await client.request("PATCH", path)
    status, content_type, _ = answer(dialect, NoRoute, None)
    assert (response.status, response.headers["Content-Type"]) == (status, content_type)


def takes_multipart(route) -> bool:
    return any("multipart" in p.sources for p in (*route.params, *route.checks))


MULTIPART_ROUTES = [(d, r, m, p) for d, r, m, p in ROUTES if takes_multipart(r)]
B = "mp7"
PART = f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n'.encode()
CHARSET = f'--{B}\r\nContent-Disposition: form-data; name="_charset_"\r\n\r\n'.encode()
# Part headers aiohttp's multipart reader trips over with whatever it raises (RuntimeError, an unknown codec's
# LookupError, a bad header's ValueError...): each the client's doing.
CRAFTED_MULTIPART = {
    "charset-too-long": CHARSET + b"x" * 40 + b"\r\n" + PART + f"--{B}--\r\n".encode(),
    "charset-unknown": CHARSET + b"no-such-codec\r\n" + PART + f"--{B}--\r\n".encode(),
    "charset-not-utf8": CHARSET + b"\xff\xfe\r\n" + PART + f"--{B}--\r\n".encode(),
    "charset-alone": CHARSET + b"utf-8\r\n" + f"--{B}--\r\n".encode(),
    "part-header-bad": f'--{B}\r\nContent-Disposition: form-data; name="a"\r\nBad Header: y\r\n\r\nb\r\n'
                       f"--{B}--\r\n".encode(),
    "nested-without-boundary": f'--{B}\r\nContent-Disposition: form-data; name="a"\r\n'
                               f"Content-Type: multipart/mixed\r\n\r\nb\r\n--{B}--\r\n".encode(),
}


@pytest.mark.parametrize("crafted", CRAFTED_MULTIPART)
@pytest.mark.parametrize("dialect, route, method, path", MULTIPART_ROUTES,
                         ids=[f"{d.name}:{m}:{p}:{r.name}" for d, r, m, p in MULTIPART_ROUTES])
async def test_a_crafted_multipart_body_is_bad_input_with_one_line_and_no_traceback(
        client, rows, caplog, dialect, route, method, path, crafted):
    before = rows.snapshot()
    with caplog.at_level(logging.DEBUG):
        response = await client.request(method, concrete(path), data=CRAFTED_MULTIPART[crafted],
                                        headers={"Content-Type": f"multipart/form-data; boundary={B}"})
    assert await received(response) == answer(dialect, MalformedBody, route)
    assert rows.snapshot() == before
    told = [r for r in caplog.records if r.levelno >= logging.INFO and r.name != "aiohttp.access"]
    assert [(r.levelname, r.exc_info) for r in told] == [("INFO", None)]
    assert "Traceback" not in caplog.text
