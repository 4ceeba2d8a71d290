"""Which client a request came from, as the per-client limits count it: the
peer's address or, behind proxies the config trusts, the address they say they
forwarded for.

X-Forwarded-For is read from the right: each trusted proxy appended the
address it received from, so the first address from the right that is not a
trusted proxy is the client. Anything a client wrote further left is its own
claim and is never believed; from an untrusted peer the header is ignored
entirely, so nobody can pick the address their limits count against.

Addresses are counted in one canonical form: an IPv4 address as itself (an
IPv4-mapped IPv6 one too), an IPv6 address by its /64, since anyone with one
address has the whole /64 to spray from. A port a balancer adds is dropped.
"""
from __future__ import annotations

import ipaddress
import logging
import re
from typing import Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
IPV6_PREFIX = 64
_WITH_PORT = re.compile(r"\[(?P<v6>[^\]]+)\](?::\d+)?|(?P<v4>\d+\.\d+\.\d+\.\d+):\d+")
HOP_MAX = 64  # characters of a hop kept when it is no address at all
log = logging.getLogger("facade.clients")


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``server.trusted_proxies``: addresses or CIDR blocks; ValueError names a bad one."""
    parsed = []
    for entry in entries:
        try:
            parsed.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"server.trusted_proxies: {entry!r} is not an address or network") from None
    return tuple(parsed)


def parse(text: str | None) -> Address | None:
    """An address as a peer or a proxy writes it: bare, in brackets, with a port, or IPv4-mapped."""
    if not text:
        return None
    text = text.strip()
    found = _WITH_PORT.fullmatch(text)
    if found:
        text = found.group("v6") or found.group("v4")
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # a zone id names no other client
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def counted(address: Address) -> str:
    """The form the limits count: the address, or for IPv6 its /64."""
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


class ClientAddress:
    def __init__(self, trusted: tuple[Network, ...] = ()) -> None:
        self._trusted = trusted

    def of(self, request: web.BaseRequest) -> str | None:
        peer = parse(request.remote)
        if peer is None:
            return request.remote  # a Unix socket, or a test transport: nothing to canonicalise
        if not self._is_trusted(peer):
            return counted(peer)
        for hop in reversed(_hops(request) if self._is_trusted(peer) else []):
            address = parse(hop)
            if address is None:
                # A trusted proxy wrote something that is no address: count it as itself, never as the
                # proxy (that would put every client behind it in one bucket).
                log.warning("a trusted proxy forwarded for something that is no address")
                return "hop:" + hop.strip()[:HOP_MAX]
            if not self._is_trusted(address):
                return counted(address)
        return counted(peer)

    def chain(self, request: web.BaseRequest) -> tuple[str, ...]:
        """The addresses a request came through as this server believes them, the client first and the
        peer last: what the server passes on in X-Forwarded-For. Hops are read from the right only behind
        a trusted peer, up to the first that is no trusted proxy (the client); whatever the client wrote
        further left, or any peer not trusted wrote at all, is its own claim and is left out."""
        peer = parse(request.remote)
        if peer is None:
            return ()  # a Unix socket: no address to name
        believed = [str(peer)]
        for hop in reversed(_hops(request) if self._is_trusted(peer) else []):
            address = parse(hop)
            if address is None:
                break
            believed.append(str(address))
            if not self._is_trusted(address):
                break
        return tuple(reversed(believed))

    def peer(self, text: str | None) -> tuple[str, bool]:
        """A connection's peer as the limits count it, and whether it is a proxy this server trusts."""
        address = parse(text)
        if address is None:
            return str(text), False
        return counted(address), self._is_trusted(address)

    def _is_trusted(self, address: Address) -> bool:
        return any(address in network for network in self._trusted)


def _hops(request: web.BaseRequest) -> list[str]:
    return [hop for value in request.headers.getall("X-Forwarded-For", ()) for hop in value.split(",")]
