"""Login throttling and code-send limits, over HTTP in every dialect that
has them, on both backends: shared through the store, answered in each
dialect's own words, and spending no bcrypt on a throttled attempt."""
from __future__ import annotations

import asyncio

import pytest

from facade.app import init_app
from facade.core.throttle import Limit
from facade.core.ports import Strikes
from facade.keys import CORE, HASHER
from tests.clients import AppPair, dialects
from tests.conftest import outbox

pytestmark = pytest.mark.every_backend

PHONE, OTHER = "13800138000", "13900139000"
PASSWORD = "s3cret-pw1"
ATTACKER, BYSTANDER = {"X-Forwarded-For": "10.0.0.1"}, {"X-Forwarded-For": "10.0.0.2"}
THROTTLE = ["server.trusted_proxies=[127.0.0.1]",
            "throttle.login.account={failures: 3, window: 60, wait: 1, max_wait: 2}"]


class Answers:
    """What one dialect answers a wrong password, an unknown account and a throttled attempt."""

    def __init__(self, wrong: str, unknown: str, throttled: str) -> None:
        self.wrong, self.unknown, self.throttled = wrong, unknown, throttled


ANSWERS = {
    "express": Answers('{"code":5000,"msg":"error","userMsg":"登录失败用户名密码不匹配","data":null}',
                       '{"code":5000,"msg":"error","userMsg":"登录失败用户名密码不匹配","data":null}',
                       '{"code":5000,"msg":"error","userMsg":"登录失败次数过多,请稍后再试","data":null}'),
    "istatus": Answers('{"status":{"status_code":"3202","status_message":"密码错误"},"content":{}}',
                       '{"status":{"status_code":"3201","status_message":"没有此用户"},"content":{}}',
                       '{"status":{"status_code":"429","status_message":"登录失败次数过多，请稍后再试"},"content":{}}'),
    "cloud_user": Answers('{"code":0,"msg":"密码错误","data":null}', '{"code":0,"msg":"用户不存在","data":null}',
                          '{"code":0,"msg":"登录失败次数过多，请稍后再试","data":null}'),
    "api2": Answers('{"msgFailed":"登录失败"}', '{"msgFailed":"登录失败"}', '{"msgFailed":"登录失败次数过多，请稍后再试"}'),
    "result": Answers('{"result": "0008", "message": null}', '{"result": "0007", "message": null}',
                      '{"result": "0006", "message": null}'),
}


async def login(http, name: str, phone: str, password: str, headers: dict) -> str:
    return await (await dialects(http.app_pair)[name].login(http, phone, password, headers)).text()


def ok(name: str, text: str) -> bool:
    return dialects()[name].succeeded in text


@pytest.fixture
async def http(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config(*THROTTLE)))
    core = client.server.app[CORE]
    for phone in (PHONE, OTHER):
        await core.register(phone=phone, password=PASSWORD)
    app = await core.apps.add("tests")
    client.app_pair = AppPair(app.app_id, app.app_secret)
    return client


@pytest.mark.parametrize("name", ANSWERS)
async def test_failures_then_a_wait_in_the_dialects_words_then_the_right_password_again(http, name):
    answers, hasher = ANSWERS[name], http.server.app[HASHER]
    for _ in range(3):
        assert await login(http, name, PHONE, "wrong", ATTACKER) == answers.wrong
    checks = hasher.checks
    for password in ("wrong", PASSWORD, "wrong"):  # blocked now: even the right password waits
        assert await login(http, name, PHONE, password, ATTACKER) == answers.throttled
    assert hasher.checks == checks  # no bcrypt spent on a throttled attempt
    assert ok(name, await login(http, name, OTHER, PASSWORD, BYSTANDER))  # another account, another client
    await asyncio.sleep(1.1)  # the first wait is over
    assert ok(name, await login(http, name, PHONE, PASSWORD, ATTACKER))
    assert await login(http, name, PHONE, "wrong", ATTACKER) == answers.wrong  # the success reset the count


@pytest.mark.parametrize("name", ANSWERS)
async def test_an_unknown_account_is_throttled_exactly_like_a_known_one(http, name):
    answers = [await login(http, name, "13700137000", "wrong", ATTACKER) for _ in range(5)]
    assert answers == [ANSWERS[name].unknown] * 3 + [ANSWERS[name].throttled] * 2


async def test_concurrent_guesses_cannot_get_past_the_limit(http):
    """Counted before bcrypt, under a claim: of 30 concurrent wrong guesses only 3 reach bcrypt."""
    hasher, checks = http.server.app[HASHER], http.server.app[HASHER].checks
    answers = await asyncio.gather(*(login(http, "express", PHONE, "wrong", ATTACKER) for _ in range(30)))
    assert answers.count(ANSWERS["express"].throttled) == 27
    assert hasher.checks - checks == 3


async def client_with(aiohttp_client, make_config, *sets: str):
    http = await aiohttp_client(init_app(make_config(*sets)))
    http.app_pair = None
    return http


async def test_a_client_failing_across_many_accounts_is_slowed_on_its_own(aiohttp_client, make_config):
    http = await client_with(aiohttp_client, make_config, *THROTTLE,
                             "throttle.login.ip={failures: 4, window: 60, wait: 30, max_wait: 60}")
    answers = [await login(http, "express", f"1370013700{i}", "wrong", ATTACKER) for i in range(6)]
    assert answers == [ANSWERS["express"].unknown] * 4 + [ANSWERS["express"].throttled] * 2
    assert await login(http, "express", "13700137009", "wrong", BYSTANDER) == ANSWERS["express"].unknown


async def test_a_clients_successes_do_not_count_against_it(aiohttp_client, make_config):
    http = await client_with(aiohttp_client, make_config, *THROTTLE,
                             "throttle.login.ip={failures: 2, window: 60, wait: 30, max_wait: 60}")
    await http.server.app[CORE].register(phone=PHONE, password=PASSWORD)
    for _ in range(5):  # a shared address whose users log in fine
        assert ok("express", await login(http, "express", PHONE, PASSWORD, ATTACKER))


async def test_without_trusted_proxies_a_forwarded_for_header_changes_nothing(aiohttp_client, make_config):
    http = await client_with(aiohttp_client, make_config,
                             "throttle.login.ip={failures: 2, window: 60, wait: 30, max_wait: 60}")
    answers = [await login(http, "express", f"1370013700{i}", "wrong", {"X-Forwarded-For": f"10.9.0.{i}"})
               for i in range(3)]
    assert answers == [ANSWERS["express"].unknown] * 2 + [ANSWERS["express"].throttled]


# Code sends: one message however many ask at once, and a cap per client address.

SENDERS = [name for name, dialect in dialects().items() if dialect.send_code]


async def send(http, name: str, phone: str, headers: dict) -> bool:
    dialect = dialects(http.app_pair)[name]
    return await dialect.ok(await dialect.send_code(http, phone, headers))


@pytest.fixture
async def senders(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config(*THROTTLE, "throttle.codes.ip_hourly=5")))
    app = await client.server.app[CORE].apps.add("tests")
    client.app_pair = AppPair(app.app_id, app.app_secret)
    return client


@pytest.mark.parametrize("name", SENDERS)
async def test_a_hundred_concurrent_sends_to_one_number_deliver_one_message(senders, outbox_path, name):
    sent = await asyncio.gather(*(send(senders, name, "13700137000", {}) for _ in range(100)))
    assert sum(sent) == 1 and len(outbox(outbox_path)) == 1


@pytest.mark.parametrize("name", SENDERS)
async def test_one_client_cannot_spray_codes_at_many_numbers(senders, outbox_path, name):
    assert [await send(senders, name, f"1370013700{i}", ATTACKER) for i in range(8)] == [True] * 5 + [False] * 3
    assert await send(senders, name, "13700137009", BYSTANDER)
    assert len(outbox(outbox_path)) == 6


# The throttle's arithmetic, with a clock the test moves.

def test_waits_double_from_wait_up_to_max_wait_and_lapse_after_a_quiet_window():
    limit = Limit(failures=3, window=100, wait=10, max_wait=35)
    held, waits = None, []
    for now in range(6):
        held = limit.counted(held, float(now))
        waits.append(held.blocked_until - now if held.blocked_until else 0)
    assert waits == [0, 0, 10, 20, 35, 35]
    assert limit.counted(held, 5 + 35 + 100.5).failures == 1  # a quiet window after the last wait
    assert limit.counted(held, 5 + 35 + 99).failures == 7


def test_a_success_takes_back_only_its_own_count():
    limit = Limit(failures=3, window=100, wait=10, max_wait=35)
    assert limit.taken_back(Strikes(3, 1.0, 11.0)) == Strikes(2, 1.0, 0)
    assert limit.taken_back(Strikes(5, 1.0, 21.0)) == Strikes(4, 1.0, 21.0)
    assert limit.taken_back(Strikes(0, 1.0, 0)) == Strikes(0, 1.0, 0)


async def test_the_lock_is_temporary_for_the_core_too(core, clock):
    from facade.core.outcomes import LoginThrottled, WrongPassword
    await core.register(phone=PHONE, password=PASSWORD)
    for _ in range(10):
        with pytest.raises(WrongPassword):
            await core.login(identifier=PHONE, password="wrong")
    with pytest.raises(LoginThrottled):
        await core.login(identifier=PHONE, password=PASSWORD)
    clock.now += 30
    assert (await core.login(identifier=PHONE, password=PASSWORD)).user.phone == PHONE


def test_config_rejects_a_bad_trusted_proxy(make_config):
    from facade.config import ConfigError
    with pytest.raises(ConfigError, match="server.trusted_proxies: 'nope' is not an address or network"):
        make_config("server.trusted_proxies=[nope]")
    assert make_config("server.trusted_proxies=[10.0.0.0/8, '::1']")["server.trusted_proxies"] == ["10.0.0.0/8", "::1"]


async def test_one_ipv6_network_is_one_client(senders, outbox_path):
    """Anyone with one IPv6 address holds its whole /64: the cap counts the /64."""
    sent = [await send(senders, "istatus", f"1370013700{i}", {"X-Forwarded-For": f"2001:db8:1:2::{i + 1:x}"})
            for i in range(8)]
    assert sent == [True] * 5 + [False] * 3
    assert await send(senders, "istatus", "13700137009", {"X-Forwarded-For": "2001:db8:1:3::1"})


async def test_concurrent_right_logins_to_one_account_all_succeed(aiohttp_client, make_config):
    """A double tap, two devices behind one address: no login waits on another's locks in a circle (up to
    the account's failures at once: an attempt counts until it is settled)."""
    http = await client_with(aiohttp_client, make_config, "server.trusted_proxies=[127.0.0.1]")
    await http.server.app[CORE].register(phone=PHONE, password=PASSWORD)
    answers = await asyncio.gather(*(login(http, "express", PHONE, PASSWORD, ATTACKER) for _ in range(8)))
    assert all(ok("express", answer) for answer in answers), answers


async def test_a_login_whose_check_began_before_a_reset_opens_no_session(aiohttp_client, make_config, rows):
    """The owner resets a password an attacker knows while the attacker's login is between bcrypt and
    its session: that session must not outlive the reset."""
    http = await client_with(aiohttp_client, make_config, "codes.resend_after=0")
    app = http.server.app
    await app[CORE].register(phone=PHONE, password=PASSWORD)
    checked, go_on = asyncio.Event(), asyncio.Event()
    real = app[HASHER].verify

    async def verify_then_wait(password, stored):
        matched = await real(password, stored)
        checked.set()
        await go_on.wait()  # the reset happens here
        return matched
    app[HASHER].verify = verify_then_wait
    attempt = asyncio.create_task(login(http, "express", PHONE, PASSWORD, ATTACKER))
    await checked.wait()
    app[HASHER].verify = real
    sent = await app[CORE].send_code(target=PHONE, purpose="reset_password")
    await app[CORE].reset_password(target=PHONE, code=sent.code, password="new-pw-22")
    go_on.set()
    assert await attempt == ANSWERS["express"].wrong
    assert rows("SELECT * FROM sessions WHERE revoked_at IS NULL") == []


async def test_one_account_has_one_budget_and_an_unknown_identifier_is_counted_alike(http):
    """An account's user name and phone share its budget; an identifier nobody holds has one of its own,
    counted the same way, so the answers never tell which accounts exist."""
    await http.server.app[CORE].register(username="alice", phone="13600136000", password=PASSWORD)
    for name in ("alice", "13600136000", "ALICE"):
        assert await login(http, "express", name, "wrong", ATTACKER) == ANSWERS["express"].wrong
        assert await login(http, "express", "nobody", "wrong", ATTACKER) == ANSWERS["express"].wrong
    assert await login(http, "express", "+86 136 0013 6000", "wrong", ATTACKER) == ANSWERS["express"].throttled
    assert await login(http, "express", "nobody", "wrong", ATTACKER) == ANSWERS["express"].throttled
    assert await login(http, "express", "Nobody", "wrong", BYSTANDER) == ANSWERS["express"].wrong


async def test_strangers_failures_never_lock_the_owner_out(http):
    owner = {"X-Forwarded-For": "10.0.0.9"}
    assert ok("express", await login(http, "express", PHONE, PASSWORD, owner))  # the owner's usual address
    for _ in range(5):
        await login(http, "express", PHONE, "wrong", ATTACKER)
    assert await login(http, "express", PHONE, PASSWORD, ATTACKER) == ANSWERS["express"].throttled
    assert ok("express", await login(http, "express", PHONE, PASSWORD, owner))
    new_device = {"X-Forwarded-For": "10.0.0.10"}  # one stranger's guesses cost only the stranger
    assert ok("express", await login(http, "express", PHONE, PASSWORD, new_device))


def test_no_number_of_failures_overflows_the_wait():
    limit = Limit(failures=1, window=1e9, wait=30.0, max_wait=900.0)
    held = None
    for now in range(3000):
        held = limit.counted(held, float(now))
    assert held.blocked_until - 2999 == 900.0


async def test_a_phone_shaped_username_cannot_lift_the_count_on_the_phones_owner(http):
    """The attacker registers the victim's phone as a user name; logging in to their own account with
    it must not clear the count of guesses at the victim's password that the same identifier carries."""
    core = http.server.app[CORE]
    await core.register(username=PHONE, phone="13700137000", password="attacker-pw1")
    answers = ANSWERS["express"]
    for _ in range(2):
        assert await login(http, "express", PHONE, "guess", ATTACKER) == answers.wrong
        assert ok("express", await login(http, "express", PHONE, "attacker-pw1", ATTACKER))  # their own account
    assert await login(http, "express", PHONE, "guess", ATTACKER) == answers.wrong  # the 3rd guess: now blocked
    assert await login(http, "express", PHONE, "guess", ATTACKER) == answers.throttled
    assert await login(http, "express", PHONE, "attacker-pw1", ATTACKER) == answers.throttled  # the pair waits
    assert ok("express", await login(http, "express", PHONE, PASSWORD, BYSTANDER))  # the owner elsewhere does not


@pytest.mark.parametrize("name", ANSWERS)
async def test_twenty_addresses_engage_the_account_wide_wait_but_not_for_a_trusted_client(http, rows, name):
    """20 addresses guessing twice each (under the pair's 3): from the 30th failure on, every address
    without the account's trust waits, in the dialect's words, spending no bcrypt and storing nothing;
    the owner's own device logs in."""
    owner = {"X-Forwarded-For": "10.0.0.9"}
    assert ok(name, await login(http, name, PHONE, PASSWORD, owner))
    answers = [await login(http, name, PHONE, "wrong", {"X-Forwarded-For": f"10.2.0.{i // 2}"}) for i in range(40)]
    assert answers == [ANSWERS[name].wrong] * 30 + [ANSWERS[name].throttled] * 10
    hasher, before = http.server.app[HASHER], rows.snapshot()
    checks = hasher.checks
    assert await login(http, name, PHONE, PASSWORD, {"X-Forwarded-For": "10.3.0.1"}) == ANSWERS[name].throttled
    assert hasher.checks == checks and rows.snapshot() == before
    assert ok(name, await login(http, name, PHONE, PASSWORD, owner))


RESET_CODES = {  # a reset code for a registered number, as each dialect's clients ask for one
    "istatus": lambda http, phone, h: http.post("/code/send", data={"username": phone}, headers=h),
    "cloud_user": lambda http, phone, h: http.get("/api/cloud_user/code/get", params={"phone": phone, "type": 1},
                                                 headers={**h, **http.app_pair.headers()}),
}
RATE_LIMITED = {"istatus": '"status_code":"429"', "cloud_user": '"code":0'}


@pytest.mark.parametrize("name", RESET_CODES)
async def test_twenty_strangers_asking_codes_leave_the_owner_its_reset_code(aiohttp_client, make_config, rows,
                                                                            outbox_path, name):
    http = await client_with(aiohttp_client, make_config, *THROTTLE, "codes.resend_after=0")
    app = await http.server.app[CORE].apps.add("tests")
    http.app_pair = AppPair(app.app_id, app.app_secret)
    await http.server.app[CORE].register(phone=PHONE, password=PASSWORD)
    owner = {"X-Forwarded-For": "10.0.0.9"}
    assert ok(name, await login(http, name, PHONE, PASSWORD, owner))
    answers = [await (await RESET_CODES[name](http, PHONE, {"X-Forwarded-For": f"10.4.0.{i}"})).text()
               for i in range(20)]
    assert [dialects()[name].succeeded in text for text in answers] == [True] * 7 + [False] * 13
    assert all(RATE_LIMITED[name] in text for text in answers[7:])
    before = rows.snapshot(but=("throttles",))
    assert RATE_LIMITED[name] in await (await RESET_CODES[name](http, PHONE, {"X-Forwarded-For": "10.4.1.1"})).text()
    assert rows.snapshot(but=("throttles",)) == before  # a refused send stores nothing
    for _ in range(3):  # the owner's share, which the reserve keeps for it
        assert ok(name, await (await RESET_CODES[name](http, PHONE, owner)).text())
    assert not ok(name, await (await RESET_CODES[name](http, PHONE, owner)).text())  # the ceiling holds
    assert len([m for m in outbox(outbox_path) if m["to"] == PHONE]) == 10
