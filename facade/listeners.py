"""Where the admin listener listens: ``HOST:PORT`` (``[::1]:8081`` for IPv6) or ``unix:/absolute/path``.

A Unix socket is made readable and writable by the server's own user only (0600), from the moment it
is bound; one left behind by a server that was killed is replaced, one another server listens on is not.
"""
from __future__ import annotations

import errno
import ipaddress
import os
import socket
import stat
from contextlib import suppress
from dataclasses import dataclass

UNIX = "unix:"
BACKLOG = 128  # the admin listener serves a few operators and one scraper, not the public


@dataclass(frozen=True)
class Address:
    host: str = ""
    port: int = 0
    path: str = ""  # a Unix socket's, instead of host and port

    def loopback(self) -> bool:
        """Only this host can reach it: a Unix socket, ``localhost`` or a loopback address."""
        if self.path or self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name: it may resolve anywhere
            return False

    def __str__(self) -> str:
        if self.path:
            return UNIX + self.path
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse(text: str) -> Address:
    """ValueError, saying what is expected, for anything but the two forms."""
    if text.startswith(UNIX):
        path = text[len(UNIX):]
        if not os.path.isabs(path):
            raise ValueError(f"{text!r}: a Unix socket's path must be absolute (unix:/run/facade/admin.sock)")
        return Address(path=path)
    host, sep, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not port.isdigit() or int(port) > 65535 or ("[" in host or "]" in host):
        raise ValueError(f"{text!r}: expected HOST:PORT ([::1]:8081 for IPv6) or unix:/absolute/path")
    return Address(host=host, port=int(port))


@dataclass
class Bound:
    """A listening socket and where it listens."""
    address: Address
    sock: socket.socket
    inode: int = 0  # a Unix socket file's, so that only the file this server made is removed

    def url(self) -> str:
        """How the start-up line names it (with the real port when 0 was asked for)."""
        if self.address.path:
            return str(self.address)
        host, port = self.sock.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def release(self) -> None:
        if self.address.path:
            with suppress(OSError):
                if os.stat(self.address.path).st_ino == self.inode:
                    os.unlink(self.address.path)
        self.sock.close()


def bind(address: Address) -> Bound:
    """OSError if the address cannot be had."""
    if not address.path:
        family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
        return Bound(address, socket.create_server((address.host, address.port), family=family, backlog=BACKLOG))
    _clear_stale(address.path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    mask = os.umask(0o177)  # never, even for an instant, a socket other users may connect to
    try:
        sock.bind(address.path)
        sock.listen(BACKLOG)
        return Bound(address, sock, os.stat(address.path).st_ino)
    except OSError:
        sock.close()
        raise
    finally:
        os.umask(mask)


def _clear_stale(path: str) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise OSError(f"{path} exists and is not a socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except ConnectionRefusedError:  # nobody listens: a killed server's leftover
            os.unlink(path)
            return
    raise OSError(errno.EADDRINUSE, os.strerror(errno.EADDRINUSE))
