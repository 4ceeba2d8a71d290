"""What a shadow comparison keeps of one differing pair: each difference's two values, and the pair
whole (the request, both answers). Every value goes through one Redaction made for that pair from
its route's Rules and the secrets the pair holds (facade/wire/redact.py): nothing is kept raw."""
from __future__ import annotations

import time
from typing import Any, Iterator
from urllib.parse import parse_qsl

from facade.upstream.client import Answer, Call
from facade.upstream.compare import Difference, Served, parsed
from facade.wire.compare import MISSING, VOLATILE
from facade.wire.redact import Redaction, Rules

SHOWN_BYTES = 2048  # of a body that is no JSON
BODY = "body"  # a difference's place: "body" (not JSON on both sides) or "body <JSON pointer>"
REQUEST_ID = "X-Request-Id"
NOT_SHOWN = ("x-forwarded-for", REQUEST_ID.lower())  # the client's address: no diagnosis needs it; the id: above
FORM = "application/x-www-form-urlencoded"


def redaction(rules: Rules, served: Served, answer: Answer | None) -> Redaction:
    documents = [parsed(served.body), parsed(answer.body) if answer is not None else None, _json(served.call)]
    return Redaction.of(rules, [d for d in documents if d is not None], _named(served.call))


def example(redaction: Redaction, difference: Difference) -> tuple[Any, Any]:
    """A difference's two values as they may be shown, each redacted at its place in the answer."""
    where = difference.where
    if where == BODY:
        return redaction.text(difference.facade), redaction.text(difference.legacy)
    pointer = where[len(BODY) + 1:] if where.startswith(BODY + " /") else None
    pointer = "" if pointer == "/" else pointer  # the comparison names a whole document "/"
    return tuple(value if value in (MISSING, VOLATILE) else redaction.value(value, pointer)
                 for value in (difference.facade, difference.legacy))


def pair(redaction: Redaction, served: Served, answer: Answer, found: list[Difference]) -> dict[str, Any]:
    return {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "route": served.route,
            "request_id": served.call.headers.get(REQUEST_ID, ""),  # a random id, to find its log lines
            "outcome": served.outcome, "request": _request(redaction, served.call),
            "facade": _answer(redaction, served.status, served.content_type, served.body),
            "legacy": _answer(redaction, answer.status, answer.content_type, answer.body),
            "differences": [dict(zip(("where", "facade", "legacy"), (d.where, *example(redaction, d))))
                            for d in found]}


def _request(redaction: Redaction, call: Call) -> dict[str, Any]:
    path, _, query = call.path_qs.partition("?")
    shown: dict[str, Any] = {"method": call.method, "path": redaction.text(path)}
    if query:
        shown["query"] = redaction.pairs(parse_qsl(query, keep_blank_values=True))
    shown["headers"] = redaction.pairs((k, v) for k, v in call.headers.items() if k.lower() not in NOT_SHOWN)
    shown["body"] = _body(redaction, call)
    return shown


def _body(redaction: Redaction, call: Call) -> Any:
    if not call.body:
        return None
    kind = _kind(call)
    if kind == FORM:
        return redaction.pairs(_form(call))
    value = _json(call)
    if value is not None:
        return redaction.value(value, None)
    return f"<{len(call.body)} bytes of {kind or 'no stated type'}>"  # multipart, text: not shown


def _answer(redaction: Redaction, status: int, content_type: str, raw: bytes) -> dict[str, Any]:
    value = parsed(raw)
    if value is None:
        text = raw[:SHOWN_BYTES].decode("utf-8", errors="replace")
        body: Any = redaction.text(text) + ("…" if len(raw) > SHOWN_BYTES else "")
    else:
        body = redaction.value(value)
    return {"status": status, "content_type": content_type, "body": body}


def _named(call: Call) -> Iterator[tuple[str, str]]:
    """Every (name, value) the request carries: query, form, headers, cookies."""
    yield from parse_qsl(call.path_qs.partition("?")[2], keep_blank_values=True)
    yield from _form(call) if _kind(call) == FORM else ()
    yield from call.headers.items()
    for header in call.headers.getall("Cookie", ()):
        for crumb in header.split(";"):
            name, _, value = crumb.strip().partition("=")
            yield name, value


def _form(call: Call) -> list[tuple[str, str]]:
    return parse_qsl(call.body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _json(call: Call) -> Any:
    value = parsed(call.body)
    return value if isinstance(value, (dict, list)) else None


def _kind(call: Call) -> str:
    return call.headers.get("Content-Type", "").split(";")[0].strip().lower()
