"""Runs a dialect's cases against a server over HTTP and says, for each case, the first step that
answered otherwise: the field (status, a header, a JSON pointer in the body) and both values."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

from facade.contract.cases import ABSENT, Case, Step, Suite
from facade.contract.values import Unknown, fresh, resolve

MISSING = "<absent>"


class CodeOracle(Protocol):
    async def code(self, target: str) -> str:
        """The last code the server sent to ``target``."""


@dataclass(frozen=True)
class Difference:
    step: str
    where: str  # "status", "header Content-Type", "body /data/code", "body" (the text)
    expected: Any
    got: Any

    def line(self) -> str:
        return f"{self.step}: {self.where}: expected {self.expected!r}, got {self.got!r}"


@dataclass
class CaseResult:
    case: str
    seconds: float = 0.0
    differences: list[Difference] = field(default_factory=list)
    skipped: str | None = None  # why the case could not run against this target
    body: str = ""  # the differing answer's bytes, as text

    @property
    def passed(self) -> bool:
        return not self.differences and self.skipped is None


@dataclass(frozen=True)
class Target:
    base: str
    codes: CodeOracle | None = None
    app: dict[str, str] | None = None  # {"id": ..., "secret": ...}
    timeout: float = 30


async def run(suite: Suite, target: Target, only: set[str] | None = None) -> list[CaseResult]:
    results = []
    for case in suite.cases:
        if only is None or case.name in only:
            results.append(await run_case(case, target))
    return results


async def run_case(case: Case, target: Target) -> CaseResult:
    result = CaseResult(case.name)
    if "app" in case.needs and target.app is None:
        result.skipped = "needs an app id and secret (--app or --provision)"
        return result
    started = time.monotonic()
    variables: dict[str, Any] = {"fresh": fresh(), "app": target.app or {}}
    jar = aiohttp.CookieJar(unsafe=True)  # one client per case, keeping its cookies as a browser would
    timeout = aiohttp.ClientTimeout(total=target.timeout)
    async with aiohttp.ClientSession(base_url=target.base, cookie_jar=jar, timeout=timeout) as http:
        for step in case.steps:
            try:
                await _step(http, step, variables, target, result)
            except Unknown as name:
                result.differences.append(Difference(step.name, "case", f"a value for ${name}", MISSING))
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                result.differences.append(Difference(step.name, "connection", "an answer", type(error).__name__))
            if result.differences:
                break
    result.seconds = time.monotonic() - started
    return result


async def _step(http: aiohttp.ClientSession, step: Step, variables: dict[str, Any], target: Target,
                result: CaseResult) -> None:
    request = resolve(step.request, variables)
    async with http.request(request["method"], request["path"], params=request.get("query"),
                            data=_form(request), json=request.get("json"), headers=request.get("headers"),
                            allow_redirects=False) as response:
        raw = await response.read()
        headers = response.headers
        status = response.status
    text = raw.decode("utf-8", errors="replace")
    differences = _compare(step, status, headers, text, variables)
    if differences:
        result.differences += differences
        result.body = text
        return
    if step.capture:
        _capture(step, headers, text, variables)
    if step.learn_code is not None:
        if target.codes is None:
            raise Unknown("code (this case reads a sent code: give --codes)")
        variables["code"] = await target.codes.code(str(resolve(step.learn_code, variables)))


def _form(request: dict[str, Any]) -> Any:
    form = request.get("form")
    if form is None:
        return request.get("raw")
    return {key: "" if value is None else str(value) for key, value in form.items()}


def _compare(step: Step, status: int, headers: Any, text: str, variables: dict[str, Any]) -> list[Difference]:
    found = []
    if status != step.status:
        found.append(Difference(step.name, "status", step.status, status))
    for name, expected in resolve(step.headers, variables).items():
        if headers.get(name, MISSING) != expected:
            found.append(Difference(step.name, f"header {name}", expected, headers.get(name, MISSING)))
    if step.text is not None and text != resolve(step.text, variables):
        found.append(Difference(step.name, "body", resolve(step.text, variables), text))
    if step.body is not ABSENT:
        found += _compare_json(step, resolve(step.body, variables), text)
    return found


def _compare_json(step: Step, expected: Any, text: str) -> list[Difference]:
    try:
        got = json.loads(text)
    except ValueError:
        return [Difference(step.name, "body", json.dumps(expected, ensure_ascii=False), text)]
    found = []
    for pointer in step.volatile:  # present, whatever its value
        if _at(got, pointer) is MISSING:
            found.append(Difference(step.name, f"body {pointer}", "a value (volatile)", MISSING))
    _diff(step, expected, got, "", set(step.volatile), found)
    return found


def _diff(step: Step, expected: Any, got: Any, pointer: str, volatile: set[str], found: list[Difference]) -> None:
    if pointer in volatile:
        return
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in [*expected, *(k for k in got if k not in expected)]:
            here = f"{pointer}/{_escape(key)}"
            if key not in expected or key not in got:
                if here not in volatile:
                    found.append(Difference(step.name, f"body {here}", expected.get(key, MISSING),
                                            got.get(key, MISSING)))
                continue
            _diff(step, expected[key], got[key], here, volatile, found)
        return
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        for i, (want, have) in enumerate(zip(expected, got, strict=True)):
            _diff(step, want, have, f"{pointer}/{i}", volatile, found)
        return
    if expected != got or type(expected) is not type(got):  # 1 and true, 0 and false differ on the wire
        found.append(Difference(step.name, f"body {pointer or '/'}", expected, got))


def _capture(step: Step, headers: Any, text: str, variables: dict[str, Any]) -> None:
    body = json.loads(text) if any(not source.startswith("header:") for source in step.capture.values()) else None
    for name, source in step.capture.items():
        variables[name] = headers.get(source[len("header:"):]) if source.startswith("header:") else _at(body, source)


def _at(document: Any, pointer: str) -> Any:
    """RFC 6901."""
    value = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return MISSING
    return value


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")
