"""Where the preview listens, the URL that reaches it, and which Host headers and Origins name it.

A web page the editor visits can make the browser send requests to the preview (its links, forms and scripts) and,
by rebinding its own name to 127.0.0.1, read the answers: a Host header that names the preview is what tells the
preview's own pages from those. An IP literal cannot be rebound, so every address of this machine that the preview
answers on is accepted; of names, only those that cannot be rebound (`localhost`) or that the editor chose with
--host.
"""
from __future__ import annotations

import functools
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOCALHOST = "localhost"     # browsers resolve it to loopback themselves, never through DNS
HOST_HEADER = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s\[\]/\\@:]+)(?::([0-9]{1,5}))?")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass
class Listening:
    """The sockets' addresses and port, and the --host they came from (an address, a name or an unspecified one)."""
    host: str
    port: int
    addresses: tuple[Address, ...]
    local: set[Address] = field(default_factory=set)    # this machine's addresses seen so far (all interfaces)

    @classmethod
    def of(cls, host: str, sockets: list[socket.socket]) -> Listening:
        names = [s.getsockname() for s in sockets]
        return cls(host, names[0][1], tuple(plain(ipaddress.ip_address(name[0])) for name in names))

    @property
    def everywhere(self) -> bool:
        """Bound to an unspecified address (0.0.0.0, ::, or a spelling of them such as 0, 0x0 or ::0)."""
        return any(address.is_unspecified for address in self.addresses)

    @property
    def public(self) -> bool:
        """Reachable from other machines: on all interfaces, or on an address that is not loopback."""
        return any(address.is_unspecified or not address.is_loopback for address in self.addresses)

    @property
    def url(self) -> str:
        """The URL to open: loopback for all interfaces, the name the editor gave, or the bound address."""
        if self.everywhere:
            ipv4 = any(address.version == 4 for address in self.addresses)
            return f"http://{'127.0.0.1' if ipv4 else '[::1]'}:{self.port}/"
        if named(self.host):
            return f"http://{self.host.lower()}:{self.port}/"
        return f"http://{url_form(self.addresses[0])}:{self.port}/"

    def names(self) -> list[str]:
        """The Host values accepted, for messages; on all interfaces, any address of this machine besides."""
        accepted = [url_form(address) for address in self.addresses if not address.is_unspecified]
        if named(self.host) and not self.everywhere:
            accepted.insert(0, self.host.lower())
        if self.everywhere or any(address.is_loopback for address in self.addresses):
            accepted.insert(0, LOCALHOST)
        return [f"{name}:{self.port}" for name in dict.fromkeys(accepted)]

    def accepts_host(self, value: str | None) -> bool:
        """Whether a Host header names this preview: one of names(), with the port it listens on."""
        parsed = HOST_HEADER.fullmatch(value or "")
        if not parsed or int(parsed.group(2) or 80) != self.port:
            return False
        name = parsed.group(1).lower()
        address = literal(name[1:-1] if name.startswith("[") else name)
        if name.startswith("[") and not isinstance(address, ipaddress.IPv6Address):
            return False
        if address is None:
            return f"{name}:{self.port}" in self.names()
        if address.is_unspecified:
            return False
        return address in self.addresses or (self.everywhere and self.of_this_machine(address))

    def accepts_origin(self, origin: str, host: str) -> bool:
        """Whether a websocket's Origin is a page of this preview: http://, and the Host it was asked on."""
        try:
            parts = urlsplit(origin)
        except ValueError:
            return False
        return parts.scheme == "http" and parts.netloc.lower() == host.lower() and self.accepts_host(host)

    def of_this_machine(self, address: Address) -> bool:
        """An address this machine has: one a socket can be bound to (remembered once it could)."""
        if address not in self.local:
            with socket.socket(socket.AF_INET6 if address.version == 6 else socket.AF_INET) as probe:
                try:
                    probe.bind((str(address), 0))
                except OSError:
                    return False
            self.local.add(address)
        return True


@functools.cache
def named(host: str) -> bool:
    """Whether --host is a name rather than an address in any notation getaddrinfo reads (127.1, 0x7f000001)."""
    try:
        socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return True
    return False


def literal(text: str) -> Address | None:
    """`text` as an IP address in the standard notation (what browsers send), or None for a name."""
    try:
        return plain(ipaddress.ip_address(text))
    except ValueError:
        return None


def plain(address: Address) -> Address:
    """An IPv4 address written as IPv6 (::ffff:127.0.0.1) as the IPv4 address it is."""
    return address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped else address


def url_form(address: Address) -> str:
    return f"[{address.compressed}]" if address.version == 6 else address.compressed
