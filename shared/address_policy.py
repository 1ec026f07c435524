"""Which addresses the crawler and the webhook deliverer may connect to (SSRF protection).

Only public unicast addresses, unless an operator allow-lists a network. The check runs
where the connection is opened (`GuardedBackend.connect_tcp`): the name is resolved once,
every address it resolves to is checked, and the socket connects to the checked address,
so neither a redirect nor a DNS answer that changes between check and connect (rebinding)
reaches an internal service.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(httpx.TransportError):
    """The host resolves to an address we must not reach."""


class AddressPolicy:
    def __init__(self, allowed_networks: Iterable[IPNetwork] = ()) -> None:
        self.allowed_networks = tuple(allowed_networks)

    @classmethod
    def from_setting(cls, value: str) -> AddressPolicy:
        """`value`: comma-separated CIDRs ("127.0.0.1/32, 10.0.0.0/8"); empty for none."""
        return cls(ipaddress.ip_network(part.strip(), strict=False)
                   for part in value.split(",") if part.strip())

    @classmethod
    def allowing_everything(cls) -> AddressPolicy:
        """Every address, private ones included (a test's local receiver, say)."""
        return cls([ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")])

    def refusal(self, address: IPAddress) -> str | None:
        """Why `address` is refused, or None when the crawler may connect to it."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if any(address in network for network in self.allowed_networks):
            return None
        if not address.is_global or address.is_multicast:
            return f"{address} is not a public address (private, loopback, link-local or " \
                   "reserved)"
        return None

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address of `host`, checked; AddressRefused if any is not allowed."""
        try:
            answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
        for address in addresses:
            reason = self.refusal(ipaddress.ip_address(address.split("%", 1)[0]))
            if reason:
                raise AddressRefused(f"refused {host}: {reason}")
        return addresses


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to addresses the policy allows."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        name = host.decode() if isinstance(host, bytes) else host
        last_error: Exception | None = None
        for address in self._policy.resolve(name, port):
            try:
                return self._sockets.connect_tcp(address, port, timeout=timeout,
                                                 local_address=local_address,
                                                 socket_options=socket_options)
            except httpcore.ConnectError as exc:
                last_error = exc
        raise httpcore.ConnectError(f"cannot connect to {name}:{port}: {last_error}")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not crawled")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over `GuardedBackend`.

    httpx (0.28) takes no network backend, so the pool it built is replaced by an equal
    one over ours; TLS still verifies the certificate against the URL's host name."""

    def __init__(self, policy: AddressPolicy, *, max_connections: int = 10) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), max_connections=max_connections,
            max_keepalive_connections=max_connections, keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy))
