"""The unified user core: no HTTP, no YAML, no dialect names.

Each operation reads what it needs, does its slow work (bcrypt, decoding an
image) outside any transaction, and then writes everything it changes in
one ``store.write()``; the caller's flow step, if any, joins that same
transaction (``_finish``).
"""
from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import os
import secrets
import string
import time
import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Literal

from facade.core import identifiers, images, migration, passwords, profile
from facade.core.apps import Apps
from facade.core.codes import DEFAULT_POLICY, HOUR, Checked, CodePolicy, Codes, Notifier, Purpose, SendPurpose
from facade.core import ids
from facade.core.ids import GID_BASE
from facade.core.flows import FlowStep, Flows, flow_id
from facade.core.models import CodeSent, ConfigValue, LoggedIn, Profile, Registered, Session, StoredFile, User
from facade.core.operations import declared_outcomes, operation
from facade.core.outcomes import (TAKEN, CodeAttemptsExceeded, CodeExpired, CodeInvalid, ConfigFull,
                                  ConfigKeyInvalid, ConfigValueTooLarge, DeliveryFailed, InvalidEmail, InvalidImage,
                                  InvalidInput, InvalidParameter, InvalidPhone, InvalidUsername, LoginThrottled,
                                  MissingParameter, NoSuchUser, NotLoggedIn, OutOfOrder, Outcome, PasswordMismatch,
                                  RateLimited, TokenInvalid, UpstreamUnavailable, WeakPassword, WrongPassword)
from facade.core.passwords import PasswordHasher
from facade.core.ports import (Account, File, Identifier, LegacyLogin, NewAccount, NewSession, ProfileChange, Store,
                               Taken, Work)
from facade.core.throttle import LoginThrottle

# An outcome an operation did not declare is a bug in its declaration (the loader trusts them): logged
# always, and fatal where FACADE_STRICT_OUTCOMES=1 (the tests), so the suite proves the declarations.
STRICT_OUTCOMES = os.environ.get("FACADE_STRICT_OUTCOMES") == "1"
log = logging.getLogger("facade.core")
FLOW_OUTCOMES = {OutOfOrder.id}  # the caller's flow step joins every operation's transaction


def _declared(name: str, method: Any, outcome: Outcome) -> None:
    if outcome.id in declared_outcomes(method) or outcome.id in FLOW_OUTCOMES:
        return
    log.error("operation %s raised %s, which it does not declare", name, outcome.id)
    if STRICT_OUTCOMES:
        raise AssertionError(f"operation {name} raised undeclared outcome {outcome.id}") from outcome


# What an identifier's or a parameter's shape may fail with, and a code's check.
SHAPES = (MissingParameter, InvalidParameter, InvalidPhone, InvalidEmail, InvalidUsername)
CODE_FAILURES = (CodeInvalid, CodeExpired, CodeAttemptsExceeded)
DEVICE_MAX = 4096    # characters of a device key or its description kept with a session
PASSWORD_MAX = 1024  # beyond any real password; bounds the work one request can ask for
PASSWORD_MIN = 8     # for the 'letters_and_digits' rule
DECODERS = 2         # images decoded at once, in threads: a small file may take a third of a second
PUBLIC_ID_TRIES = 3  # 26**16 ids: a clash is a freak, but it must not fail a registration
_STEP: contextvars.ContextVar[FlowStep | None] = contextvars.ContextVar("flow_step", default=None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(account: Account) -> User:
    derived = {"gid": GID_BASE + account.id, "passport": account.phone or account.email,
               "phone_verified": account.phone_verified_at is not None,
               "email_verified": account.email_verified_at is not None}
    return User(**derived, **{k: getattr(account, k) for k in User.__dataclass_fields__ if k not in derived})


class UserCore:
    def __init__(self, store: Store, hasher: PasswordHasher, *, session_ttl: int, session_ttl_max: int,
                 notifier: Notifier, code_policy: CodePolicy = DEFAULT_POLICY, throttle: LoginThrottle | None = None,
                 clock: Callable[[], float] = time.time, upload_budget: int = images.CLIENT_HOURLY_BYTES,
                 image_pixels: int = images.MAX_PIXELS) -> None:
        self._store = store
        self._upload_budget = upload_budget
        self._image_pixels = image_pixels
        self._hasher = hasher
        self._codes = Codes(store, notifier, code_policy, clock)
        self._throttle = throttle or LoginThrottle(store, clock)
        self._ttl = session_ttl
        self._ttl_max = session_ttl_max
        self._clock = clock
        self.apps = Apps(store, clock)
        self.flows = Flows(store, clock)
        self._decoding = asyncio.Semaphore(DECODERS)
        self._migration = migration.Migration(store, hasher, clock)

    async def call(self, name: str, arguments: dict[str, Any], step: FlowStep | None = None) -> Any:
        """Runs operation ``name``; on success ``step`` changes the client's flow in the same transaction."""
        token = _STEP.set(step)
        method = getattr(self, name)
        try:
            result = await method(**arguments)
        except Outcome as outcome:
            _declared(name, method, outcome)
            raise
        finally:
            _STEP.reset(token)
        if step is not None and not step.applied:  # an operation with no transaction of its own to join
            async with self._store.write() as work:
                await self.flows.apply(work, step, result)
        return result

    async def _finish(self, work: Work, result: Any) -> Any:
        """The last thing an operation does in its transaction: the caller's flow step joins it."""
        step = _STEP.get()
        if step is not None:
            await self.flows.apply(work, step, result)
        return result

    @operation(*SHAPES, PasswordMismatch, WeakPassword, *TAKEN.values(), *CODE_FAILURES, writes=True)
    async def register(self, *, password: str, username: str | None = None,
                       phone: str | None = None, email: str | None = None, contact: str | None = None,
                       password_confirmation: str | None = None, nickname: str | None = None,
                       gender: int | None = None, birthday: int | None = None, extra: str | None = None,
                       contact_email: str | None = None, avatar: str | None = None, code: str | None = None,
                       password_rule: Literal["any", "letters_and_digits"] = "any", origin: str = "",
                       flow: str | None = None, verified_code: bool = False) -> Registered:
        """Checks run in a fixed order (identifiers' shape, then whether each is
        taken, then the password, the profile, then the code: a refused request
        spends no try), which is the order the legacy servers used. ``contact``
        is a phone or an e-mail address told apart by its shape. With ``code``,
        the phone (or else the e-mail address) must have been sent it for 'register'; with
        ``verified_code``, a code for it must have passed ``verify_code`` (the step before).
        ``avatar``: a file this server stored, uploaded in the client's ``flow``."""
        if contact is not None:
            _, given = identifiers.contact(contact)
            phone, email = (given.value, email) if given.kind == "phone" else (phone, given.value)
        claimed = _identifiers(username=username, phone=phone, email=email)
        await self._check_free(claimed)
        if password_confirmation is not None and password_confirmation != password:
            raise PasswordMismatch()
        _check_password(password, password_rule)
        if avatar is not None:
            await self._check_avatar(avatar)
        now = self._clock()
        about = profile.fields(now, nickname=nickname, gender=gender, birthday=birthday, extra=extra,
                               contact_email=contact_email)
        target = _code_target(claimed) if code is not None or verified_code else None
        checked = None
        if target is not None:
            checked = (await self._codes.verified(target.value, "register", origin) if verified_code
                       else await self._codes.check(target.value, "register", code, origin))
        by_kind = {i.kind: i.value for i in claimed}
        proven = {f"{target.kind}_verified_at": now} if checked and checked.proves else {}
        new = dict(username=identifiers.username(username) if username else None, username_key=by_kind.get("username"),
                   phone=by_kind.get("phone"), email=by_kind.get("email"), password_hash=await self._hasher.hash(password),
                   avatar=avatar, created_at=now, **proven,
                   **{k: about.get(k) for k in ("nickname", "gender", "birthday", "extra", "contact_email")})
        return await self._add_account(new, checked, flow_id(flow) if avatar and flow else None)

    async def _add_account(self, new: dict[str, Any], checked: Checked | None, flow: str | None) -> Registered:
        """One transaction: the code spent, the user added, the flow's step. A clash of public ids (with
        another user's, or an id an import gave someone) is tried again with a new one."""
        for _ in range(PUBLIC_ID_TRIES):
            public_id = ids.new_public_id()
            try:
                async with self._store.write() as work:
                    # no upload replaces the avatar meanwhile, and no one else registers with it
                    await work.claim(*([f"flow:{flow}"] if flow else []),
                                     *([f"avatar:{new['avatar']}"] if new["avatar"] else []))
                    if await work.users.legacy_id_exists(public_id):
                        continue
                    if new["avatar"] is not None and (await work.files.get(images.AVATARS, new["avatar"]) is None
                                                      or await work.files.claimed(new["avatar"])):
                        raise InvalidParameter("no such avatar, or someone's already")
                    if checked is not None:
                        await self._codes.spend(work, checked)
                    account = await work.users.add(NewAccount(public_id=public_id, **new))
                    return await self._finish(work, Registered(user=_user(account)))
            except Taken as taken:  # the transaction is over
                if taken.field != "public_id":  # lost a race with a concurrent registration
                    raise TAKEN[taken.field](taken.field) from None
        raise RuntimeError("no free public id after %d tries" % PUBLIC_ID_TRIES)

    async def _check_free(self, claimed: list[Identifier]) -> None:
        async with self._store.read() as work:
            for identifier in claimed:
                if await work.users.find(identifier):
                    raise TAKEN[identifier.kind](identifier.kind)

    async def _check_avatar(self, name: str) -> None:
        """An upload of this server's that no user has made their avatar yet."""
        if not images.AVATAR_NAME.fullmatch(name):
            raise InvalidParameter("not an avatar name this server made")
        async with self._store.read() as work:
            if await work.files.get(images.AVATARS, name) is None:
                raise InvalidParameter("no such avatar")
            if await work.files.claimed(name):
                raise InvalidParameter("someone's avatar already")

    @operation(*SHAPES, NoSuchUser, WrongPassword, LoginThrottled, UpstreamUnavailable)
    async def login(self, *, identifier: str, password: str, ttl: int | None = None,
                    origin: str = "", app: str | None = None, client: str | None = None,
                    device_key: str | None = None, device_info: dict[str, Any] | None = None,
                    legacy: LegacyLogin | None = None) -> LoggedIn:
        """``device_key`` and ``device_info`` are kept with the session, for clients that name their
        device. Throttled per account and ``client`` before any password is checked. ``legacy``: the
        server that still holds users not yet here (facade/core/migration.py)."""
        lifetime = self._lifetime(ttl)
        info = None if device_info is None else json.dumps(device_info)  # escaped: a lone surrogate can be stored
        device = {"device_key": _bounded(device_key, "device key"), "device_info": _bounded(info, "device info")}
        wanted = _classified(identifier)
        named = await self._named(wanted)
        typed = f"{wanted[0].kind}:{wanted[0].value}" if wanted else identifier.strip().casefold()
        first = named[0] if named else None
        attempt = self._throttle.attempt(typed, first and first.id, client)
        await self._throttle.count(attempt)
        if legacy is not None and migration.wanted(named) and await self._migration.run(
                legacy, identifier, wanted, password, named):
            named = await self._named(wanted)
        if not named:
            await self._hasher.waste_time(password)
            raise NoSuchUser()
        account = await self._first_opened_by(password, named)
        if account is None:
            raise WrongPassword()
        if first is None or account.id != first.id:  # migrated just now, or another account the name names
            attempt = self._throttle.opened_another(attempt, account.id, client)
        upgraded = await self._hasher.hash(password) if self._hasher.needs_upgrade(account.password_hash) else None
        async with self._store.write() as work:
            await work.claim(f"user:{account.id}", *attempt.keys())
            if await self._password_changed(work, account):  # a reset committed while bcrypt ran
                raise WrongPassword("the password changed meanwhile")
            await self._throttle.succeeded(work, attempt)
            if upgraded is not None:  # a legacy (or cheaper) hash: ours from now on
                await work.users.set_password(account.id, upgraded, self._clock())
            return await self._finish(work, await self._open_session(work, account, lifetime, origin, app, device))

    @staticmethod
    async def _password_changed(work: Work, account: Account) -> bool:
        current = await work.users.get(account.id)
        return current is None or current.password_hash != account.password_hash

    @operation(*SHAPES, NoSuchUser, *CODE_FAILURES, writes=True)
    async def login_by_code(self, *, target: str, code: str, ttl: int | None = None,
                            origin: str = "", app: str | None = None) -> LoggedIn:
        lifetime = self._lifetime(ttl)
        account, identifier = await self._holder(target)
        checked = await self._codes.check(identifier.value, "login", code, origin)
        async with self._store.write() as work:
            await work.claim(f"user:{account.id}")
            await self._codes.spend(work, checked)
            await self._prove(work, account, identifier, checked)
            return await self._finish(work, await self._open_session(work, account, lifetime, origin, app))

    @operation(*SHAPES, PasswordMismatch, WeakPassword, NoSuchUser, *CODE_FAILURES, writes=True)
    async def reset_password(self, *, target: str, code: str, password: str, origin: str = "") -> None:
        """Sets a new password and ends every session of that user, wherever it was opened, legacy
        tokens included: one transaction, so no crash can leave the new password with old sessions alive."""
        account, identifier = await self._holder(target)
        _check_password(password)
        checked = await self._codes.check(identifier.value, "reset_password", code, origin)
        password_hash = await self._hasher.hash(password)
        async with self._store.write() as work:
            await work.claim(f"user:{account.id}")
            await self._codes.spend(work, checked)
            await self._prove(work, account, identifier, checked)
            now = self._clock()
            await work.users.set_password(account.id, password_hash, now)
            await self._end_sessions(work, account.id, now)
            return await self._finish(work, None)

    async def _prove(self, work: Work, account: Account, identifier: Identifier, checked: Checked) -> None:
        """A code proved ``identifier`` of ``account``. If nobody had proven it before, whoever set the
        account's password claimed an identifier they never showed they held (an account made by a
        dialect that asks no code): the prover takes the account over, so that password stops working
        and every session it opened ends. The prover then sets a password of their own (a reset)."""
        if not checked.proves or getattr(account, f"{identifier.kind}_verified_at") is not None:
            return
        now = self._clock()
        await work.users.set_password(account.id, passwords.DISABLED, now)
        await self._end_sessions(work, account.id, now)
        await work.users.set_verified(account.id, identifier.kind, now)

    @staticmethod
    async def _end_sessions(work: Work, user_id: int, now: float) -> None:
        await work.sessions.revoke_all(user_id, now)
        await work.users.end_sessions(user_id, now)

    async def _holder(self, target: str) -> tuple[Account, Identifier]:
        """The account a phone or e-mail address belongs to, and the address in its normalised form."""
        _, identifier = identifiers.contact(target)
        async with self._store.read() as work:
            account = await work.users.find(identifier)
        if account is None:
            raise NoSuchUser()
        return account, identifier

    async def _open_session(self, work: Work, account: Account, lifetime: int, origin: str, app: str | None,
                            device: dict[str, str | None] | None = None) -> LoggedIn:
        secret = secrets.token_hex(16)
        now = self._clock()
        session = await work.sessions.open(NewSession(
            user_id=account.id, token_hash=token_hash(secret), origin=origin, app_id=app, created_at=now,
            expires_at=now + lifetime, **(device or {"device_key": None, "device_info": None})))
        return LoggedIn(user=_user(account), session=session, token=secret)

    async def _named(self, wanted: list[Identifier]) -> list[Account]:
        """Every account ``wanted`` names, in their order: a phone-shaped username may name one account
        as a phone and another as a username."""
        named: list[Account] = []
        async with self._store.read() as work:
            for identifier in wanted:
                account = await work.users.find(identifier)
                if account is not None and all(account.id != seen.id for seen in named):
                    named.append(account)
        return named

    async def _first_opened_by(self, password: str, named: list[Account]) -> Account | None:
        """The first of ``named`` whose password this is (the legacy servers matched identifier and
        password together, so the phone's owner wins, then the name's)."""
        for account in named:
            if await self._hasher.verify(password, account.password_hash):
                return account
        return None

    def _lifetime(self, ttl: int | None) -> int:
        """A client may ask for a lifetime: one beyond the longest allowed gets the longest."""
        if ttl is None:
            return self._ttl
        if ttl <= 0:
            raise InvalidParameter(f"session lifetime {ttl} is not positive")
        return min(ttl, self._ttl_max)

    @operation(NotLoggedIn, TokenInvalid, writes=True)
    async def logout(self, *, session: Session) -> None:
        """Only the logout that ended the session succeeds: one that raced it finds it already ended."""
        async with self._store.write() as work:
            if not await work.sessions.revoke(session.id, self._clock()):
                raise TokenInvalid("already ended")
            return await self._finish(work, None)

    @operation(*SHAPES, *TAKEN.values())
    async def check_available(self, *, kind: Literal["username", "phone", "email"], value: str = "",
                              strict: bool = True) -> None:
        """Raises the matching ``*_taken`` outcome if someone holds ``value``. Not ``strict``: a value
        that is no phone or address at all (or none) is simply free, as some legacy servers answered."""
        try:
            claimed = _identifiers(**{k: value if k == kind else None for k in TAKEN})
        except InvalidInput:
            if strict:
                raise
            return
        await self._check_free(claimed)

    @operation(*SHAPES, *TAKEN.values(), NoSuchUser, RateLimited, DeliveryFailed, writes=True)
    async def send_code(self, *, target: str, purpose: SendPurpose, length: int = 6, origin: str = "",
                        client: str | None = None, disclosed: bool = False) -> CodeSent:
        """A code to a phone (SMS) or e-mail address. For 'register' the target must
        be free; for any other purpose it must belong to someone. ``disclosed``: the dialect
        shows the code to whoever asked, so using it proves nothing about who holds the target."""
        if not 4 <= length <= 8:
            raise InvalidParameter("code length outside 4..8")
        channel, identifier = identifiers.contact(target)
        async with self._store.read() as work:
            holder = await work.users.find(identifier)
        if purpose == "register_or_reset":
            purpose = "register" if holder is None else "reset_password"
        if purpose == "register" and holder is not None:
            raise TAKEN[identifier.kind](identifier.kind)
        if purpose != "register" and holder is None:
            raise NoSuchUser()
        owner = holder is not None and await self._throttle.trusts(holder.id, client)
        def sent(code: str) -> CodeSent:
            return CodeSent(target=identifier.value, channel=channel, purpose=purpose, code=code)
        try:
            code = await self._codes.send(channel, identifier.value, purpose, length, origin, client, disclosed,
                                          then=lambda work, code: self._finish(work, sent(code)), owner=owner)
        except BaseException:  # not delivered: a flow the step started for it goes too
            await asyncio.shield(self._end_started_flow())
            raise
        return sent(code)

    async def _end_started_flow(self) -> None:
        step = _STEP.get()
        if step is not None and step.started is not None:
            async with self._store.write() as work:
                await work.flows.end(flow_id(step.started))

    @operation(*SHAPES, *CODE_FAILURES, writes=True)
    async def verify_code(self, *, purpose: Purpose, code: str, target: str | None = None, origin: str = "") -> None:
        """Marks the code right, for a later step to spend (``register(verified_code=True)``); raises
        code_invalid, code_expired or code_attempts_exceeded. Without ``target``: a code this dialect
        showed to whoever asked, found by its value (such a code proves nothing, so a guess gains nothing)."""
        wanted = identifiers.contact(target)[1].value if target is not None else None
        await self._codes.verify(wanted, purpose, code, origin)
        async with self._store.write() as work:
            return await self._finish(work, None)

    @operation(InvalidImage, InvalidParameter, RateLimited, writes=True)
    async def store_avatar(self, *, image: bytes, filename: str = "", flow: str | None = None,
                           client: str | None = None) -> StoredFile:
        """Keeps an image under a name this server makes; InvalidImage unless it is one, or if
        the client's ``filename`` for it says it is something else. Uploaded within a flow, it
        replaces that flow's previous upload: one current avatar per flow. A ``client`` uploads at
        most the upload budget's bytes an hour (rate_limited beyond), so no one fills the store."""
        images.check_filename(filename)
        async with self._decoding:  # off the event loop, and only a few at once
            image, extension = await asyncio.to_thread(images.redrawn, image, self._image_pixels)
        name = f"{secrets.token_hex(16)}.{extension}"
        held_by = flow_id(flow) if flow else None
        now = self._clock()
        async with self._store.write() as work:
            # concurrent uploads in one flow: the last stays; one client's uploads are counted one at a time
            await work.claim(*([f"flow:{held_by}"] if held_by else []), *([f"upload-client:{client}"] if client else []))
            if client:
                await self._charge(work, client, len(image), now)
            if held_by is not None:
                await work.files.drop_unclaimed(held_by)
            await work.files.add(File(folder=images.AVATARS, name=name, media_type=images.MEDIA_TYPES[extension],
                                      data=image, flow_id=held_by, created_at=now, client=client))
            return await self._finish(work, StoredFile(name=name))

    async def _charge(self, work: Work, client: str, size: int, now: float) -> None:
        """Each upload is charged at least images.MIN_CHARGE: what a stored row costs beyond its bytes, so
        tiny images cannot be sent by the hundred thousand. A replaced or swept upload stays charged."""
        cost = max(size, images.MIN_CHARGE)
        if await work.files.charged_since(client, now - HOUR) + cost > self._upload_budget:
            raise RateLimited("upload budget for this client")
        await work.files.charge(client, now, cost)

    async def file(self, folder: str, name: str) -> File | None:
        """A file the core keeps, to serve."""
        async with self._store.read() as work:
            return await work.files.get(folder, name)

    @operation(TokenInvalid)
    async def get_profile(self, *, session: Session) -> Profile:
        return Profile(user=_user(await self._owner(session)))

    @operation(MissingParameter, InvalidParameter, InvalidEmail, TokenInvalid, writes=True)
    async def update_profile(self, *, session: Session, nickname: str | None = None, gender: int | None = None,
                             birthday: int | None = None, contact_email: str | None = None,
                             extra: str | None = None) -> Profile:
        """Changes the fields given. The e-mail address given here is only shown:
        taking it as a login would let anyone claim someone else's address."""
        now = self._clock()
        change = ProfileChange(**profile.fields(now, nickname=nickname, gender=gender, birthday=birthday,
                                                contact_email=contact_email, extra=extra))
        async with self._store.write() as work:
            if change.given():
                await work.users.change_profile(session.user_id, change, now)
            account = await work.users.get(session.user_id)
            if account is None:
                raise TokenInvalid("no such user")
            return await self._finish(work, Profile(user=_user(account)))

    @operation(MissingParameter, InvalidParameter, ConfigKeyInvalid, ConfigValueTooLarge, ConfigFull, TokenInvalid, writes=True)
    async def set_config(self, *, session: Session, key: str, value: str) -> None:
        """Stores a string under the user's own key; raises config_full beyond the key limit,
        counted under a claim on the user, so concurrent writes cannot pass it together."""
        key, value = profile.config_entry(key, value)
        async with self._store.write() as work:
            await work.claim(f"config:{session.user_id}")
            if (await work.config.get(session.user_id, key) is None
                    and await work.config.count(session.user_id) >= profile.CONFIG_KEYS_MAX):
                raise ConfigFull(f"{profile.CONFIG_KEYS_MAX} keys already")
            await work.config.put(session.user_id, key, value, self._clock())
            return await self._finish(work, None)

    @operation(MissingParameter, InvalidParameter, ConfigKeyInvalid, TokenInvalid)
    async def get_config(self, *, session: Session, key: str) -> ConfigValue:
        async with self._store.read() as work:
            return ConfigValue(key=key, value=await work.config.get(session.user_id, key))

    async def _owner(self, session: Session) -> Account:
        if isinstance(session.holder, Account):  # read a moment ago, to check the session
            return session.holder
        async with self._store.read() as work:
            account = await work.users.get(session.user_id)
        if account is None:  # the account went away under a live session
            raise TokenInvalid("no such user")
        return account

    async def authenticate(self, secret: str, app: str | None = None) -> Session:
        """The live session a token's secret names, opened through ``app``; TokenInvalid otherwise."""
        async with self._store.read() as work:
            session = await work.sessions.live_by_token(token_hash(secret), self._clock())
        return _opened_through(session, app)

    async def session(self, session_id: int, app: str | None = None, owner: Holder | None = None) -> Session:
        """The live session with this id (a signed token names it), held by ``owner`` when given;
        TokenInvalid otherwise."""
        async with self._store.read() as work:
            session = _opened_through(await work.sessions.live(session_id, self._clock()), app)
            account = await work.users.get(session.user_id) if owner is not None else None
        if owner is not None and (account is None or not owner.is_shown_by(account)):
            raise TokenInvalid("the token's audience does not hold its session")
        return session if account is None else dataclasses.replace(session, holder=account)

    async def legacy_session(self, token: str, owner: Holder, expires_at: float, app: str | None,
                             origin: str) -> Session:
        """A token a legacy service issued (its signature already checked) for ``owner``, until
        ``expires_at``: its first use opens a session here under the token's hash, so logout
        revokes it like any other; refused once the owner's sessions were all ended (a reset),
        and for nobody this store knows."""
        now = self._clock()
        hashed = token_hash(token)
        expires_at = min(expires_at, now + self._ttl_max)  # a legacy key must not mint sessions for ever
        for _ in range(2):  # a concurrent first use may open it between the look-up and the insert
            async with self._store.read() as work:
                found = await work.sessions.by_token(hashed)
            if found is not None:
                session, revoked = found
                if revoked or session.expires_at <= now:
                    raise TokenInvalid("revoked or expired")
                return _opened_through(session, app)
            try:
                return await self._open_legacy(hashed, owner, now, expires_at, app, origin)
            except Taken:
                continue
        raise TokenInvalid("could not open the session")

    async def _open_legacy(self, hashed: str, owner: Holder, now: float, expires_at: float, app: str | None,
                           origin: str) -> Session:
        if expires_at <= now:
            raise TokenInvalid("expired")
        async with self._store.write() as work:
            # only an imported id: the legacy key signed for its own users, not for whoever shows that id here
            account = await work.users.find_by_legacy_id(owner.namespace, owner.value)
            if account is None or account.sessions_revoked_at is not None:
                raise TokenInvalid("nobody was imported with that id, or their sessions were ended")
            return await work.sessions.open(NewSession(
                user_id=account.id, token_hash=hashed, origin=origin, app_id=app, device_key=None,
                device_info=None, created_at=now, expires_at=expires_at))


@dataclass(frozen=True)
class Holder:
    """Whoever shows ``value`` as their id in ``namespace`` (the audience a signed token names)."""
    namespace: str
    rule: ids.Rule
    value: str

    def is_shown_by(self, account: Account) -> bool:
        return str(ids.shown(account, self.namespace, self.rule)) == self.value


def _classified(identifier: str) -> list[Identifier]:
    try:
        return identifiers.classify(identifier)
    except InvalidInput:  # a malformed identifier names nobody
        return []


def _opened_through(session: Session | None, app: str | None) -> Session:
    if session is None or session.app_id != app:  # one app's token is no use to another
        raise TokenInvalid()
    return session


def _identifiers(**given: str | None) -> list[Identifier]:
    """The identifiers given, checked and normalised: username first, as the legacy checks ran."""
    if not any(given.values()):
        raise MissingParameter("username, phone or email")
    claimed = []
    if given["username"]:
        claimed.append(Identifier("username", identifiers.username_key(identifiers.username(given["username"]))))
    if given["phone"]:
        claimed.append(Identifier("phone", identifiers.phone(given["phone"])))
    if given["email"]:
        claimed.append(Identifier("email", identifiers.email(given["email"])))
    return claimed


def _code_target(claimed: list[Identifier]) -> Identifier:
    by_kind = {i.kind: i for i in claimed}
    target = by_kind.get("phone") or by_kind.get("email")
    if target is None:
        raise MissingParameter("a code needs a phone or an e-mail address to have been sent to")
    return target


def _bounded(value: str | None, what: str) -> str | None:
    if value is not None and len(value) > DEVICE_MAX:
        raise InvalidParameter(f"{what} longer than {DEVICE_MAX} characters")
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
