"""One shadowed request: the facade's answer against the legacy server's. Status, content type and
body are compared; JSON bodies structurally (facade/wire/compare.py), the route's volatile values
(tokens, ids, expiry: facade/wire/volatile.py) for presence only, other bodies byte for byte. A success against a failure is
named as such, whatever the status says (a 200 with a failure code is a failure)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from facade.upstream.answers import Reading
from facade.upstream.client import Answer, Call
from facade.wire import compare as wire

SUCCESS, FAILURE = "success", "failure"


@dataclass(frozen=True)
class Served:
    """What the facade answered one shadowed request."""
    route: str
    outcome: str  # the outcome id the facade answered ("ok": success)
    call: Call
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Difference:
    where: str  # "status", "content type", "outcome", "body /userMsg", "body" (not JSON on both sides)
    facade: Any
    legacy: Any


def compare(served: Served, answer: Answer, reading: Reading) -> list[Difference]:
    found = []
    if served.status != answer.status:
        found.append(Difference("status", served.status, answer.status))
    if served.content_type != answer.content_type:
        found.append(Difference("content type", served.content_type, answer.content_type))
    ours, theirs = parsed(served.body), parsed(answer.body)
    if ours is None or theirs is None:
        if served.body != answer.body:
            found.append(Difference("body", _text(served.body), _text(answer.body)))
        return found
    kinds = (_kind(reading, served.status, ours), _kind(reading, answer.status, theirs))
    if kinds[0] != kinds[1]:
        found.append(Difference("outcome", *kinds))
    found += [Difference(f"body {d.pointer}", d.left, d.right) for d in wire.differences(ours, theirs, reading.volatile)]
    return found


def parsed(raw: bytes) -> Any:
    """The JSON in ``raw``, or None when it holds none (an empty body, HTML, garbage)."""
    try:
        return json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _kind(reading: Reading, status: int, body: Any) -> str:
    return SUCCESS if reading.succeeded(status, body) else FAILURE


def _text(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"
