"""Fetch a learner's web page into a file: bounded in time and size, redirects followed by hand
so every hop is checked, and (unless allowed) never into private or loopback networks."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from activities.errors import SourceUnreadableError

MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchedPage:
    final_url: str
    size_bytes: int


async def _refuse_private(host: str) -> None:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise SourceUnreadableError(f"The web address {host} does not exist (its name does not resolve).") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise SourceUnreadableError(
                f"The web address {host} points into a private network; we only read public web pages."
            )


async def fetch_page(
    url: str, destination: Path, *, max_bytes: int, timeout_seconds: float, allow_private: bool
) -> FetchedPage:
    async with httpx.AsyncClient(follow_redirects=False, timeout=timeout_seconds) as client:
        for _ in range(MAX_REDIRECTS + 1):
            host = urlsplit(url).hostname or ""
            if not allow_private:
                await _refuse_private(host)
            try:
                async with client.stream(
                    "GET", url, headers={"Accept": "text/html, text/plain, application/pdf"}
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
                    return FetchedPage(final_url=str(response.url), size_bytes=len(body))
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
