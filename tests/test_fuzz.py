"""Schemathesis against every dialect's OpenAPI document, served by a real server process.

Every operation gets a bounded number of generated requests, schema-following and
schema-breaking alike, with a fixed seed. Every answer must be one the document
shows (status, content type, headers, body schema), none may be a server error:
neither a 5xx nor the dialect's internal-error answer, which these APIs send as
HTTP 200 in their failure envelope. And a refused request, which is also
usually HTTP 200, must have written nothing. Which answers are refusals the
server itself says: its access line names the outcome of every request, by
the request id the answer carries, and the body must then be exactly the
dialect's bytes for that outcome.

Half the requests carry credentials that work (an app pair, a fresh session of a
user made for the run), so fuzzing gets past the checks a stranger stops at.
FACADE_FUZZ_EXAMPLES raises the number of examples per operation and mode.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from facade import config as configuration
from facade.app import core_of, load_config_dialects
from facade.core.outcomes import OUTCOMES, CodeInvalid
from facade.core.passwords import PasswordHasher
from facade.dialect.declarations import Dialect
from facade.dialect.tokens import codecs
from facade.notify.outbox import Outbox
from facade.store import open_store
from tests.conftest import CONFIG_FILE
from tests.rows import SqliteRows
from tests.servers import Served

DIALECTS = load_config_dialects(configuration.load(str(CONFIG_FILE)))
EXAMPLES = int(os.environ.get("FACADE_FUZZ_EXAMPLES", "10"))  # per operation and generation mode
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
               response_schema_conformance]
ALWAYS_WRITTEN = ("throttles",)  # a refused login rightly counts against the account and the client
WRITTEN_WHEN = {o.id: ("codes",) for o in OUTCOMES.values() if issubclass(o, CodeInvalid)}  # a wrong try counts
PASSWORD = "fuzz1234"


class ServerLog:
    """The server's JSON log lines, read as they come: the access line of a request, by its id."""

    def __init__(self, server: Served) -> None:
        self.server = server
        self.seen = 0
        self.lines: dict[str, list[dict[str, Any]]] = {}

    def _read(self) -> None:
        text = self.server.printed()
        *whole, _ = text[self.seen:].split("\n")  # the last piece is half written, or empty
        for raw in whole:  # lines end with \n alone: a message may hold U+2028 or \x85, which are no line end here
            self.seen += len(raw) + 1
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            self.lines.setdefault(line.get("request_id", "-"), []).append(line)

    def access(self, request_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The access line for a request, and every line it caused; the line is written just after the
        answer is sent, so it may be a moment behind it."""
        deadline = time.monotonic() + 5
        while True:
            self._read()
            lines = self.lines.get(request_id, [])
            found = [line for line in lines if "outcome" in line]
            if found:
                return found[0], lines
            assert time.monotonic() < deadline, f"no access line for request {request_id}"
            time.sleep(0.01)


@dataclass
class Fuzzing:
    dialect: Dialect
    server: Served
    rows: SqliteRows
    log: ServerLog
    keys: "Keys"
    http: requests.Session = field(default_factory=requests.Session)
    requests: int = 0
    refused: int = 0
    failures: list[str] = field(default_factory=list)

    def run(self, case: Any) -> None:
        credentials = self.keys.credentials() if self.requests % 2 else {}
        before = self.rows.snapshot()
        response = case.call(base_url=self.server.base, session=self.http, **credentials)
        self.requests += 1
        case.validate_response(response, checks=[*CONFORMANCE, self.refusal_check(before)])

    def refusal_check(self, before: dict[str, Any]):
        def refusals_are_the_dialects_and_write_nothing(ctx: Any, response: Any, case: Any) -> None:
            line, lines = self.log.access(response.headers["x-request-id"][0])  # lower-case names, list values
            outcome = line["outcome"]
            if outcome == "internal":
                trace = next((x.get("traceback", "") for x in lines if x.get("level") == "ERROR"), "")
                raise AssertionError(f"the dialect's internal-error answer (a server fault):\n{trace}")
            if outcome == "ok" or line["dialect"] == "-":
                return  # a success, or a file the dialect's static folder serves (a plain 404 when absent)
            self.refused += 1
            route = next((r for r in self.dialect.routes if r.name == line["route"]), None)
            status, body, _ = self.dialect.failure_body(OUTCOMES[outcome], route)
            expected = (status, self.dialect.style.encode(body))
            assert (response.status_code, response.content) == expected, f"refused as {outcome}"
            unchanged = (*ALWAYS_WRITTEN, *WRITTEN_WHEN.get(outcome, ()))
            assert _without(self.rows.snapshot(), unchanged) == _without(before, unchanged), \
                f"refused as {outcome}, yet the store changed"
        return refusals_are_the_dialects_and_write_nothing

    def operation(self, operation: Any, mode: GenerationMode) -> None:
        @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=False,
                  phases=[Phase.explicit, Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            self.run(case)
        try:
            fuzz()
        except Unsatisfiable:
            pass  # nothing breaks this operation's schema on the wire (a lone path name): no negative case
        except (Exception, BaseExceptionGroup) as error:  # Schemathesis's FailureGroup is a BaseExceptionGroup
            self.failures.append(f"{operation.label} ({mode.value}): {error}")


def _without(snapshot: dict[str, Any], tables: tuple[str, ...]) -> dict[str, Any]:
    return {name: rows for name, rows in snapshot.items() if name not in tables}


class Keys:
    """Credentials that work, made through the core on the server's own store: the dialect's app pair,
    and a fresh session (of a user made for the run) for each operation fuzzed."""

    def __init__(self, dialect: Dialect, config: configuration.Config, outbox: Path) -> None:
        self.dialect = dialect
        self.config = config
        self.outbox = outbox
        self.app: tuple[str, str] | None = None
        self.token: str | None = None

    async def _core(self, work):
        store = await open_store(self.config["storage.url"])
        try:
            return await work(core_of(self.config, store, PasswordHasher(4), Outbox(self.outbox)), store)
        finally:
            await store.close()

    def prepare(self) -> None:
        async def made(core, store):
            if self.dialect.app is not None:
                app = await core.apps.add("fuzzing")
                self.app = (app.app_id, app.app_secret)
            await core.register(username=f"fuzz{self.dialect.name.replace('_', '')}", password=PASSWORD)
        asyncio.run(self._core(made))

    def renew(self) -> None:
        if self.dialect.session is None:
            return

        async def logged_in(core, store):
            login = await core.login(identifier=f"fuzz{self.dialect.name.replace('_', '')}", password=PASSWORD,
                                     origin=self.dialect.name, app=self.app[0] if self.app else None)
            async with store.write() as work:
                key = await work.settings.keep("jwt_secret", "")
            return codecs([self.dialect], key, {})[self.dialect.name].encode(login)
        self.token = asyncio.run(self._core(logged_in))

    def credentials(self) -> dict[str, Any]:
        """As the request's headers, query or cookies: the first place each may travel that is one of those."""
        given: dict[str, dict[str, str]] = {"headers": {}, "params": {}, "cookies": {}}
        places = {"header": "headers", "query": "params", "cookie": "cookies"}
        if self.app is not None:
            for (name, sources), value in zip((self.dialect.app.id, self.dialect.app.secret), self.app, strict=True):
                where = next(s for s in sources if s in places)
                given[places[where]][name] = value
        if self.token is not None:
            source, name = next((s, n) for s, n in self.dialect.session.places if s in places)
            given[places[source]][name] = self.token
        return {k: v for k, v in given.items() if v}


@pytest.mark.parametrize("dialect", DIALECTS, ids=[d.name for d in DIALECTS])
def test_fuzzing_the_document_finds_no_fault(tmp_path, dialect, record_property):
    database, outbox = tmp_path / "f.db", tmp_path / "outbox.jsonl"
    sets = (f"storage.url=sqlite:///{database}", "security.bcrypt_rounds=4", f"notify.outbox={outbox}",
            "logging.format=json", "logging.level=INFO")
    config = configuration.load(str(CONFIG_FILE), list(sets))
    server = Served(*sets, cwd=tmp_path)
    try:
        asyncio.run(server.healthy())
        keys = Keys(dialect, config, outbox)
        keys.prepare()
        fuzzing = Fuzzing(dialect, server, SqliteRows(database), ServerLog(server), keys)
        schema = schemathesis.openapi.from_url(f"{server.admin}/_facade/openapi/{dialect.name}.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == len({s for r in dialect.routes for s in r.served()}) + len(dialect.static)
        for operation in operations:
            keys.renew()  # an operation before may have ended the session (a logout, a password reset)
            for mode in MODES:
                fuzzing.operation(operation, mode)
    finally:
        server.stop()
    record_property("requests", fuzzing.requests)
    print(f"\n{dialect.name}: {fuzzing.requests} requests over {len(operations)} operations, "
          f"{fuzzing.refused} refused, {len(fuzzing.failures)} failures")
    assert fuzzing.failures == [], "\n\n".join(fuzzing.failures)
    assert fuzzing.refused > 0 and fuzzing.refused < fuzzing.requests  # it got both answers, so it can fail
