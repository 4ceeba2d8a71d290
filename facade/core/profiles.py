"""A user's profile, and the strings a user keeps under keys of their own (config)."""
from __future__ import annotations

import facade.core.profile as profile
from facade.core.models import ConfigValue, Profile, Session
from facade.core.operations import operation
from facade.core.outcomes import (ConfigFull, ConfigKeyInvalid, ConfigValueTooLarge, InvalidEmail, InvalidParameter,
                                  MissingParameter, TokenInvalid)
from facade.core.parts import Parts, user_of
from facade.core.ports import Account, ProfileChange


class Profiles(Parts):
    @operation(TokenInvalid)
    async def get_profile(self, *, session: Session) -> Profile:
        return Profile(user=user_of(await self._owner(session)))

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
            return await self._finish(work, Profile(user=user_of(account)))

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
