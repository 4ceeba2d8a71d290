"""Contract tests every shipped mapping goes through, whatever its dialect.

With response checking on (see conftest), each answer below is also checked
against the dialect's own response schema.
"""
from __future__ import annotations

import io

import pytest

from facade.app import load_config_dialects
from facade.config import load
from facade.core.outcomes import OUTCOMES, BodyTooLarge, MalformedBody
from tests.conftest import ROOT

DIALECTS = load_config_dialects(load(str(ROOT / "config.yaml")))
ROUTES = [(d, r, p) for d in DIALECTS for r in d.routes for p in r.paths]
IDS = [f"{d.name}:{r.method}:{p}:{r.name}" for d, r, p in ROUTES]


def concrete(path: str) -> str:
    return path.replace("{", "").replace("}", "")


def answer(dialect, outcome, route) -> tuple[int, str, bytes]:
    """What the dialect's mapping says it answers for this outcome on this route. A route
    picked by 'when' is not known until the body is read and says which: until then the
    dialect answers for itself."""
    status, body = dialect.failure_body(outcome, None if route.conditions else route)
    return status, dialect.style.content_type, dialect.style.encode(body)


async def received(response) -> tuple[int, str, bytes]:
    return response.status, response.headers["Content-Type"], await response.read()


BAD_BODIES = {
    "malformed-json": (lambda: b"{oops", "application/json", MalformedBody),
    "oversized": (lambda: io.BytesIO(b"a=" + b"x" * (2 << 20)), "application/x-www-form-urlencoded", BodyTooLarge),
}


@pytest.mark.parametrize("bad", BAD_BODIES)
@pytest.mark.parametrize("dialect, route, path", ROUTES, ids=IDS)
async def test_a_bad_body_gets_the_dialects_failure_envelope(client, rows, dialect, route, path, bad):
    body, content_type, outcome = BAD_BODIES[bad]
    before = rows.snapshot()
    response = await client.request(route.method, concrete(path), data=body(), headers={"Content-Type": content_type})
    assert await received(response) == answer(dialect, outcome, route)
    assert rows.snapshot() == before


@pytest.mark.parametrize("dialect, route, path", ROUTES, ids=IDS)
async def test_an_empty_request_gets_one_of_the_dialects_failures(client, rows, dialect, route, path):
    before = rows.snapshot()
    response = await client.request(route.method, concrete(path))
    assert await received(response) in {answer(dialect, outcome, route) for outcome in OUTCOMES.values()}
    assert rows.snapshot() == before


def test_every_shipped_dialect_has_a_response_schema():
    assert DIALECTS, "no dialect shipped"
    for dialect in DIALECTS:
        assert dialect.validator is None  # checking is off in the shipped config...
    checked = load_config_dialects(load(str(ROOT / "config.yaml"), ["mappings.validate_responses=true"]))
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
