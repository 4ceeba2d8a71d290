"""Registration, and whether an identifier is still free to register with."""
from __future__ import annotations

from typing import Any, Literal

import facade.core.identifiers as identifiers
import facade.core.ids as ids
import facade.core.images as images
import facade.core.profile as profile
from facade.core.codes import Checked
from facade.core.flows import flow_id
from facade.core.models import Registered
from facade.core.operations import operation
from facade.core.outcomes import TAKEN, InvalidInput, InvalidParameter, MissingParameter, PasswordMismatch, WeakPassword
from facade.core.parts import CODE_FAILURES, SHAPES, Parts, user_of
from facade.core.password_rule import check_password
from facade.core.ports import Identifier, NewAccount, Taken

PUBLIC_ID_TRIES = 3  # 26**16 ids: a clash is a freak, but it must not fail a registration


class Registration(Parts):
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
        check_password(password, password_rule)
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
                    return await self._finish(work, Registered(user=user_of(account)))
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
