"""SMS through an HTTP gateway: each message POSTed as JSON to a configured URL.

Only a 2xx answer counts as delivered. Redirects are not followed: a gateway
that moved is a configuration error, and following would resend the headers
(the gateway's credentials) somewhere the config never named.
"""
from __future__ import annotations

from collections.abc import Mapping

from aiohttp import ClientError, ClientSession, ClientTimeout

from facade.core.codes import Message
from facade.core.outcomes import DeliveryFailed
from facade.notify.payload import payload


class Webhook:
    """The SMS channel's notifier; keyword arguments are the keys of ``notify.webhook``.

    ``session`` is the app's, so connections to the gateway are reused across sends.
    """

    def __init__(self, session: ClientSession, *, url: str, timeout: float, headers: Mapping[str, str]) -> None:
        self._session = session
        self._url = url
        self._timeout = ClientTimeout(total=timeout)
        self._headers = dict(headers)

    async def deliver(self, message: Message) -> None:
        try:
            async with self._session.post(self._url, json=payload(message), headers=self._headers,
                                          timeout=self._timeout, allow_redirects=False) as response:
                status = response.status
        except (ClientError, TimeoutError) as error:
            # Neither the URL nor the error's text: either may carry the gateway's key.
            raise DeliveryFailed(f"webhook: {type(error).__name__}") from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"webhook: HTTP {status}")
