"""URL sources connect to the address that was checked (issue 29, finding 6: DNS rebinding).

The name service is the test's: a resolver that answers a public address first and a loopback one
after, as a rebinding name does. No traffic leaves the machine: where the checked address is a
public one, the fetch goes through a transport that records the request instead of sending it."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from activities.errors import SourceUnreadableError
from activities.sources.url_fetch import fetch_page
from tests.support.web_pages import WebPages

PUBLIC = ipaddress.ip_address("93.184.216.34")
LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.fixture
def web_pages():
    pages = WebPages()
    yield pages
    pages.close()


class Rebinding:
    """Answers each lookup of a name with the next address in its list (the last one repeats)."""

    def __init__(self, **answers: list) -> None:
        self.answers = {name.replace("_", "."): list(addresses) for name, addresses in answers.items()}
        self.asked: list[str] = []

    async def __call__(self, host: str):
        self.asked.append(host)
        addresses = self.answers[host]
        return [addresses.pop(0) if len(addresses) > 1 else addresses[0]]


class Recorder(httpx.AsyncBaseTransport):
    """Where a request would have gone: the address connected to, the Host header, the SNI name."""

    def __init__(self, reply) -> None:
        self.requests: list[httpx.Request] = []
        self._reply = reply

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._reply(request)


async def test_the_connection_goes_to_the_checked_public_address_not_a_second_answer(tmp_path):
    resolver = Rebinding(rebind_test=[PUBLIC, LOOPBACK])
    network = Recorder(lambda _: httpx.Response(200, text="<html><body><p>public page</p></body></html>"))
    fetched = await fetch_page(
        "https://rebind.test/page",
        tmp_path / "page",
        max_bytes=10_000,
        timeout_seconds=5,
        allow_private=False,
        resolve=resolver,
        transport=network,
    )
    assert resolver.asked == ["rebind.test"]  # once: what was checked is what is used
    [request] = network.requests
    assert request.url.host == str(PUBLIC) and request.url.path == "/page"
    assert request.headers["Host"] == "rebind.test"
    assert request.extensions["sni_hostname"] == "rebind.test"  # TLS still checks the name's certificate
    assert fetched.final_url == "https://rebind.test/page" and fetched.size_bytes > 0


async def test_a_redirect_into_a_private_network_is_checked_at_its_own_hop(tmp_path):
    resolver = Rebinding(outside_test=[PUBLIC], inside_test=[LOOPBACK])
    network = Recorder(lambda _: httpx.Response(302, headers={"Location": "http://inside.test/admin"}))
    with pytest.raises(SourceUnreadableError, match="inside.test points into a private network"):
        await fetch_page(
            "http://outside.test/",
            tmp_path / "page",
            max_bytes=10_000,
            timeout_seconds=5,
            allow_private=False,
            resolve=resolver,
            transport=network,
        )
    assert [r.url.host for r in network.requests] == [str(PUBLIC)]


async def test_a_real_fetch_reads_from_the_one_resolved_address_with_the_name_as_host(tmp_path, web_pages):
    """Over the loopback network: the name first answers the address the page is served on, then
    one where nothing listens; the fetch succeeds, so it connected to the first answer."""
    url = web_pages.serve("/notes", b"<html><body><p>served on loopback</p></body></html>")
    port = int(url.split(":")[2].split("/")[0])
    resolver = Rebinding(pages_test=[LOOPBACK, ipaddress.ip_address("127.0.0.2")])
    fetched = await fetch_page(
        f"http://pages.test:{port}/notes",
        tmp_path / "page",
        max_bytes=10_000,
        timeout_seconds=5,
        allow_private=True,
        resolve=resolver,
    )
    assert resolver.asked == ["pages.test"]
    assert (tmp_path / "page").read_bytes() == b"<html><body><p>served on loopback</p></body></html>"
    assert web_pages.hosts[-1] == f"pages.test:{port}"
    assert fetched.size_bytes > 0


async def test_names_that_do_not_resolve_or_are_not_host_names_say_so(tmp_path):
    async def nothing(_host: str):
        return []

    with pytest.raises(SourceUnreadableError, match="does not resolve"):
        await fetch_page(
            "http://nowhere.test/",
            tmp_path / "p",
            max_bytes=10,
            timeout_seconds=1,
            allow_private=False,
            resolve=nothing,
        )
    with pytest.raises(SourceUnreadableError, match="not a valid host name"):
        await fetch_page(
            "http://" + "a" * 70 + ".test/", tmp_path / "p", max_bytes=10, timeout_seconds=1, allow_private=False
        )
