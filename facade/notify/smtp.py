"""E-mail through an SMTP server, one connection per message: codes are sent
rarely, and a connection held between them would be dropped by the server."""
from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

from facade.core.codes import Message
from facade.core.outcomes import DeliveryFailed


@dataclass(frozen=True)
class Smtp:
    """The e-mail channel's notifier; fields are the keys of ``notify.smtp``."""
    host: str
    port: int
    security: Literal["none", "starttls", "tls"]
    username: str | None
    password: str | None = field(repr=False)  # a repr may end up in a log
    sender: str
    subject: str
    timeout: float

    async def deliver(self, message: Message) -> None:
        # start_tls=None would upgrade only when the server offers it: "none"
        # must not fail on a server with an untrusted certificate, and
        # "starttls" must not fall back to plain text when the offer is missing.
        try:  # the recipient is named outright, never re-read from the To header
            await aiosmtplib.send(self._email(message), recipients=[message.to], hostname=self.host, port=self.port,
                                  username=self.username, password=self.password, timeout=self.timeout,
                                  use_tls=self.security == "tls", start_tls=self.security == "starttls")
        except (aiosmtplib.SMTPException, OSError) as error:  # OSError: TLS failures are not wrapped
            raise DeliveryFailed(f"smtp {self.host}:{self.port}: {_reason(error)}") from None

    def _email(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = self.subject
        email.set_content(message.text)
        return email


def _reason(error: Exception) -> str:
    """The kind of failure and the server's reply code; not the reply's text,
    which a server may fill with the message it refused."""
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{type(error).__name__} {error.code}"
    return type(error).__name__
