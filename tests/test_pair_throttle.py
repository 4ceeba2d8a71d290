"""Limits that stop attackers, not owners or crowds, on both backends, with a clock the tests move:
login failures count per (account, client) first, an account-wide wait needs many failing clients
and spares trusted ones, one account has one budget, per-address limits count only what honest
users rarely do, and strangers cannot spend a number's codes."""
from __future__ import annotations

import pytest

from facade.core.outcomes import LoginThrottled, NoSuchUser, RateLimited, WrongPassword
from tests.conftest import outbox

pytestmark = pytest.mark.every_backend

PHONE, PASSWORD = "13800138000", "s3cret-pw1"
OWNER, ATTACKER, CARRIER = "10.0.0.9", "10.0.0.1", "10.7.0.1"


async def outcome(core, identifier: str, password: str, client: str | None) -> type:
    """What one login came to: LoggedIn's class on success, else the outcome's."""
    try:
        return type(await core.login(identifier=identifier, password=password, client=client))
    except (WrongPassword, NoSuchUser, LoginThrottled) as refused:
        return type(refused)


def logged_in(kind: type) -> bool:
    return kind not in (WrongPassword, NoSuchUser, LoginThrottled)


async def test_a_guesser_at_one_address_for_hours_never_keeps_the_owner_out(core, clock):
    """The attacker guesses every minute, as fast as the waits let it, for eight hours: well past the
    account-wide failure count (30) before the owner's first login. The owner, from an address never
    used before, gets in on the first try each hour."""
    await core.register(phone=PHONE, password=PASSWORD)
    start, guesses, owner_logins = clock.now, 0, []
    while clock.now - start < 8 * 3600:
        if await outcome(core, PHONE, "wrong", ATTACKER) is WrongPassword:
            guesses += 1
        clock.now += 60
        hour = int((clock.now - start) // 3600)
        if hour >= 5 and len(owner_logins) < hour - 4:
            owner_logins.append(logged_in(await outcome(core, PHONE, PASSWORD, f"10.1.{hour}.1")))
    assert owner_logins == [True, True, True, True]
    assert 30 < guesses <= 10 + 5 + 8 * 4  # 10 free, then waits doubling from 30 s to 15 min
    assert await outcome(core, PHONE, PASSWORD, ATTACKER) is LoginThrottled  # the guesser still waits


async def test_twenty_attackers_engage_the_account_wide_wait_but_a_trusted_client_gets_in(core, clock):
    await core.register(phone=PHONE, password=PASSWORD)
    assert logged_in(await outcome(core, PHONE, PASSWORD, OWNER))  # the owner's device: trusted from now on
    for i in range(20):
        for _ in range(2):
            assert await outcome(core, PHONE, "wrong", f"10.2.0.{i}") in (WrongPassword, LoginThrottled)
    assert await outcome(core, PHONE, PASSWORD, "10.3.0.1") is LoginThrottled  # a new address waits now
    assert logged_in(await outcome(core, PHONE, PASSWORD, OWNER))
    clock.now += 900 + 3600 + 1  # the longest wait, then a quiet window
    assert logged_in(await outcome(core, PHONE, PASSWORD, "10.3.0.1"))


async def test_two_clients_failing_often_do_not_engage_the_account_wide_wait(core, clock):
    await core.register(phone=PHONE, password=PASSWORD)
    for _ in range(40):  # 80 failures counted against the account, from two clients only
        for client in ("10.2.0.1", "10.2.0.2"):
            await outcome(core, PHONE, "wrong", client)
        clock.now += 120
    assert logged_in(await outcome(core, PHONE, PASSWORD, "10.3.0.1"))


async def test_one_account_has_one_budget_whichever_identifier_or_spelling(core, clock):
    await core.register(username="Alice", phone=PHONE, email="Alice@Example.com", password=PASSWORD)
    spellings = ["alice", "ALICE", PHONE, "+86 138 0013 8000", "alice@example.com", "ALICE@EXAMPLE.COM ", " Alice"]
    answers = [await outcome(core, spellings[i % len(spellings)], "wrong", ATTACKER) for i in range(11)]
    assert answers == [WrongPassword] * 10 + [LoginThrottled]
    for name in spellings:
        assert await outcome(core, name, PASSWORD, ATTACKER) is LoginThrottled
    assert logged_in(await outcome(core, "alice@example.com", PASSWORD, OWNER))


@pytest.mark.parametrize("identifier", [PHONE, "13900139000"])  # an account, and a number nobody holds
async def test_an_identifier_nobody_holds_is_counted_like_an_account(core, clock, identifier):
    await core.register(phone=PHONE, password=PASSWORD)
    refused = WrongPassword if identifier == PHONE else NoSuchUser
    assert [await outcome(core, identifier, "wrong", ATTACKER) for _ in range(11)] == [refused] * 10 + [LoginThrottled]
    assert await outcome(core, identifier, "wrong", "10.0.0.2") is refused  # another address: its own budget
    for i in range(20):
        for _ in range(2):
            await outcome(core, identifier, "wrong", f"10.2.0.{i}")
    assert await outcome(core, identifier, "wrong", "10.3.0.1") is LoginThrottled  # account-wide, alike


async def test_a_crowd_behind_one_address_with_steady_typos_is_never_throttled(core, clock):
    """50 users behind one carrier address each mistype twice an hour and then log in, for four hours:
    400 failures from the address, never a quiet hour, and 300 an hour is its limit."""
    users = [f"1370000{i:04d}" for i in range(50)]
    for phone in users:
        await core.register(phone=phone, password=PASSWORD)
    for _ in range(4):
        for phone in users:
            assert [await outcome(core, phone, "wrong", CARRIER) for _ in range(2)] == [WrongPassword] * 2
            assert logged_in(await outcome(core, phone, PASSWORD, CARRIER))
            clock.now += 3600 / 50


async def test_an_address_failing_across_many_accounts_is_stopped_and_its_successes_never_count(core, clock):
    await core.register(phone=PHONE, password=PASSWORD)
    for _ in range(50):  # successes from the address never count against it
        assert logged_in(await outcome(core, PHONE, PASSWORD, CARRIER))
    answers = [await outcome(core, f"1390000{i:04d}", "wrong", CARRIER) for i in range(302)]
    assert answers == [NoSuchUser] * 300 + [LoginThrottled] * 2
    assert await outcome(core, "13900009999", "wrong", "10.0.0.2") is NoSuchUser


# Codes: a number's hourly codes are shared out per client, and its owner keeps a reserve.

async def reset_code(core, client: str | None) -> bool:
    try:
        await core.send_code(target=PHONE, purpose="reset_password", client=client)
        return True
    except RateLimited:
        return False


async def test_twenty_strangers_cannot_spend_the_owners_reset_codes(core, clock, outbox_path):
    await core.register(phone=PHONE, password=PASSWORD)
    await core.login(identifier=PHONE, password=PASSWORD, client=OWNER)  # a client the holder trusts
    sent = []
    for i in range(20):
        sent.append(await reset_code(core, f"10.4.0.{i}"))
        clock.now += 61
    assert sent == [True] * 7 + [False] * 13  # hourly_cap 10 less the owner's reserve of 3
    assert await reset_code(core, OWNER)
    assert await reset_code(core, "10.4.1.1") is False  # still nothing for another stranger
    for _ in range(3):
        clock.now += 61
        sent.append(await reset_code(core, OWNER))
    assert sent[-3:] == [True, True, False]  # the owner's address has its share (3) like any other
    assert len([m for m in outbox(outbox_path) if m["to"] == PHONE]) == 10  # the ceiling, however many ask


async def test_the_owner_need_not_wait_for_a_strangers_last_code(core, clock):
    await core.register(phone=PHONE, password=PASSWORD)
    await core.login(identifier=PHONE, password=PASSWORD, client=OWNER)
    assert await reset_code(core, ATTACKER)
    assert await reset_code(core, "10.4.0.2") is False  # one message at a time to a number ...
    assert await reset_code(core, OWNER)  # ... but a stranger's does not hold up the owner's


async def test_one_address_gets_only_its_share_of_a_numbers_codes(core, clock):
    await core.register(phone=PHONE, password=PASSWORD)
    sent = []
    for _ in range(5):
        sent.append(await reset_code(core, ATTACKER))
        clock.now += 61
    assert sent == [True] * 3 + [False] * 2
    assert await reset_code(core, "10.0.0.2")


async def test_a_verified_code_gives_its_count_back_to_the_address(core, clock):
    """100 users behind one carrier address register by code (proving each), then a sprayer at the same
    address asks codes for 40 numbers it never proves: stopped after throttle.codes.ip_hourly (30)."""
    for i in range(100):
        phone = f"1370000{i:04d}"
        code = (await core.send_code(target=phone, purpose="register", client=CARRIER)).code
        if i % 2:
            await core.register(phone=phone, password=PASSWORD, code=code)
        else:
            await core.verify_code(target=phone, purpose="register", code=code)
            await core.register(phone=phone, password=PASSWORD, verified_code=True)
    sprayed = []
    for i in range(40):
        try:
            await core.send_code(target=f"1390000{i:04d}", purpose="register", client=CARRIER)
            sprayed.append(True)
        except RateLimited:
            sprayed.append(False)
    assert sprayed == [True] * 30 + [False] * 10


async def test_a_code_shown_to_whoever_asked_counts_even_when_verified(core, clock):
    for i in range(30):
        phone = f"1370000{i:04d}"
        code = (await core.send_code(target=phone, purpose="register", client=CARRIER, disclosed=True)).code
        await core.verify_code(target=phone, purpose="register", code=code)
    with pytest.raises(RateLimited):
        await core.send_code(target="13900000000", purpose="register", client=CARRIER)
