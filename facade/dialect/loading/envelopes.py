"""What every answer of the dialect looks like, its JSON style and its two envelopes."""
from __future__ import annotations

from typing import Any

from facade.dialect.declarations import Envelope, JsonStyle
from facade.dialect.templates import check_refs, compile_template

SEPARATORS = {"compact": (",", ":"), "spaced": (", ", ": ")}


def json_style(raw: dict[str, Any]) -> JsonStyle:
    return JsonStyle(SEPARATORS[raw["separators"]], raw["ascii"], raw["content_type"])


def check_charset(content_type: str) -> None:
    """The engine writes UTF-8: a content type that names another charset would lie to every client."""
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ValueError(f"json.content_type: charset {value.strip()} (answers are UTF-8; say utf-8 or none)")


def envelope(raw: dict[str, Any], which: str, settings: dict[str, Any]) -> Envelope:
    slots = raw.get("slots", {})
    body = compile_template(raw["body"], settings)
    known = set(slots) | ({"data"} if which == "success" else set())
    check_refs(body, lambda path: len(path) == 1 and path[0] in known)
    if "status" in slots:
        raise ValueError(f"envelope.{which}: 'status' is not a slot; set envelope.{which}.status")
    return Envelope(raw["status"], slots, body)


def check_slots(entry: dict[str, Any], envelope: Envelope, where: str) -> None:
    unknown = set(entry) - set(envelope.slots) - {"status"}
    if unknown:
        raise ValueError(f"{where}: {', '.join(sorted(unknown))} not among the envelope's slots "
                         f"({', '.join(envelope.slots) or 'none'})")
