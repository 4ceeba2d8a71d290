"""Which client the per-client limits count: canonical, IPv6 by its /64, and
never a proxy's address for every client behind it."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from facade.client_address import ClientAddress, networks

PROXY = ClientAddress(networks(["10.0.0.5", "fd00::/8"]))


def request(peer: str, *forwarded: str):
    headers = [("X-Forwarded-For", value) for value in forwarded]
    made = make_mocked_request("GET", "/", headers=headers)
    made._transport_peername = (peer, 1234)  # where the connection came from
    return made


@pytest.mark.parametrize("peer, forwarded, client", [
    ("203.0.113.7", (), "203.0.113.7"),
    ("203.0.113.7", ("198.51.100.1",), "203.0.113.7"),             # not a trusted proxy: the header is ignored
    ("10.0.0.5", ("198.51.100.1",), "198.51.100.1"),
    ("10.0.0.5", ("1.2.3.4, 198.51.100.1",), "198.51.100.1"),      # what the client wrote itself is not believed
    ("10.0.0.5", ("198.51.100.1:51234",), "198.51.100.1"),         # a balancer that adds the port
    ("10.0.0.5", ("[2001:db8:1:2::7]:443",), "2001:db8:1:2::/64"),
    ("10.0.0.5", ("2001:0DB8:1:2:0:0:0:99",), "2001:db8:1:2::/64"),  # one /64, however it is spelled
    ("10.0.0.5", ("::ffff:198.51.100.1",), "198.51.100.1"),        # IPv4-mapped
    ("10.0.0.5", ("fe80::1%eth0",), "fe80::/64"),
    ("fd00::1", ("198.51.100.1", "fd00::2"), "198.51.100.1"),      # two proxies, two headers
    ("10.0.0.5", ("unknown",), "hop:unknown"),                     # never the proxy's own address
    ("10.0.0.5", (), "10.0.0.5"),
    ("2001:db8:5:6::1", (), "2001:db8:5:6::/64"),
])
def test_the_client_the_limits_count(peer, forwarded, client):
    assert PROXY.of(request(peer, *forwarded)) == client
