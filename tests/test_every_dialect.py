"""Contract tests every shipped mapping goes through, whatever its dialect.

With response checking on (see conftest), each answer below is also checked
against the dialect's own response schema.
"""
from __future__ import annotations

import io

import pytest

from facade.app import load_config_dialects
from facade.config import load
from tests.conftest import ROOT

DIALECTS = load_config_dialects(load(str(ROOT / "config.yaml")))
ROUTES = [(d, r, p) for d in DIALECTS for r in d.routes for p in r.paths]
IDS = [f"{d.name}:{r.method}:{p}:{r.name}" for d, r, p in ROUTES]


def concrete(path: str) -> str:
    return path.replace("{", "").replace("}", "")


async def expect_failure(response, dialect, store_rows, before):
    assert response.status in {dialect.failure.status} | {
        e["status"] for e in dialect.outcomes.values() if "status" in e}
    assert response.headers["Content-Type"] == dialect.style.content_type
    assert (await response.read()).decode("utf-8").startswith("{")
    assert store_rows.snapshot() == before


@pytest.mark.parametrize("dialect, route, path", ROUTES, ids=IDS)
async def test_malformed_json_gets_the_dialects_failure_envelope(client, rows, dialect, route, path):
    before = rows.snapshot()
    response = await client.request(route.method, concrete(path), data=b"{oops",
                                     headers={"Content-Type": "application/json"})
    await expect_failure(response, dialect, rows, before)


@pytest.mark.parametrize("dialect, route, path", ROUTES, ids=IDS)
async def test_an_oversized_body_gets_the_dialects_failure_envelope(client, rows, dialect, route, path):
    before = rows.snapshot()
    response = await client.request(route.method, concrete(path), data=io.BytesIO(b"a=" + b"x" * (2 << 20)),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    await expect_failure(response, dialect, rows, before)


@pytest.mark.parametrize("dialect, route, path", ROUTES, ids=IDS)
async def test_an_empty_request_gets_an_answer_in_the_dialects_envelope(client, rows, dialect, route, path):
    before = rows.snapshot()
    response = await client.request(route.method, concrete(path))
    await expect_failure(response, dialect, rows, before)


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
