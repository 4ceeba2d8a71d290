"""Profile fields, per-user config and apps in the core: limits, checks and
what each refusal leaves stored (nothing)."""
from __future__ import annotations

import pytest

from facade.core.apps import Apps
from facade.core.outcomes import (AppInvalid, ConfigFull, ConfigKeyInvalid, ConfigValueTooLarge, InvalidParameter,
                                  NoSuchUser)

pytestmark = pytest.mark.every_backend

PHONE = "13800138000"


async def login(core, phone=PHONE, **profile):
    await core.register(phone=phone, password="pw", **profile)
    return (await core.login(identifier=phone, password="pw")).session


async def test_a_profile_is_what_registration_and_updates_said(core, clock):
    session = await login(core, nickname=" Ann ", gender=2, birthday=0, extra="x")
    user = (await core.get_profile(session=session)).user
    assert (user.nickname, user.gender, user.birthday, user.extra, user.passport) == ("Ann", 2, 0, "x", PHONE)
    clock.now += 5
    updated = (await core.update_profile(session=session, nickname="Bo", contact_email="Bo@Example.com")).user
    assert (updated.nickname, updated.contact_email, updated.email, updated.gender, updated.updated_at) == (
        "Bo", "bo@example.com", None, 2, clock.now)


@pytest.mark.parametrize("change", [
    {"nickname": "n" * 65}, {"gender": 3}, {"birthday": -2_208_988_800_001},
    {"birthday": 1_700_000_000_001}, {"extra": "é" * 32769}])
async def test_a_profile_value_beyond_its_limits_is_refused_and_nothing_changes(core, rows, change):
    session = await login(core)
    before = rows.snapshot()
    with pytest.raises(InvalidParameter):
        await core.update_profile(session=session, **{"nickname": "fine", **change})
    assert rows.snapshot() == before


async def test_an_update_with_nothing_changes_nothing(core, rows):
    session = await login(core)
    before = rows.snapshot()
    assert (await core.update_profile(session=session)).user.updated_at == before["users"][0]["updated_at"]
    assert rows.snapshot() == before


async def test_the_passport_of_an_email_account_is_its_email(core):
    user = (await core.register(contact="Ann@Example.com", password="pw")).user
    assert (user.email, user.phone, user.passport) == ("ann@example.com", None, "ann@example.com")


async def test_config_keys_hold_strings_per_user(core):
    ann, bob = await login(core), await login(core, phone="13900139000")
    await core.set_config(session=ann, key="theme", value="dark")
    await core.set_config(session=ann, key="theme", value="light")
    assert (await core.get_config(session=ann, key="theme")).value == "light"
    assert (await core.get_config(session=bob, key="theme")).value is None


async def test_config_limits_are_refused_with_their_own_outcomes(core, rows):
    session = await login(core)
    await core.set_config(session=session, key="k" * 64, value="v" * 65536)
    for n in range(99):
        await core.set_config(session=session, key=f"key{n}", value="v")
    before = rows.snapshot()
    with pytest.raises(ConfigKeyInvalid):
        await core.set_config(session=session, key="k" * 65, value="v")
    with pytest.raises(ConfigValueTooLarge):
        await core.set_config(session=session, key="key0", value="é" * 32769)
    with pytest.raises(ConfigFull):
        await core.set_config(session=session, key="one-too-many", value="v")
    assert rows.snapshot() == before
    await core.set_config(session=session, key="key0", value="an existing key may still change")
    assert len(rows("SELECT * FROM user_config")) == 100


async def test_one_send_code_serves_registration_or_reset_by_who_holds_the_target(core):
    first = await core.send_code(target=PHONE, purpose="register_or_reset")
    await core.register(phone=PHONE, password="pw", code=first.code)
    core._clock.now += 60
    second = await core.send_code(target=PHONE, purpose="register_or_reset")
    assert (first.purpose, second.purpose) == ("register", "reset_password")
    await core.reset_password(target=PHONE, code=second.code, password="new")
    await core.login(identifier=PHONE, password="new")


async def test_apps_keep_only_a_hash_of_their_secret(store, clock, rows):
    apps = Apps(store, clock)
    app = await apps.add("shop")
    await apps.check(app.app_id, app.app_secret)
    [row] = rows("SELECT * FROM apps")
    assert app.app_secret not in str(row.values()) and row["name"] == "shop"
    assert [(a.app_id, a.name, a.created_at) for a in await apps.list()] == [(app.app_id, "shop", clock.now)]
    for app_id, secret in [(app.app_id, "wrong"), ("nope", app.app_secret), (app.app_id, None), (None, None)]:
        with pytest.raises(AppInvalid):
            await apps.check(app_id, secret)
    assert await apps.remove(app.app_id) and not await apps.remove(app.app_id)
    with pytest.raises(AppInvalid):
        await apps.check(app.app_id, app.app_secret)


async def test_a_reset_code_for_nobody_is_refused(core):
    with pytest.raises(NoSuchUser):
        await core.send_code(target=PHONE, purpose="reset_password")
