"""The unified user core: no HTTP, no YAML, no dialect names."""
from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import string
import time
from pathlib import Path
from typing import Any, Callable, Literal

from facade.core import identifiers, images, profile
from facade.core.apps import Apps
from facade.core.flows import Flows
from facade.core.codes import DEFAULT_POLICY, CodePolicy, Codes, Notifier, Purpose, SendPurpose
from facade.core.models import (CodeSent, ConfigValue, LoggedIn, Profile, Registered, Session, StoredFile,
                                User)
from facade.core.operations import operation
from facade.core.outcomes import (TAKEN, ConfigFull, InvalidInput, InvalidParameter, MissingParameter, NoSuchUser,
                                  PasswordMismatch, TokenInvalid, WeakPassword, WrongPassword)
from facade.core.passwords import PasswordHasher
from facade.store import Conflict, Store

DEVICE_MAX = 4096    # characters of a device key or its description kept with a session
PASSWORD_MAX = 1024  # beyond any real password; bounds the work one request can ask for
PASSWORD_MIN = 8     # for the 'letters_and_digits' rule
DECODERS = 2         # images decoded at once, in threads: a small file may take a third of a second
GID_BASE = 100000    # gid = GID_BASE + id: sequential from 100001 with no second counter to keep
PUBLIC_ID_TRIES = 3  # 26**16 ids: a clash is a freak, but it must not fail a registration
_COLUMN_FIELD = {"username_key": "username", "phone": "phone", "email": "email"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: dict[str, Any]) -> User:
    derived = {"gid": GID_BASE + row["id"], "passport": row["phone"] or row["email"]}
    return User(**derived, **{k: row[k] for k in User.__dataclass_fields__ if k not in derived})


def _public_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))


def _session(row: dict[str, Any]) -> Session:
    return Session(**{k: row[k] for k in Session.__dataclass_fields__})


class UserCore:
    def __init__(self, store: Store, hasher: PasswordHasher, *, session_ttl: int, session_ttl_max: int,
                 notifier: Notifier, files: Path, code_policy: CodePolicy = DEFAULT_POLICY,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._hasher = hasher
        self._codes = Codes(store, notifier, code_policy, clock)
        self._ttl = session_ttl
        self._ttl_max = session_ttl_max
        self._clock = clock
        self.apps = Apps(store, clock)
        self.flows = Flows(store, clock)
        self.avatars = files / images.AVATARS
        self._decoding = asyncio.Semaphore(DECODERS)

    @operation
    async def register(self, *, password: str, username: str | None = None,
                       phone: str | None = None, email: str | None = None, contact: str | None = None,
                       password_confirmation: str | None = None, nickname: str | None = None,
                       gender: int | None = None, birthday: int | None = None, extra: str | None = None,
                       contact_email: str | None = None, avatar: str | None = None, code: str | None = None,
                       password_rule: Literal["any", "letters_and_digits"] = "any", origin: str = "") -> Registered:
        """Checks run in a fixed order (identifiers' shape, then whether each is
        taken, then the password, the profile, then the code: a refused request
        spends no try), which is the order the legacy servers used. ``contact``
        is a phone or an e-mail address told apart by its shape. With ``code``,
        the phone (or else the e-mail address) must have been sent it for 'register'."""
        if contact is not None:
            _, column, value = identifiers.contact(contact)
            phone, email = (value, email) if column == "phone" else (phone, value)
        ids = self._identifiers(username=username, phone=phone, email=email)
        for key, value in ids.items():
            if await self._store.find_user(key, value):
                raise TAKEN[_COLUMN_FIELD[key]](key)
        if password_confirmation is not None and password_confirmation != password:
            raise PasswordMismatch()
        _check_password(password, password_rule)
        if avatar is not None and not (self.avatars / _avatar_name(avatar)).is_file():
            raise InvalidParameter("no such avatar")
        now = self._clock()
        about = profile.fields(now, nickname=nickname, gender=gender, birthday=birthday, extra=extra,
                               contact_email=contact_email)
        if code is not None:
            await self._codes.check(_code_target(ids), "register", code, origin)
        values = {**ids, **about, "avatar": avatar, "username": identifiers.username(username) if username else None,
                  "password_hash": await self._hasher.hash(password), "created_at": now, "updated_at": now}
        return Registered(user=_user(await self._insert_user(values)))

    async def _insert_user(self, values: dict[str, Any]) -> dict[str, Any]:
        for _ in range(PUBLIC_ID_TRIES):
            try:
                return await self._store.insert_user({**values, "public_id": _public_id()})
            except Conflict as taken:
                if taken.field != "public_id":  # lost a race with a concurrent registration
                    raise TAKEN[_COLUMN_FIELD[taken.field]](taken.field) from None
        raise RuntimeError("no free public id after %d tries" % PUBLIC_ID_TRIES)

    @staticmethod
    def _identifiers(**given: str | None) -> dict[str, str]:
        if not any(given.values()):
            raise MissingParameter("username, phone or email")
        ids = {}
        if given["phone"]:
            ids["phone"] = identifiers.phone(given["phone"])
        if given["email"]:
            ids["email"] = identifiers.email(given["email"])
        if given["username"]:
            ids = {"username_key": identifiers.username_key(identifiers.username(given["username"])), **ids}
        return ids

    @operation
    async def login(self, *, identifier: str, password: str, ttl: int | None = None,
                    origin: str = "", app: str | None = None, device_key: str | None = None,
                    device_info: dict[str, Any] | None = None) -> LoggedIn:
        """``device_key`` and ``device_info`` are kept with the session, for clients that name their device."""
        lifetime = self._lifetime(ttl)
        row = await self._find_by_identifier(identifier)
        if row is None:
            await self._hasher.waste_time(password)
            raise NoSuchUser()
        if not await self._hasher.verify(password, row["password_hash"]):
            raise WrongPassword()
        device = {"device_key": _bounded(device_key, DEVICE_MAX, "device key"),
                  "device_info": _bounded(device_info and json.dumps(device_info, ensure_ascii=False),
                                          DEVICE_MAX, "device info")}
        return await self._open_session(row, lifetime, origin, app, device)

    @operation
    async def login_by_code(self, *, target: str, code: str, ttl: int | None = None,
                            origin: str = "", app: str | None = None) -> LoggedIn:
        lifetime = self._lifetime(ttl)
        row, value = await self._holder(target)
        await self._codes.check(value, "login", code, origin)
        return await self._open_session(row, lifetime, origin, app)

    @operation
    async def reset_password(self, *, target: str, code: str, password: str, origin: str = "") -> None:
        """Sets a new password and ends every session of that user, wherever it was opened."""
        row, value = await self._holder(target)
        _check_password(password)
        await self._codes.check(value, "reset_password", code, origin)
        now = self._clock()
        await self._store.update_user(row["id"], {"password_hash": await self._hasher.hash(password),
                                                  "updated_at": now})
        await self._store.revoke_user_sessions(row["id"], now)

    async def _holder(self, target: str) -> tuple[dict[str, Any], str]:
        """The user a phone or e-mail address belongs to, and its normalised form."""
        _, column, value = identifiers.contact(target)
        row = await self._store.find_user(column, value)
        if row is None:
            raise NoSuchUser()
        return row, value

    async def _open_session(self, row: dict[str, Any], lifetime: int, origin: str, app: str | None,
                            device: dict[str, str | None] | None = None) -> LoggedIn:
        secret = secrets.token_hex(16)
        now = self._clock()
        session = await self._store.insert_session({
            "user_id": row["id"], "token_hash": token_hash(secret), "origin": origin, "app_id": app,
            "created_at": now, "expires_at": now + lifetime, **(device or {})})
        return LoggedIn(user=_user(row), session=_session(session), token=secret)

    async def _find_by_identifier(self, identifier: str) -> dict[str, Any] | None:
        try:
            key, value = identifiers.classify(identifier)
        except InvalidInput:  # a malformed identifier names nobody
            return None
        return await self._store.find_user(key, value)

    def _lifetime(self, ttl: int | None) -> int:
        if ttl is None:
            return self._ttl
        if not 0 < ttl <= self._ttl_max:
            raise InvalidParameter(f"session lifetime {ttl} outside 1..{self._ttl_max}")
        return ttl

    @operation
    async def logout(self, *, session: Session) -> None:
        await self._store.revoke_session(session.id, self._clock())

    @operation
    async def check_available(self, *, kind: Literal["username", "phone", "email"], value: str) -> None:
        """Raises the matching ``*_taken`` outcome if someone holds ``value``."""
        ids = self._identifiers(**{k: value if k == kind else None for k in _COLUMN_FIELD.values()})
        for key, normalised in ids.items():
            if await self._store.find_user(key, normalised):
                raise TAKEN[kind](kind)

    @operation
    async def send_code(self, *, target: str, purpose: SendPurpose, length: int = 6, origin: str = "") -> CodeSent:
        """A code to a phone (SMS) or e-mail address. For 'register' the target must
        be free; for any other purpose it must belong to someone."""
        if not 4 <= length <= 8:
            raise InvalidParameter("code length outside 4..8")
        channel, column, value = identifiers.contact(target)
        holder = await self._store.find_user(column, value)
        if purpose == "register_or_reset":
            purpose = "register" if holder is None else "reset_password"
        if purpose == "register" and holder is not None:
            raise TAKEN[column](column)
        if purpose != "register" and holder is None:
            raise NoSuchUser()
        code = await self._codes.send(channel, value, purpose, length, origin)
        return CodeSent(target=value, channel=channel, purpose=purpose, code=code)

    @operation
    async def verify_code(self, *, target: str, purpose: Purpose, code: str, origin: str = "") -> None:
        """Spends the code; raises code_invalid, code_expired or code_attempts_exceeded."""
        _, _, value = identifiers.contact(target)
        await self._codes.check(value, purpose, code, origin)

    @operation
    async def store_avatar(self, *, image: bytes, filename: str = "") -> StoredFile:
        """Keeps an image under a name this server makes; InvalidImage unless it is
        one, or if the client's ``filename`` for it says it is something else."""
        images.check_filename(filename)
        async with self._decoding:  # off the event loop, and only a few at once
            name = f"{secrets.token_hex(16)}.{await asyncio.to_thread(images.extension, image)}"
        await asyncio.to_thread(_write_new, self.avatars / name, image)
        return StoredFile(name=name)

    @operation
    async def get_profile(self, *, session: Session) -> Profile:
        return Profile(user=_user(await self._owner(session)))

    @operation
    async def update_profile(self, *, session: Session, nickname: str | None = None, gender: int | None = None,
                             birthday: int | None = None, contact_email: str | None = None,
                             extra: str | None = None) -> Profile:
        """Changes the fields given. The e-mail address given here is only shown:
        taking it as a login would let anyone claim someone else's address."""
        row = await self._owner(session)
        now = self._clock()
        changes = profile.fields(now, nickname=nickname, gender=gender, birthday=birthday,
                                 contact_email=contact_email, extra=extra)
        if changes:
            await self._store.update_user(row["id"], {**changes, "updated_at": now})
        return Profile(user=_user(await self._owner(session)))

    @operation
    async def set_config(self, *, session: Session, key: str, value: str) -> None:
        """Stores a string under the user's own key; raises config_full beyond the key limit."""
        key, value = profile.config_entry(key, value)
        if not await self._store.put_user_config(session.user_id, key, value, self._clock(),
                                                 profile.CONFIG_KEYS_MAX):
            raise ConfigFull(f"{profile.CONFIG_KEYS_MAX} keys already")

    @operation
    async def get_config(self, *, session: Session, key: str) -> ConfigValue:
        return ConfigValue(key=key, value=await self._store.user_config(session.user_id, key))

    async def _owner(self, session: Session) -> dict[str, Any]:
        row = await self._store.find_user("id", session.user_id)
        if row is None:  # the account went away under a live session
            raise TokenInvalid("no such user")
        return row

    async def authenticate(self, secret: str, app: str | None = None) -> Session:
        """The live session a token's secret names, opened through ``app``; TokenInvalid otherwise."""
        return await self._live_session("token_hash", token_hash(secret), app)

    async def session(self, session_id: int, app: str | None = None, owner: str | None = None) -> Session:
        """The live session with this id (a signed token names it), held by the user
        whose public id is ``owner`` when given; TokenInvalid otherwise."""
        session = await self._live_session("id", session_id, app)
        if owner is not None and (await self._owner(session))["public_id"] != owner:
            raise TokenInvalid("the token's audience does not hold its session")
        return session

    async def _live_session(self, key: str, value: Any, app: str | None) -> Session:
        row = await self._store.find_live_session(key, value, self._clock())
        if row is None or row["app_id"] != app:  # one app's token is no use to another
            raise TokenInvalid()
        return _session(row)


def _code_target(ids: dict[str, str]) -> str:
    target = ids.get("phone") or ids.get("email")
    if target is None:
        raise MissingParameter("a code needs a phone or an e-mail address to have been sent to")
    return target


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as out:  # never over an existing file
        out.write(data)


def _bounded(value: str | None, limit: int, what: str) -> str | None:
    if value is not None and len(value) > limit:
        raise InvalidParameter(f"{what} longer than {limit} characters")
    return value


def _check_password(password: str, rule: str = "any") -> None:
    """'any' is what most legacy servers allowed; 'letters_and_digits' is at least
    PASSWORD_MIN characters with a letter and a digit among them."""
    if len(password) > PASSWORD_MAX:
        raise InvalidParameter("password longer than %d characters" % PASSWORD_MAX)
    if rule == "letters_and_digits" and not (len(password) >= PASSWORD_MIN and any(c in DIGITS for c in password)
                                             and any(c in LETTERS for c in password)):
        raise WeakPassword(f"fewer than {PASSWORD_MIN} characters, or no letter, or no digit")


DIGITS, LETTERS = frozenset(string.digits), frozenset(string.ascii_letters)  # ASCII: '١' is no digit here


def _avatar_name(name: str) -> str:
    if not images.AVATAR_NAME.fullmatch(name):
        raise InvalidParameter("not an avatar name this server made")
    return name
