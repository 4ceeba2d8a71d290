"""Sessions: opened by a login, found by a token's secret or by the id a signed token names, or opened
on first use of a token a legacy service issued; ended by a logout or, all at once, by a reset."""
from __future__ import annotations

import dataclasses
import hashlib
import secrets
from dataclasses import dataclass

import facade.core.ids as ids
from facade.core.models import LoggedIn, Session
from facade.core.operations import operation
from facade.core.outcomes import InvalidParameter, NotLoggedIn, TokenInvalid
from facade.core.parts import Parts, user_of
from facade.core.ports import Account, NewSession, Taken, Work


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Sessions(Parts):
    async def _open_session(self, work: Work, account: Account, lifetime: int, origin: str, app: str | None,
                            device: dict[str, str | None] | None = None) -> LoggedIn:
        secret = secrets.token_hex(16)
        now = self._clock()
        session = await work.sessions.open(NewSession(
            user_id=account.id, token_hash=token_hash(secret), origin=origin, app_id=app, created_at=now,
            expires_at=now + lifetime, **(device or {"device_key": None, "device_info": None})))
        return LoggedIn(user=user_of(account), session=session, token=secret)

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


def _opened_through(session: Session | None, app: str | None) -> Session:
    if session is None or session.app_id != app:  # one app's token is no use to another
        raise TokenInvalid()
    return session
