"""The JSON form of a message, one shape for the outbox file and the SMS
webhook, so whatever reads one (an operator, a gateway, a test) reads both."""
from __future__ import annotations

from datetime import datetime, timezone

from facade.core.codes import Message


def payload(message: Message) -> dict[str, str]:
    """The message and ``at``, when it was handed over for delivery (UTC)."""
    return {"channel": message.channel, "to": message.to, "purpose": message.purpose,
            "code": message.code, "text": message.text,
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
