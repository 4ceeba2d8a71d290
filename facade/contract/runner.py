"""Runs a dialect's cases against a server over HTTP and says, for each case, the first step that
answered otherwise: the field (status, a header, a JSON pointer in the body) and both values."""
from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import aiohttp

from facade.contract.cases import ABSENT, Case, Step, Suite
from facade.contract.values import Unknown, fresh, resolve
from facade.wire import compare, volatile
from facade.wire.compare import MISSING


class CodeOracle(Protocol):
    async def code(self, target: str) -> str:
        """The last code the server sent to ``target``."""


class CodeExpiry(Protocol):
    async def expire(self, target: str) -> None:
        """Makes the codes the server sent to ``target`` expire, as if their time had passed."""


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
    # Where the server can say which route and outcome gave its last answer (a facade run in the same
    # process): each step's claim is checked against it, so a case cannot prove an outcome it never met.
    answered: Callable[[], tuple[str, str]] | None = None
    expiry: CodeExpiry | None = None


# What a case may need of a target beyond HTTP, how to tell the target has it, and how to give it.
NEEDS: dict[str, tuple[Callable[[Target], bool], str]] = {
    "app": (lambda target: target.app is not None, "an app id and secret (--app or --provision)"),
    "expire_codes": (lambda target: target.expiry is not None, "a way to make codes expire (--expire-codes CMD)"),
    "undeliverable": (lambda target: hasattr(target.codes, "undeliverable"),
                      "a number the target cannot deliver a code to (--codes sink:HOST:PORT)"),
}


async def run(suite: Suite, target: Target, only: set[str] | None = None) -> list[CaseResult]:
    results = []
    for case in suite.cases:
        if only is None or case.name in only:
            results.append(await run_case(case, target))
    return results


async def run_case(case: Case, target: Target) -> CaseResult:
    result = CaseResult(case.name)
    lacking = [NEEDS[need][1] for need in case.needs if not NEEDS[need][0](target)]
    if lacking:
        result.skipped = "needs " + " and ".join(lacking)
        return result
    started = time.monotonic()
    variables: dict[str, Any] = {"fresh": fresh(), "app": target.app or {}}
    if "undeliverable" in case.needs:
        variables["undeliverable"] = target.codes.undeliverable()  # type: ignore[union-attr]
    # one client per case, keeping its cookies as a browser would, unless the case's client keeps none
    jar = aiohttp.CookieJar(unsafe=True) if case.cookies else aiohttp.DummyCookieJar()
    timeout = aiohttp.ClientTimeout(total=target.timeout)
    async with aiohttp.ClientSession(base_url=target.base, cookie_jar=jar, timeout=timeout) as http:
        for step, index in ((each, n) for each in case.steps for n in range(1, each.repeat + 1)):
            variables["index"] = index  # which sending of a repeated step this is, from 1
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
    if target.answered is not None:
        differences += _claim(step, target.answered())
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
    if step.expire_codes is not None and target.expiry is not None:
        await target.expiry.expire(str(resolve(step.expire_codes, variables)))


def _claim(step: Step, answered: tuple[str, str]) -> list[Difference]:
    if answered == (step.route, step.outcome):
        return []
    return [Difference(step.name, "route and outcome", f"{step.route} {step.outcome}", " ".join(answered))]


def _form(request: dict[str, Any]) -> Any:
    if "multipart" in request:
        return _multipart(request["multipart"])
    form = request.get("form")
    if form is None:
        return request.get("raw")
    return {key: "" if value is None else str(value) for key, value in form.items()}


def _multipart(fields: dict[str, Any]) -> aiohttp.FormData:
    """A text field is a string; a file is {filename, content_type, and its bytes as base64 or text}."""
    form = aiohttp.FormData(default_to_multipart=True)  # multipart even with text fields only
    for name, value in fields.items():
        if not isinstance(value, dict):
            form.add_field(name, "" if value is None else str(value))
            continue
        data = base64.b64decode(value["base64"]) if "base64" in value else value.get("text", "").encode("utf-8")
        form.add_field(name, data, filename=value.get("filename"),
                       content_type=value.get("content_type", "application/octet-stream"))
    return form


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
    return [Difference(step.name, f"body {d.pointer}", d.left, d.right)
            for d in compare.differences(expected, got, volatile.pointers(declared=step.volatile))]


def _capture(step: Step, headers: Any, text: str, variables: dict[str, Any]) -> None:
    body = json.loads(text) if any(not source.startswith("header:") for source in step.capture.values()) else None
    for name, source in step.capture.items():
        variables[name] = (headers.get(source[len("header:"):]) if source.startswith("header:")
                           else compare.at(body, source))
