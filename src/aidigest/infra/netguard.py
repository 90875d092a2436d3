"""No SSRF: fetched links (and every redirect hop) never reach loopback, private, link-local, multicast,
reserved or unspecified addresses unless the config allows it.

Two layers, both used by `aidigest.infra.http.HttpClient`:

- `check_url(url)` (no DNS): every request and every redirect hop, before anything is sent. Refuses
  non-http(s) schemes, `localhost` names and literal addresses outside the allowed set. In replay mode this
  is the only layer (nothing is connected).
- `GuardedBackend`: an httpcore network backend that resolves the host name itself, keeps only the
  addresses the policy allows and connects to one of those IPs (TLS still uses the host name for SNI and
  certificate checks). The address checked is the address connected, so a DNS answer that changes between
  a check and the connect (DNS rebinding) cannot slip through.

IPv4-mapped (`::ffff:127.0.0.1`), 6to4 and Teredo IPv6 addresses are judged by the IPv4 address inside.
Limitation: behind an HTTP proxy configured in the environment (HTTP(S)_PROXY) the proxy makes the
connections, so only the first layer applies to names (literal addresses are still refused).

The policy: `[http] allow_private = true` allows everything (an intranet deployment); `[http] allow_networks`
lists CIDR networks allowed anyway (tests that serve pages from 127.0.0.1 use `["127.0.0.1/32"]`).
"""

from __future__ import annotations

from ..errors import SourceError

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(SourceError):
    """A request to an address the policy forbids. Not retried; counted and named in run health."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"{url}: refused, {reason}")
        self.url = url
        self.reason = reason


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` is not a public unicast address (None when it is)."""
    inner = _embedded_v4(ip)
    if inner is not None:
        why = address_problem(inner)
        return f"{why} (inside {ip})" if why else None
    for attr, what in (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    ):
        if getattr(ip, attr):
            return f"{what} address {ip}"
    if not ip.is_global:
        return f"non-public address {ip}"
    return None


class AddressPolicy:
    def __init__(self, allow_private: bool = False, allow_networks: Iterable[str] = ()):
        self.allow_private = allow_private
        self.networks = [ipaddress.ip_network(n, strict=False) for n in allow_networks]

    def problem(self, ip: IPAddress) -> str | None:
        if self.allow_private:
            return None
        check = _embedded_v4(ip) or ip
        if any(check.version == n.version and check in n for n in self.networks):
            return None
        return address_problem(ip)

    def check_url(self, url: str) -> None:
        """Raise BlockedAddress for a URL the policy refuses without a DNS lookup (scheme, localhost, literal IP)."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".").lower()
        except ValueError:
            raise BlockedAddress(url, "not a valid URL") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise BlockedAddress(url, f"scheme {parts.scheme!r} is not http(s)")
        if not host:
            raise BlockedAddress(url, "no host")
        if self.allow_private:
            return
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
        try:
            ip = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            ip = _legacy_ipv4(host)
        if ip is None:
            if host == "localhost" or host.endswith(".localhost"):
                ip = ipaddress.ip_address("127.0.0.1")
            else:
                return  # a name: judged on its DNS answers by GuardedBackend
        why = self.problem(ip)
        if why:
            raise BlockedAddress(url, why)


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """`2130706433`, `0x7f.1`, `127.1`: forms inet_aton accepts (and so might a resolver)."""
    if not host or not all(c in "0123456789abcdefx." for c in host) or not host[0].isdigit():
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check, connect to the checked IP. Wraps httpcore's default backend."""

    def __init__(self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None):
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        url = f"//{host}:{port}"
        try:
            literal: IPAddress | None = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        except ValueError:
            literal = None
        if literal is not None:
            candidates = [literal]
        else:
            loop = asyncio.get_running_loop()
            try:
                infos = await asyncio.wait_for(
                    loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=timeout or None
                )
            except TimeoutError:
                raise httpcore.ConnectTimeout(f"DNS lookup of {host} timed out") from None
            except OSError as e:
                raise httpcore.ConnectError(f"DNS lookup of {host} failed: {e}") from None
            candidates = []
            for info in infos:
                ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
                if ip not in candidates:
                    candidates.append(ip)
        problems = []
        last_error: Exception | None = None
        for ip in candidates:
            why = self.policy.problem(ip)
            if why:
                problems.append(why)
                continue
            try:
                return await self.inner.connect_tcp(
                    str(ip), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                last_error = e
        if last_error is not None:
            raise last_error
        raise BlockedAddress(url, f"{host} resolves only to " + "; ".join(problems or ["nothing"]))

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise BlockedAddress(path, "unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
