"""Open connections, counted in all and per client address, and who gives one up when they run short.

- Below OVERLOAD of ``server.max_connections`` nobody is refused or shed, however
  many connections one address holds: a carrier's address or a balancer missing
  from ``server.trusted_proxies`` is thousands of honest clients, not an attack.
- From there on, each newcomer is made room for by the client holding the most
  connections, if it holds more than ``server.max_connections_per_client`` (a
  client's share under overload): its connection that has waited longest without
  a request in progress is closed. Such a client's own newcomer takes its own
  idle one or, when every one of its connections is serving, gets a bare 503:
  one address cannot fill the last of the room with sockets it trickles bytes on.
- At the cap itself, a newcomer takes the place of the connection anyone has kept
  waiting longest (never sent a whole head, or kept alive between requests): a
  crowd of addresses holding sockets open then only sheds its own. Only when
  every connection is serving a request is a newcomer refused.
- A connection serving a request is never closed to make room. Trusted proxies,
  which carry many clients each, count only towards the total.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Iterator, Protocol

from facade.client_address import ClientAddress

OVERLOAD = 0.9  # the share of the connection cap from which per-client shares apply
QUIET_FOR = 60.0  # seconds between two log lines about the same shortage
log = logging.getLogger("facade.serving")


class Connection(Protocol):
    peer: str
    trusted: bool

    def serving(self) -> bool: ...

    def shed(self) -> None: ...


@dataclass
class Connections:
    total_max: int
    per_peer_max: int  # a client's share, applied under overload only
    clients: ClientAddress

    def __post_init__(self) -> None:
        self.overload = max(1, int(self.total_max * OVERLOAD))
        self.total = 0
        self.per_peer: Counter[str] = Counter()  # untrusted peers only
        # connections without a request in progress, longest waiting first: in all, and per untrusted peer
        self.waiting: dict[Connection, None] = {}
        self.waiting_of: dict[str, dict[Connection, None]] = {}
        self.last_warned = self.last_shed_told = self.last_share_told = -QUIET_FOR
        self.shed = self.shed_for_share = 0  # connections shed since the last line saying so

    def admit(self, peer: str, trusted: bool) -> bool:
        """Counts a new connection from ``peer`` (as ClientAddress.peer names it); False if it is one too many."""
        self.total += 1
        if not trusted:
            self.per_peer[peer] += 1
        if self.total <= self.overload or self._room_for(peer, trusted):
            return True
        self._refused(peer, trusted)
        return False

    def left(self, connection: Connection) -> None:
        self.total -= 1
        self.busy(connection)
        if not connection.trusted:
            self.per_peer[connection.peer] -= 1
            if not self.per_peer[connection.peer]:
                del self.per_peer[connection.peer]

    def idle(self, connection: Connection) -> None:
        """Waiting for a head now: last in line to be shed."""
        self.busy(connection)
        self.waiting[connection] = None
        if not connection.trusted:
            self.waiting_of.setdefault(connection.peer, {})[connection] = None

    def busy(self, connection: Connection) -> None:
        """Serving a request (or gone): not to be shed."""
        self.waiting.pop(connection, None)
        mine = self.waiting_of.get(connection.peer)
        if mine is not None:
            mine.pop(connection, None)
            if not mine:
                del self.waiting_of[connection.peer]

    def _room_for(self, peer: str, trusted: bool) -> bool:
        """Whether a newcomer beyond the overload mark may stay, shedding an idle connection if one must go."""
        for donor in self._donors(peer, trusted):
            if self._shed_one(self.waiting_of.get(donor, {})):
                self._told_share()
                return True
        if not trusted and self.per_peer[peer] > self.per_peer_max:
            return False  # over its share, with nothing of its own to give up
        if self.total <= self.total_max:
            return True
        if self._shed_one(self.waiting):
            self._told_cap()
            return True
        return False

    def _donors(self, peer: str, trusted: bool) -> Iterator[str]:
        """The client holding the most beyond its share, then the newcomer's own if it is beyond its share."""
        [(heaviest, held)] = self.per_peer.most_common(1) or [("", 0)]
        if held > self.per_peer_max:
            yield heaviest
        if not trusted and peer != heaviest and self.per_peer[peer] > self.per_peer_max:
            yield peer

    @staticmethod
    def _shed_one(waiting: dict[Connection, None]) -> bool:
        """Closes the one that has waited longest without a request in progress; False if there is none."""
        for connection in waiting:
            if not connection.serving():
                connection.shed()  # leaves ``waiting``: nothing more is read from it here
                return True
        return False

    def _told_share(self) -> None:
        self.shed_for_share += 1
        now = time.monotonic()
        if now - self.last_share_told >= QUIET_FOR:
            log.warning("near the connection cap (%d open, cap %d): closed %d idle connection(s) of the clients "
                        "holding the most (over %d each); said once a minute at most", self.total,
                        self.total_max, self.shed_for_share, self.per_peer_max)
            self.last_share_told, self.shed_for_share = now, 0

    def _told_cap(self) -> None:
        self.shed += 1
        now = time.monotonic()
        if now - self.last_shed_told >= QUIET_FOR:
            log.warning("at the connection cap (%d): closed %d connection(s) that had no request in "
                        "progress, longest waiting first; said once a minute at most", self.total_max, self.shed)
            self.last_shed_told, self.shed = now, 0

    def _refused(self, peer: str, trusted: bool) -> None:
        now = time.monotonic()
        if now - self.last_warned >= QUIET_FOR:
            self.last_warned = now
            held = "a trusted proxy" if trusted else f"{self.per_peer[peer] - 1} from {peer}"
            log.warning("connection refused: %d open (cap %d), %s (share under overload %d), none idle to close; "
                        "said once a minute at most", self.total - 1, self.total_max, held, self.per_peer_max)
