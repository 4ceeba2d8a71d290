"""One legacy row as an account to import, checked by the core's own rules:
identifiers normalised, profile fields within their limits, the password
hash in its scheme's shape. A row that breaks a rule is rejected with the
reason, never half-imported."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from facade.core import identifiers, ids, profile
from facade.core.outcomes import Outcome
from facade.core.ports import Identifier, NewAccount
from facade.importing.description import Users
from facade.importing.values import Row

_TRUE, _FALSE = {"true", "1", "yes", "y", "t"}, {"false", "0", "no", "n", "f", ""}
PROFILE_FIELDS = ("nickname", "gender", "birthday", "extra", "contact_email")
MS_THRESHOLD = 10**11  # epoch values above this are milliseconds (year 5138 in seconds)

JS_SAFE = 2 ** 53 - 1  # the largest integer a JSON number keeps exactly in JavaScript (and Gson's double)


class RowError(Exception):
    """Why a row is not imported; never holds a password or a hash."""


@dataclass
class Candidate:
    line: int
    account: NewAccount
    identifiers: list[Identifier]
    proven: set[str] = field(default_factory=set)  # identifier kinds the legacy system proved by a code
    id_floors: dict[str, int] = field(default_factory=dict)  # namespace -> the core id its imported id sits at


def candidate(users: Users, line: int, row: Row, run: str, now: float) -> Candidate:
    try:
        return _candidate(users, line, row, run, now)
    except Outcome as outcome:
        raise RowError(outcome.detail or outcome.id) from None
    except ValueError as error:
        raise RowError(str(error)) from None


def _candidate(users: Users, line: int, row: Row, run: str, now: float) -> Candidate:
    given = {name: value.of(row) for name, value in users.fields.items()}
    username = _text(given.get("username"), "username")
    display = identifiers.username(username) if username else None
    claimed = [Identifier("username", identifiers.username_key(display))] if display else []
    phone, email = _text(given.get("phone"), "phone"), _text(given.get("email"), "email")
    claimed += [Identifier("phone", identifiers.phone(phone))] if phone else []
    claimed += [Identifier("email", identifiers.email(email))] if email else []
    if not claimed:
        raise RowError("no username, phone or e-mail address")
    about = _profile(given, now)
    legacy, floors = _legacy_ids(users, row)
    by_kind = {i.kind: i.value for i in claimed}
    proven = {kind for kind, value in users.verified.items() if by_kind.get(kind) and _flag(value.of(row), kind)}
    created = _time(given.get("created_at"), now)
    account = NewAccount(
        public_id=ids.new_public_id(), username=display, username_key=by_kind.get("username"), phone=by_kind.get("phone"),
        email=by_kind.get("email"), password_hash=_password(users, row), avatar=None, created_at=created,
        phone_verified_at=now if "phone" in proven else None, email_verified_at=now if "email" in proven else None,
        legacy_ids=legacy, imported_by=run, imported_line=line,
        **{name: about.get(name) for name in PROFILE_FIELDS})
    return Candidate(line, account, claimed, proven, floors)


def _profile(given: dict[str, Any], now: float) -> dict[str, Any]:
    if all(given.get(name) is None for name in PROFILE_FIELDS):
        return {}
    values = {name: _text(given.get(name), name) for name in ("nickname", "extra", "contact_email")}
    values["gender"] = _number(given.get("gender"), "gender")
    values["birthday"] = _millis(given.get("birthday"))
    return profile.fields(now, **values)


def _legacy_ids(users: Users, row: Row) -> tuple[dict[str, str], dict[str, int]]:
    """namespace -> id, and for ids derived from the core's id, the core id each one sits at."""
    legacy, floors = {}, {}
    for name, (spec, value) in users.ids.items():
        text = _text(value.of(row), f"ids.{name}")
        if text is None:
            continue
        if spec.type == "integer" or spec.rule in ("id", "gid"):
            if not text.isdigit() or len(text) > 18 or int(text) == 0:
                raise RowError(f"ids.{name}: not a positive integer")
            if int(text) > JS_SAFE:
                raise RowError(f"ids.{name}: above {JS_SAFE}, beyond what a JavaScript client reads exactly")
            text = str(int(text))
        if spec.rule == "public_id" and len(text) > 64:
            raise RowError(f"ids.{name}: longer than 64 characters")
        legacy[spec.namespace] = text
        if spec.rule in ("id", "gid"):
            floors[spec.namespace] = int(text) - (ids.GID_BASE if spec.rule == "gid" else 0)
    return legacy, floors


def _password(users: Users, row: Row) -> str:
    spec = {key: value if key == "scheme" else
            {name: part.of(row) for name, part in value.items()} if isinstance(value, dict) else value.of(row)
            for key, value in users.password.items()}
    if "value" in spec and spec["value"] is None:
        raise RowError("password: empty")
    try:
        return users.hashed(spec)
    except ValueError as error:
        raise RowError(f"password: {error}") from None


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    raise RowError(f"{name}: not text")


def _number(value: Any, name: str) -> int | None:
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value, name).strip()
    if not text.lstrip("-").isdigit():
        raise RowError(f"{name}: not a whole number")
    return int(text)


def _millis(value: Any) -> int | None:
    """Epoch milliseconds, or a date at UTC midnight."""
    if value is None:
        return None
    text = _text(value, "birthday").strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        raise RowError("birthday: not epoch milliseconds or YYYY-MM-DD") from None
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)


def _time(value: Any, now: float) -> float:
    """Epoch seconds or milliseconds, or an ISO date and time (UTC when it names no zone)."""
    if value is None:
        return now
    text = _text(value, "created_at").strip()
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        seconds = number / 1000 if number > MS_THRESHOLD else number
        if not 0 <= seconds <= now + 86400:  # NaN fails this too
            raise RowError("created_at: not a time between 1970 and now")
        return seconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowError("created_at: not an epoch time or an ISO date") from None
    seconds = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    if not 0 <= seconds <= now + 86400:
        raise RowError("created_at: not a time between 1970 and now")
    return seconds


def _flag(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise RowError(f"verified.{kind}: not true or false")
