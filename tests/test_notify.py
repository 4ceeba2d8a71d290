"""Codes delivered per channel as config chooses: by SMTP to a real mail
server (aiosmtpd) and by webhook to a real gateway (aiohttp), both on
loopback, or to the outbox. Every failure is DeliveryFailed, which spends the
code, and its detail (which is logged) holds neither the code nor the text."""
from __future__ import annotations

import asyncio
import re
from contextlib import AsyncExitStack
from datetime import datetime, timezone
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from multidict import CIMultiDictProxy

from facade import config as configuration
from facade import notify
from facade.core.outcomes import CodeInvalid, DeliveryFailed
from facade.core.passwords import PasswordHasher
from facade.core.service import UserCore
from facade.images import redrawn
from tests.cloud import Cloud, fail, ok
from tests.servers import free_port
from tests.conftest import CONFIG_FILE, outbox

PHONE = "13800138000"
SENDER = "codes@facade.example"


def text(code: str) -> str:
    return f"您的注册验证码是{code}，5分钟内有效。"


@pytest.fixture
async def core_with(store, clock, make_config):
    """Like conftest's ``core``, but delivering as config built from ``overrides`` says."""
    async with AsyncExitStack() as notifiers:
        async def make(*overrides: str) -> UserCore:
            notifier = await notifiers.enter_async_context(notify.from_config(make_config(*overrides)))
            return UserCore(store, PasswordHasher(rounds=4), session_ttl=3600, session_ttl_max=7200,
                            notifier=notifier, clock=clock, redraw=redrawn)
        yield make


class Mailbox:
    """An aiosmtpd handler keeping every message it is given, then answering ``reply``.

    It runs on the Controller's own thread and loop; a message is appended
    before the client sees the reply, so a test reads it after ``send_code``.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.reply = "250 OK"
        self.received: list[tuple[str, list[str], bool, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, envelope.rcpt_tos, bool(session.authenticated), envelope.content))
        return self.reply


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, login: LoginPassword) -> AuthResult:
    """handled=False: aiosmtpd, not this function, answers a refusal (535)."""
    return AuthResult(success=(login.login, login.password) == (b"mailer", b"s3cret"), handled=False)


@pytest.fixture
def mailbox():
    """A real SMTP server on loopback; AUTH is offered without TLS only because this is a test."""
    box = Mailbox(free_port())
    server = Controller(box, hostname="127.0.0.1", port=box.port,
                        authenticator=authenticate, auth_require_tls=False)
    server.start()
    yield box
    server.stop()


def smtp(port: int, *extra: str) -> list[str]:
    return ["notify.email=smtp", "notify.smtp.host=127.0.0.1", f"notify.smtp.port={port}",
            f"notify.smtp.sender={SENDER}", *extra]


async def test_an_email_code_is_sent_by_smtp(core_with, mailbox, outbox_path):
    core = await core_with(*smtp(mailbox.port))
    sent = await core.send_code(target="Ann@Example.com", purpose="register")
    [(mail_from, rcpt_tos, authenticated, raw)] = mailbox.received
    assert (mail_from, rcpt_tos, authenticated) == (SENDER, ["ann@example.com"], False)
    assert b"\r\nSubject: =?utf-8?b?6aqM6K+B56CB?=\r\n" in raw  # 验证码, encoded for 7-bit headers
    mail = message_from_bytes(raw, policy=policy.default)
    assert (mail["From"], mail["To"], mail["Subject"]) == (SENDER, "ann@example.com", "验证码")
    assert (mail.get_content_type(), mail.get_content_charset()) == ("text/plain", "utf-8")
    assert mail.get_content() == text(sent.code) + "\r\n"  # lines end in CRLF on the wire
    assert outbox(outbox_path) == []


async def test_the_subject_comes_from_config_and_credentials_log_in(core_with, mailbox):
    core = await core_with(*smtp(mailbox.port, "notify.smtp.subject=Your code",
                                 "notify.smtp.username=mailer", "notify.smtp.password=s3cret"))
    await core.send_code(target="ann@example.com", purpose="register")
    [(_, _, authenticated, raw)] = mailbox.received
    assert authenticated is True
    assert message_from_bytes(raw, policy=policy.default)["Subject"] == "Your code"


async def test_an_sms_still_goes_to_the_outbox_when_only_email_is_smtp(core_with, mailbox, outbox_path):
    core = await core_with(*smtp(mailbox.port))
    sent = await core.send_code(target=PHONE, purpose="register")
    assert [(m["channel"], m["to"], m["code"]) for m in outbox(outbox_path)] == [("sms", PHONE, sent.code)]
    assert mailbox.received == []


async def test_a_message_the_smtp_server_refuses_spends_its_code(core_with, mailbox, rows):
    mailbox.reply = "554 5.7.1 message refused"
    core = await core_with(*smtp(mailbox.port))
    with pytest.raises(DeliveryFailed) as failed:
        await core.send_code(target="ann@example.com", purpose="register")
    assert str(failed.value) == f"smtp 127.0.0.1:{mailbox.port}: SMTPDataError 554"
    [code] = re.findall(r"[0-9]{6}", message_from_bytes(mailbox.received[0][3], policy=policy.default).get_content())
    with pytest.raises(CodeInvalid):
        await core.verify_code(target="ann@example.com", purpose="register", code=code)
    assert rows("SELECT used_at FROM codes") == [{"used_at": 1_700_000_000.0}]


@pytest.mark.parametrize("extra, reason", [
    (["notify.smtp.username=mailer", "notify.smtp.password=wrong"], "SMTPAuthenticationError 535"),
    # A server that does not offer STARTTLS must not get the code in plain text.
    (["notify.smtp.security=starttls"], "SMTPException"),
    (["notify.smtp.security=tls"], "SMTPConnectError"),
])
async def test_smtp_that_cannot_be_used_as_configured_sends_nothing(core_with, mailbox, rows, extra, reason):
    core = await core_with(*smtp(mailbox.port, *extra))
    with pytest.raises(DeliveryFailed) as failed:
        await core.send_code(target="ann@example.com", purpose="register")
    assert str(failed.value) == f"smtp 127.0.0.1:{mailbox.port}: {reason}"
    assert mailbox.received == []
    assert rows("SELECT used_at FROM codes") == [{"used_at": 1_700_000_000.0}]


async def test_an_smtp_server_that_is_down_spends_the_code(core_with, rows):
    port = free_port()
    core = await core_with(*smtp(port))
    with pytest.raises(DeliveryFailed) as failed:
        await core.send_code(target="ann@example.com", purpose="register")
    assert str(failed.value) == f"smtp 127.0.0.1:{port}: SMTPConnectError"
    assert rows("SELECT used_at FROM codes") == [{"used_at": 1_700_000_000.0}]


class Gateway:
    """A stand-in SMS gateway: records each request and answers ``status``
    (pointing a redirect back at itself), after ``release`` when ``hold``."""

    def __init__(self) -> None:
        self.url = ""
        self.status = 200
        self.hold = False
        self.release = asyncio.Event()
        self.received: list[tuple[dict[str, Any], CIMultiDictProxy[str]]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.json(), request.headers))
        if self.hold:
            await self.release.wait()
        return web.Response(status=self.status, headers={"Location": "/sms"} if 300 <= self.status < 400 else {})


@pytest.fixture
async def gateway(aiohttp_server):
    gate = Gateway()
    app = web.Application()
    app.router.add_post("/sms", gate.handle)
    gate.url = str((await aiohttp_server(app)).make_url("/sms"))
    yield gate
    gate.release.set()  # a held answer would keep the server's shutdown waiting


def webhook(url: str, *extra: str) -> list[str]:
    return ["notify.sms=webhook", f"notify.webhook.url={url}", *extra]


async def test_an_sms_code_is_posted_to_the_gateway_with_the_configured_headers(core_with, gateway, outbox_path):
    core = await core_with(*webhook(gateway.url, "notify.webhook.headers.Authorization=Bearer gw-key",
                                    "notify.webhook.headers.X-Tenant=facade"))
    sent = await core.send_code(target=PHONE, purpose="register")
    [(body, headers)] = gateway.received
    at = datetime.fromisoformat(body.pop("at"))
    assert body == {"channel": "sms", "to": PHONE, "purpose": "register", "code": sent.code, "text": text(sent.code)}
    assert at.tzinfo is not None and abs((datetime.now(timezone.utc) - at).total_seconds()) < 5
    assert (headers["Authorization"], headers["X-Tenant"], headers["Content-Type"]) == (
        "Bearer gw-key", "facade", "application/json")
    assert outbox(outbox_path) == []


async def test_any_2xx_answer_means_delivered(core_with, gateway):
    gateway.status = 204
    core = await core_with(*webhook(gateway.url))
    sent = await core.send_code(target=PHONE, purpose="register")
    await core.verify_code(target=PHONE, purpose="register", code=sent.code)


@pytest.mark.parametrize("status", [307, 400, 500])
async def test_a_gateway_answering_other_than_2xx_spends_the_code(core_with, gateway, status):
    """A 307 back to the gateway is not followed: each case makes exactly one request."""
    gateway.status = status
    core = await core_with(*webhook(gateway.url))
    with pytest.raises(DeliveryFailed) as failed:
        await core.send_code(target=PHONE, purpose="register")
    assert str(failed.value) == f"webhook: HTTP {status}"
    [(body, _)] = gateway.received
    with pytest.raises(CodeInvalid):
        await core.verify_code(target=PHONE, purpose="register", code=body["code"])


async def test_a_gateway_slower_than_the_timeout_is_a_failed_delivery(core_with, gateway, rows):
    gateway.hold = True
    core = await core_with(*webhook(gateway.url, "notify.webhook.timeout=0.2"))
    with pytest.raises(DeliveryFailed) as failed:
        await core.send_code(target=PHONE, purpose="register")
    assert str(failed.value) == "webhook: TimeoutError"
    assert rows("SELECT used_at FROM codes") == [{"used_at": 1_700_000_000.0}]


async def test_an_unreachable_gateway_is_a_failed_delivery(core_with, rows):
    core = await core_with(*webhook(f"http://127.0.0.1:{free_port()}/sms"))
    with pytest.raises(DeliveryFailed) as failed:
        await core.send_code(target=PHONE, purpose="register")
    assert str(failed.value) == "webhook: ClientConnectorError"
    assert rows("SELECT used_at FROM codes") == [{"used_at": 1_700_000_000.0}]


async def test_through_a_dialect_a_failed_delivery_is_the_dialects_error(aiohttp_client, make_config, gateway,
                                                                        outbox_path):
    """The app opens the webhook's session at start-up and closes it at cleanup
    (an unclosed one would fail this test with a ResourceWarning)."""
    cloud = await Cloud.start(aiohttp_client, make_config(*webhook(gateway.url)), outbox_path)
    assert await cloud.text("GET", "/code/get", phone=PHONE, type=0) == ok()
    gateway.status = 502
    assert await cloud.text("GET", "/code/get", phone="13900139000", type=0) == fail("验证码发送失败，请稍后再试")
    assert [body["to"] for body, _ in gateway.received] == [PHONE, "13900139000"]


async def test_by_default_both_channels_go_to_the_outbox(core_with, outbox_path):
    core = await core_with()
    await core.send_code(target=PHONE, purpose="register")
    await core.send_code(target="ann@example.com", purpose="register")
    assert [(m["channel"], m["to"]) for m in outbox(outbox_path)] == [("sms", PHONE), ("email", "ann@example.com")]


@pytest.mark.parametrize("overrides, message", [
    (["notify.sms=webhook"], "notify.webhook.url: required when notify.sms is webhook"),
    (["notify.sms=webhook", "notify.webhook.url=ftp://gw.example/sms"],
     "notify.webhook.url: not an http or https URL with a host"),
    (["notify.webhook.url=http:///sms"], "notify.webhook.url: not an http or https URL with a host"),
    (["notify.webhook.url=http://[::1/sms"], "notify.webhook.url: not an http or https URL with a host"),
    (["notify.email=smtp"], "notify.smtp.sender: required when notify.email is smtp"),
    (["notify.sms=smtp"], "notify.sms: 'smtp' is not one of ['outbox', 'webhook']"),
    (["notify.smtp.security=ssl"], "notify.smtp.security: 'ssl' is not one of ['none', 'starttls', 'tls']"),
    (["notify.webhook.timeout=0"], "notify.webhook.timeout: 0 is less than or equal to the minimum of 0"),
    # Headers aiohttp would refuse to send, or send broken, are refused before any code is.
    (["notify.webhook.headers.X Tenant=facade"],
     '''notify.webhook.headers: 'X Tenant' does not match "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"'''),
    (["notify.webhook.headers.X-Tenant=facade\n"],
     r"notify.webhook.headers.X-Tenant: 'facade\n' should not be valid under {'pattern': '[\\u0000-\\u001f\\u007f]'}"),
])
def test_a_notify_setting_that_could_not_work_stops_start_up(overrides, message):
    with pytest.raises(configuration.ConfigError) as error:
        configuration.load(str(CONFIG_FILE), overrides)
    assert str(error.value) == f"--set {overrides[-1]}: {message}"


def test_a_header_value_is_taken_as_written():
    """Text-only keys are not read as YAML: '1' stays the string a header needs."""
    config = configuration.load(str(CONFIG_FILE), ["notify.webhook.headers.X-Tenant=1"])
    assert config["notify.webhook.headers"] == {"X-Tenant": "1"}


def test_a_misspelt_notify_key_is_still_refused():
    """Only mappings whose default is empty, like the gateway headers, take any key."""
    with pytest.raises(configuration.ConfigError) as error:
        configuration.load(str(CONFIG_FILE), ["notify.smtp.hots=mail"])
    assert str(error.value) == ("--set notify.smtp.hots=mail: unknown key 'hots' "
                                "(known: host, port, security, username, password, sender, subject, timeout)")


def test_gateway_headers_take_any_name_from_the_file_and_from_set(tmp_path):
    (tmp_path / "c.yaml").write_text("notify: {webhook: {headers: {Authorization: Bearer gw-key}}}\n")
    config = configuration.load(str(tmp_path / "c.yaml"), ["notify.webhook.headers.X-Tenant=facade"])
    assert config["notify.webhook.headers"] == {"Authorization": "Bearer gw-key", "X-Tenant": "facade"}
