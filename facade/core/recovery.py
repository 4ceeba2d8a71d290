"""An account regained by a code sent to its phone or e-mail address: a login by code, or a new password
(a reset). A code proving an identifier nobody had proven takes the account over."""
from __future__ import annotations

import facade.core.identifiers as identifiers
import facade.core.passwords as passwords
from facade.core.codes import Checked
from facade.core.models import LoggedIn
from facade.core.operations import operation
from facade.core.outcomes import NoSuchUser, PasswordMismatch, WeakPassword
from facade.core.parts import CODE_FAILURES, SHAPES
from facade.core.password_rule import check_password
from facade.core.ports import Account, Identifier, Work
from facade.core.sessions import Sessions


class Recovery(Sessions):
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
        check_password(password)
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
