"""Delivery of verification codes, one notifier per channel, chosen in config."""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from aiohttp import ClientSession

from facade.config import Config
from facade.core.codes import Message, Notifier
from facade.core.outcomes import DeliveryFailed
from facade.notify.outbox import Outbox
from facade.notify.smtp import Smtp
from facade.notify.webhook import Webhook


class ByChannel:
    """Hands each message to the notifier its channel is configured with."""

    def __init__(self, *, sms: Notifier, email: Notifier, counted: Callable[[str, str], None]) -> None:
        self._by_channel = {"sms": sms, "email": email}
        self._counted = counted  # (channel, "sent" or "failed")

    async def deliver(self, message: Message) -> None:
        try:
            await self._by_channel[message.channel].deliver(message)
        except DeliveryFailed:
            self._counted(message.channel, "failed")
            raise
        self._counted(message.channel, "sent")


@asynccontextmanager
async def from_config(config: Config, counted: Callable[[str, str], None] = lambda channel, result: None
                      ) -> AsyncIterator[ByChannel]:
    """The notifier config.yaml asks for, usable while the context is open:
    the webhook's HTTP session (its pooled connections) is closed with it."""
    outbox = Outbox(config.path("notify.outbox"))  # one for both channels, so they share its lock
    async with ClientSession() as http:
        sms = Webhook(http, **config["notify.webhook"]) if config["notify.sms"] == "webhook" else outbox
        email = Smtp(**config["notify.smtp"]) if config["notify.email"] == "smtp" else outbox
        yield ByChannel(sms=sms, email=email, counted=counted)
