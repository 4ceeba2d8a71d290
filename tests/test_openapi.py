"""Each dialect's OpenAPI 3.1 document: valid, complete, and showing the bytes the server sends."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from facade.api_docs import POLICY
from facade.app import load_config_dialects
from facade.cli import main
from facade.config import load
from facade.dialect.declarations import ABSENT
from facade.core.outcomes import OUTCOMES
from facade.dialect.openapi import BODY_MEDIA, EXAMPLE_FACTS
from tests.conftest import CONFIG_FILE

DIALECTS = load_config_dialects(load(str(CONFIG_FILE)))
NAMES = [d.name for d in DIALECTS]
BY_NAME = {d.name: d for d in DIALECTS}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def openapi_path(path: str) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"{\1}", path)


def concrete(path: str) -> str:
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", r"\1", path)


@pytest.fixture
async def admin(client, admin_client):
    """The documents and pages are the admin listener's."""
    return await admin_client(client)


async def fetched(admin, name: str) -> dict:
    response = await admin.get(f"/_facade/openapi/{name}.json")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(await response.read())


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method.upper(), operation


@pytest.mark.parametrize("name", NAMES)
async def test_every_dialects_document_is_valid_openapi_3_1(admin, name):
    document = await fetched(admin, name)
    assert document["openapi"] == "3.1.0"
    errors = [e.message for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


@pytest.mark.parametrize("name", NAMES)
async def test_the_document_lists_every_route_and_nothing_else(admin, name):
    dialect = BY_NAME[name]
    served = {(openapi_path(p), m) for r in dialect.routes for m, p in r.served()}
    served |= {(f"{prefix}/{{name}}", "GET") for prefix, _ in dialect.static}
    document = await fetched(admin, name)
    assert {(path, method) for path, method, _ in operations(document)} == served
    tags = {tag for _, _, operation in operations(document) for tag in operation["tags"]}
    assert tags == {r.name for r in dialect.routes} | {serves for _, serves in dialect.static}


def documented_places(operation: dict) -> set[tuple[str, str]]:
    places = {(p["in"], p["name"]) for p in operation.get("parameters", ())}
    for media, content in operation.get("requestBody", {}).get("content", {}).items():
        source = next(s for s, m in BODY_MEDIA.items() if m == media)
        places |= {(source, name) for name in content["schema"]["properties"]}
    return places


@pytest.mark.parametrize("name", NAMES)
async def test_every_wire_parameter_is_documented_where_it_travels(admin, name):
    dialect = BY_NAME[name]
    document = await fetched(admin, name)
    for route in dialect.routes:
        for method, path in route.served():
            operation = document["paths"][openapi_path(path)][method.lower()]
            places = documented_places(operation)
            for param in (*route.params, *route.checks):
                if param.const is not ABSENT or param.sources == ("flow",):
                    continue  # fixed by the mapping, or held by the server: nothing travels but the flow cookie
                wanted = {(s, n) for s in param.sources for n in param.names if s != "flow"
                          and (s != "path" or f"{{{n}}}" in openapi_path(path))}
                if method == "GET" and any(s == "query" for s, _ in wanted):
                    wanted = {(s, n) for s, n in wanted if s not in BODY_MEDIA}  # a GET's body echoes its query
                assert wanted, f"{route.label}: {param.target} travels nowhere"
                if route.uses_flow:
                    wanted.add(("cookie", dialect.flow_cookie["name"]))
                missing = wanted - places
                assert not missing, f"{route.label} {method} {path}: {param.target} not documented at {missing}"


@pytest.mark.parametrize("name", NAMES)
async def test_an_empty_request_gets_an_answer_the_document_shows_byte_for_byte(client, admin, name):
    """Every operation, asked with nothing: the status is documented, and the body is one of that
    status's examples, whose description quotes the exact bytes."""
    document = await fetched(admin, name)
    content_type = BY_NAME[name].style.content_type
    for path, method, operation in operations(document):
        if "{name}" in path:
            continue  # the static files: no example bodies, a plain 404
        response = await client.request(method, concrete(path))
        body = await response.read()
        assert str(response.status) in operation["responses"], f"{method} {path}: {response.status}"
        media = operation["responses"][str(response.status)]["content"][content_type]
        quoted = {example["description"] for example in media["examples"].values()}
        assert f"`{body.decode('utf-8')}`" in quoted, f"{method} {path}: {body!r} is none of the examples"
        assert json.loads(body) in [example["value"] for example in media["examples"].values()]


@pytest.mark.parametrize("name", NAMES)
async def test_every_example_follows_its_responses_schema(admin, name):
    document = await fetched(admin, name)
    checked = 0
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            for media in response.get("content", {}).values():
                if "schema" not in media:
                    continue
                validator = jsonschema.Draft202012Validator({**media["schema"], "components": document["components"]})
                for example_name, example in media.get("examples", {}).items():
                    errors = [e.message for e in validator.iter_errors(example["value"])]
                    assert errors == [], f"{method} {path} {status} {example_name}"
                    checked += 1
    assert checked > 0


@pytest.mark.parametrize("name", NAMES)
async def test_tokens_and_app_credentials_are_security_schemes(admin, name):
    dialect = BY_NAME[name]
    document = await fetched(admin, name)
    schemes = document["components"].get("securitySchemes", {})
    if dialect.session is not None:
        places = {(s, n) for s, n in dialect.session.places if s in ("header", "query", "cookie")}
        assert {(v["in"], v["name"]) for k, v in schemes.items() if k.startswith("token_")} == places
    for route in dialect.routes:
        for method, path in route.served():
            operation = document["paths"][openapi_path(path)][method.lower()]
            needed = set().union(*(set(choice) for choice in operation.get("security", [{}])))
            assert any(k.startswith("token_") for k in needed) == ("session" in route.supplied), route.label
            assert any(k.startswith("app_id_") for k in needed) == (dialect.app is not None), route.label


@pytest.mark.parametrize("name", NAMES)
async def test_the_mappings_about_is_the_documents_description(admin, name):
    about = BY_NAME[name].about
    description = (await fetched(admin, name))["info"]["description"]
    for item in [*about.get("follows_real_server", []), *about.get("follows_document", []), *about.get("departs", [])]:
        assert f"- {item}" in description


def place_descriptions(operation: dict) -> list[str]:
    texts = [p.get("description", "") for p in operation.get("parameters", ())]
    for content in operation.get("requestBody", {}).get("content", {}).values():
        texts += [prop.get("description", "") for prop in content["schema"]["properties"].values()]
    return texts


def example_summaries(operation: dict) -> list[str]:
    return [example["summary"] for response in operation["responses"].values()
            for content in response.get("content", {}).values() for example in content.get("examples", {}).values()]


@pytest.mark.parametrize("name", NAMES)
async def test_every_description_in_the_mapping_reaches_the_document(admin, name):
    """The legacy decisions a mapping records as descriptions are what a client team reads: the
    dialect's and its settings' in the document's description, a route's in each of its operations, a
    parameter's wherever it travels, an outcome entry's beside the example answer it describes."""
    dialect = BY_NAME[name]
    document = await fetched(admin, name)
    info = document["info"]["description"]
    assert dialect.description and dialect.description in info
    for note in dialect.setting_notes.values():
        assert note in info
    for spec in dialect.ids.values():
        assert spec.description in info
    schemes = json.dumps(document["components"].get("securitySchemes", {}), ensure_ascii=False)
    for carrier_or_app in (dialect.session, dialect.app):
        if carrier_or_app is not None and carrier_or_app.description:
            assert json.dumps(carrier_or_app.description, ensure_ascii=False)[1:-1] in schemes
    every_summary = [s for _, _, op in operations(document) for s in example_summaries(op)]
    for outcome_id, entry in dialect.outcomes.items():
        if "description" in entry:
            assert any(entry["description"] in text for text in [*every_summary, info]), outcome_id
    described = 0  # parameter descriptions checked: every shipped mapping has some
    for route in dialect.routes:
        for method, path in route.served():
            operation = document["paths"][openapi_path(path)][method.lower()]
            assert route.description in operation["description"], route.label
            for param in (*route.params, *route.checks):
                if param.description and param.sources != ("flow",):
                    assert any(param.description in text for text in place_descriptions(operation)), param.name
                    described += 1
            for outcome_id, entry in route.outcomes.items():
                if "description" in entry:
                    assert any(entry["description"] in s for s in example_summaries(operation)), outcome_id
    assert all(route.description for route in dialect.routes), "every shipped route says what it decided"
    assert described


async def test_an_unknown_dialect_has_no_document_and_no_page(admin):
    for url in ("/_facade/openapi/nope.json", "/_facade/docs/nope"):
        response = await admin.get(url)
        assert (response.status, await response.text()) == (404, "no dialect 'nope' is served here")


@pytest.mark.parametrize("name", NAMES)
async def test_the_docs_page_loads_only_this_servers_files(admin, name):
    response = await admin.get(f"/_facade/docs/{name}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == POLICY == (
        "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    page = await response.text()
    assert f'data-url="../openapi/{name}.json"' in page
    loads = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert loads == ["ui/swagger-ui.css", "ui/swagger-ui-bundle.js", "page.js"]
    for url in loads:
        served = await admin.get(f"/_facade/docs/{url}")
        assert served.status == 200, url
        assert len(await served.read()) > 100


def test_facade_openapi_writes_what_the_server_serves(tmp_path, capsys):
    out = tmp_path / "express.json"
    assert main(["openapi", "express", "--config", str(CONFIG_FILE), "--out", str(out)]) == 0
    assert main(["openapi", "express", "--config", str(CONFIG_FILE)]) == 0
    printed = capsys.readouterr().out
    assert printed == out.read_text(encoding="utf-8")
    assert json.loads(printed)["info"]["title"] == "express"


async def test_the_cli_and_the_server_give_the_same_bytes(admin, tmp_path):
    out = tmp_path / "result.json"
    assert main(["openapi", "result", "--config", str(CONFIG_FILE), "--out", str(out)]) == 0
    response = await admin.get("/_facade/openapi/result.json")
    assert await response.read() == out.read_bytes()


def test_facade_openapi_names_what_it_cannot_do(tmp_path, capsys):
    assert main(["openapi", "nope", "--config", str(CONFIG_FILE)]) == 2
    assert capsys.readouterr().err == ("facade: openapi: no dialect 'nope' is served "
                                       "(have: api2, cloud_user, express, istatus, result)\n")
    assert main(["openapi", "express", "--config", str(CONFIG_FILE), "--out", str(tmp_path / "no" / "x.json")]) == 2
    assert capsys.readouterr().err == f"facade: openapi: No such file or directory: {tmp_path / 'no' / 'x.json'}\n"


@pytest.mark.parametrize("name", NAMES)
async def test_every_outcome_a_route_may_answer_has_its_example(admin, name):
    """One example per outcome the route declares it may answer (its operation's and the engine's),
    each the bytes failure_body renders for it: those met before a 'when' picks a route, at the
    dialect's level."""
    dialect = BY_NAME[name]
    document = await fetched(admin, name)
    for route in dialect.routes:
        for method, path in route.served():
            operation = document["paths"][openapi_path(path)][method.lower()]
            examples = {example_name: (status, example["value"]) for status, response in operation["responses"].items()
                        for media in response["content"].values() for example_name, example in media["examples"].items()}
            for outcome_id in route.raises:
                found = examples.get(f"{route.name}: {outcome_id}") or examples.get(outcome_id)
                assert found is not None, f"{route.label} {method} {path}: no example for {outcome_id}"
                shared = f"{route.name}: {outcome_id}" not in examples
                status, body, _ = dialect.failure_body(OUTCOMES[outcome_id], None if shared and route.conditions
                                                       else route, EXAMPLE_FACTS)
                assert found == (str(status), body), f"{route.label}: {outcome_id}"


@pytest.mark.parametrize("name", NAMES)
async def test_a_route_that_sets_a_cookie_documents_set_cookie_on_its_success(admin, name):
    """Clients that keep a session or a flow in a cookie learn it from the document: every route that
    issues or clears one says Set-Cookie, naming the cookie."""
    dialect = BY_NAME[name]
    document = await fetched(admin, name)
    session = dialect.session.cookie["name"] if dialect.session and dialect.session.cookie else None
    flow = dialect.flow_cookie["name"] if dialect.flow_cookie else None
    for route in dialect.routes:
        wanted = {n for n, sets in ((session, route.cookie), (flow, route.flow)) if n and sets}
        for method, path in route.served():
            operation = document["paths"][openapi_path(path)][method.lower()]
            said = " ".join(r.get("headers", {}).get("Set-Cookie", {}).get("description", "")
                            for r in operation["responses"].values())
            assert {n for n in filter(None, (session, flow)) if n in said} >= wanted, route.label
