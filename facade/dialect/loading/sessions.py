"""Who a request comes from, the session that carries a user, the ids it names, the app."""
from __future__ import annotations

from typing import Any

from facade.dialect.declarations import AppCredentials, Carrier, IdSpec
from facade.dialect.loading.one_or_many import as_tuple

TEXT_IDS = ("public_id", "phone")  # ids derived from text: no integer holds a public id or "+86 138…"


def id_spec(dialect: str, name: str, raw: dict[str, Any]) -> IdSpec:
    if raw["type"] == "integer" and raw["from"] in TEXT_IDS:
        raise ValueError(f"ids.{name}: {raw['from']} is text, so type integer would fail on every answer")
    return IdSpec(f"{dialect}.{name}", raw["from"], raw["type"], raw.get("description", ""))


def app(raw: dict[str, Any] | None, reads: tuple[str, ...]) -> AppCredentials | None:
    if raw is None:
        return None
    where = {part: (raw[part]["name"], as_tuple(raw[part].get("in", reads))) for part in ("id", "secret")}
    return AppCredentials(**where, description=raw.get("description", ""))


def carrier(session: dict[str, Any] | None, id_specs: dict[str, IdSpec],
            cookie: dict[str, Any] | None) -> Carrier | None:
    if session is None:
        if cookie is not None:
            raise ValueError("extensions.session_cookie: the mapping declares no 'session' for it to carry")
        return None
    audience = session.get("audience")
    if audience is not None and audience not in id_specs:
        raise ValueError(f"session.audience: {audience!r} is not among the mapping's ids "
                         f"({', '.join(id_specs) or 'none'})")
    if (audience is None) != (session["token"] != "jwt_hs256"):
        raise ValueError("session.audience: a jwt_hs256 token names its holder by one of the mapping's ids, "
                         "and no other token does")
    return Carrier(tuple((c["in"], c["name"]) for c in session["carrier"]), session["token"], cookie,
                   id_specs.get(audience), session.get("description", ""))
