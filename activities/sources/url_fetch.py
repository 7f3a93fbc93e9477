"""Fetch a learner's web page into a file: bounded in time and size, redirects followed by hand
so every hop is checked, and (unless allowed) never into private or loopback networks.

Each hop's host is resolved once, the addresses are checked, and the connection is made to the
checked address itself (the Host header and TLS's SNI and certificate check still name the host).
Resolving again to connect let a name answer a public address to the check and 127.0.0.1 to the
connection (DNS rebinding), and the local page was fetched."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from activities.errors import SourceUnreadableError

MAX_REDIRECTS = 5
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], Awaitable[list[Address]]]


async def resolve_host(host: str) -> list[Address]:
    """Every address the name has (an address literal is its own)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


@dataclass(frozen=True)
class FetchedPage:
    final_url: str
    size_bytes: int


async def _checked_address(host: str, resolve: Resolver, allow_private: bool) -> Address:
    try:
        addresses = await resolve(host)
    except (socket.gaierror, UnicodeError):
        addresses = []
    if not addresses:
        raise SourceUnreadableError(f"The web address {host} does not exist (its name does not resolve).")
    if not allow_private and any(not address.is_global for address in addresses):
        raise SourceUnreadableError(
            f"The web address {host} points into a private network; we only read public web pages."
        )
    return addresses[0]


def _ascii_host(host: str) -> str:
    """The name as DNS, the Host header and SNI carry it (IDNA for a non-ASCII name)."""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise SourceUnreadableError(f"The web address {host[:100]} is not a valid host name.") from None


def _to_address(url: str, address: Address) -> tuple[str, str]:
    """The URL with its host replaced by the address, and the Host header it should carry."""
    parts = urlsplit(url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host = _ascii_host(parts.hostname or "")
    name = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
    host_header = name if parts.port is None else f"{name}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), host_header


async def fetch_page(
    url: str,
    destination: Path,
    *,
    max_bytes: int,
    timeout_seconds: float,
    allow_private: bool,
    resolve: Resolver = resolve_host,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FetchedPage:
    """`resolve` and `transport` are for tests: a name service and a network they control."""
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout_seconds, transport=transport) as client:
        for _ in range(MAX_REDIRECTS + 1):
            host = _ascii_host(urlsplit(url).hostname or "")
            address = await _checked_address(host, resolve, allow_private)
            target, host_header = _to_address(url, address)
            try:
                async with client.stream(
                    "GET",
                    target,
                    headers={"Accept": "text/html, text/plain, application/pdf", "Host": host_header},
                    # TLS names (and checks the certificate against) the host, not the address.
                    extensions={"sni_hostname": host},
                ) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    if response.status_code >= 400:
                        raise SourceUnreadableError(
                            f"The page answered HTTP {response.status_code} ({response.reason_phrase or 'error'}); "
                            "check the address, or upload the page as a file."
                        )
                    body = bytearray()
                    async for block in response.aiter_bytes():
                        body += block
                        if len(body) > max_bytes:
                            raise SourceUnreadableError(
                                f"The page is larger than {max_bytes // (1024 * 1024)} MB, the most we read."
                            )
                    await asyncio.to_thread(destination.write_bytes, bytes(body))
                    return FetchedPage(final_url=url, size_bytes=len(body))
            except httpx.TimeoutException:
                raise SourceUnreadableError(
                    f"The page did not answer within {timeout_seconds:g} seconds; try again later "
                    "or upload it as a file."
                ) from None
            except httpx.HTTPError as error:
                raise SourceUnreadableError(
                    f"The page could not be reached ({type(error).__name__}); check the address or upload it as a file."
                ) from None
    raise SourceUnreadableError(f"The page redirected more than {MAX_REDIRECTS} times; upload it as a file instead.")
