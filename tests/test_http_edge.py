"""What the API answers before (or instead of) a route (issue 29, findings 5 and 9): request heads
are bounded where they arrive (431/414 in the JSON shape, memory flat under 3 × 10 MB headers),
every error answer has the JSON shape and the security headers, a 500 closes its connection, no
`server` header, invisible and direction-changing text is refused, refusals echo little."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from contextlib import AsyncExitStack

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.schemas.api_input import PRINTABLE_PATTERN, refuse_unprintable
from tests.support.api_process import spawn_api
from tests.support.app import open_api_client

SECURITY_HEADERS = ("x-content-type-options", "referrer-policy", "content-security-policy", "x-frame-options")


@pytest.fixture(scope="module")
def api_process(settings, temporal_env):
    address = temporal_env.client.service_client.config.target_host
    process, base_url = spawn_api(settings, address, MAX_URL_BYTES="8192")
    yield process, base_url
    process.terminate()
    process.wait(10)


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    raise AssertionError(field)


def _send_huge_headers(port: int) -> bytes:
    """One request with three 10 MB headers, sent as a client would; returns what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: studyflow.test\r\n")
            megabyte = b"a" * (1024 * 1024)
            for header in range(3):
                sock.sendall(f"X-Big-{header}: ".encode())
                for _ in range(10):
                    sock.sendall(megabyte)
                sock.sendall(b"\r\n")
            sock.sendall(b"\r\n")
        except OSError:
            pass  # refused mid-way: the answer is already waiting
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        return answer


def _exchange(port: int, request: bytes) -> tuple[int, dict[str, str], dict]:
    """Sends raw bytes; reads one whole answer (its head, then Content-Length bytes of body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        raw = b""
        while b"\r\n\r\n" not in raw or len(raw.partition(b"\r\n\r\n")[2]) < _length(raw):
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
    return _parse(raw)


def _length(raw: bytes) -> int:
    found = re.search(rb"(?i)content-length: (\d+)", raw.partition(b"\r\n\r\n")[0])
    return int(found.group(1)) if found else 0


def _parse(raw: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, json.loads(body)


def test_huge_headers_are_refused_as_they_arrive_and_memory_stays_flat(api_process):
    process, base_url = api_process
    port = int(base_url.rsplit(":", 1)[1])
    assert httpx.get(f"{base_url}/healthz").status_code == 200
    before, peak_before = _rss_mb(process.pid), _rss_mb(process.pid, "VmHWM")
    answers: list[bytes] = []
    threads = [threading.Thread(target=lambda: answers.append(_send_huge_headers(port))) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after, peak_after = _rss_mb(process.pid), _rss_mb(process.pid, "VmHWM")
    print(f"API RSS {before:.1f} → {after:.1f} MB, peak {peak_before:.1f} → {peak_after:.1f} MB")
    assert len(answers) == 10
    for raw in answers:
        status, headers, body = _parse(raw)
        assert status == 431
        assert body["error"]["code"] == "headers_too_large" and "65,536-byte limit" in body["error"]["message"]
        assert all(name in headers for name in SECURITY_HEADERS) and headers["connection"] == "close"
    # Before: 156 → 221 MB retained and a 533 MB peak for the same ten requests (all answered 200).
    assert peak_after - peak_before < 20 and after - before < 20
    assert httpx.get(f"{base_url}/healthz").status_code == 200


def test_too_many_headers_a_long_url_and_garbage_get_json_answers_without_a_server_header(api_process):
    _, base_url = api_process
    many = httpx.get(f"{base_url}/healthz", headers={f"x-h{i}": "1" for i in range(150)})
    long_url = httpx.get(f"{base_url}/healthz", params={"q": "a" * 20_000})
    assert (many.status_code, long_url.status_code) == (431, 414)
    assert "more than 100 headers" in many.json()["error"]["message"]
    assert long_url.json()["error"] == {
        "code": "uri_too_long",
        "message": "the URL is longer than the 8,192-byte limit",
    }
    port = int(base_url.rsplit(":", 1)[1])
    # Longer than httpx sends.
    assert _exchange(port, b"GET /healthz?q=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 414
    status, headers, body = _exchange(port, b"NOT HTTP AT ALL\r\n\r\n")
    assert status == 400 and body["error"]["code"] == "bad_request" and "content-security-policy" in headers
    ok = httpx.get(f"{base_url}/healthz")
    for response in (many, long_url, ok):
        assert "server" not in response.headers
        assert all(name in response.headers for name in SECURITY_HEADERS)


def test_an_idle_connection_outlives_uvicorns_five_seconds(api_process):
    """Kept open past uvicorn's default 5 s keep-alive: a client or proxy reusing a connection it
    still holds must not find it closed under its request (cli/api_server.py)."""
    _, base_url = api_process
    connection = http.client.HTTPConnection(base_url.removeprefix("http://"), timeout=10)
    try:
        statuses, sockets = [], []
        for pause in (0, 6.5):
            time.sleep(pause)
            connection.request("GET", "/healthz")
            sockets.append(connection.sock)
            response = connection.getresponse()  # RemoteDisconnected if the server had closed it
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()
    assert statuses == [200, 200]
    assert sockets[0] is sockets[1], "the second request went over a new connection"


def test_an_oversized_body_by_its_content_length_gets_the_json_shape(api_process):
    _, base_url = api_process
    port = int(base_url.rsplit(":", 1)[1])
    status, headers, body = _exchange(
        port,
        b"POST /v1/courses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n{}",
    )
    assert status == 413
    assert body["error"] == {
        "code": "payload_too_large",
        "message": "the request body is larger than the 1,048,576-byte limit",
    }
    assert all(name in headers for name in SECURITY_HEADERS)


async def test_a_500_has_the_json_shape_the_security_headers_and_closes_the_connection(settings, temporal_env):
    async with AsyncExitStack() as stack:
        api = await open_api_client(stack, settings, temporal_env)

        async def boom():
            raise RuntimeError("a bug")

        api.app.add_api_route("/v1/boom", boom)  # under /v1, where the web app's catch-all is not
        transport = httpx.ASGITransport(app=api.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://studyflow.test") as http:
            response = await http.get("/v1/boom")
    assert response.status_code == 500
    assert response.json()["error"] == {"code": "internal_error", "message": "internal server error"}
    assert response.headers["connection"] == "close"
    assert all(name in response.headers for name in SECURITY_HEADERS)


@pytest.mark.parametrize(
    ("topic", "says"),
    [
        ("\u200b\u200b\u200b", "only invisible characters"),
        ("\u200b \u200d \ufeff", "only invisible characters"),
        ("safe \u202eexe.doc", "bidirectional control U+202E"),
        ("isolate \u2066x\u2069", "bidirectional control U+2066"),
        ("next line\u0085here", "control character U+0085"),
        ("csi \u009b31m", "control character U+009B"),
    ],
)
async def test_invisible_and_direction_changing_text_is_refused(api, user_a, topic, says):
    response = await api.http.post("/v1/courses", json={"topic": topic}, headers=api.auth(user_a))
    assert response.status_code == 422, response.text
    assert says in response.json()["error"]["message"]


async def test_text_with_a_zero_width_joiner_between_letters_is_fine(api, user_a):
    response = await api.http.post(
        "/v1/conversations", json={"title": "Emoji 👩\u200d💻 and da\u00adshes"}, headers=api.auth(user_a)
    )
    assert response.status_code == 201, response.text


async def test_a_refusal_echoes_a_little_of_a_huge_value_not_all_of_it(api, user_a):
    huge = "q" * 1_000_000
    # An unknown key is named in the field's path: all 1 MB of it, once.
    attempt = await api.http.post(
        "/v1/courses", json={"topic": "Rust", "preferences": {huge: "x"}}, headers=api.auth(user_a)
    )
    card = await api.http.get(f"/v1/flashcards/{'c' * 5000}", headers=api.auth(user_a))
    many = await api.http.post(
        "/v1/courses",
        json={"topic": "Rust", "preferences": {f"unknown-{i}": "x" for i in range(5000)}},
        headers=api.auth(user_a),
    )
    for response in (attempt, card, many):
        assert response.status_code in (404, 422), response.text[:200]
        assert len(response.content) < 8000, len(response.content)
    assert "1,000,000 characters" in attempt.json()["error"]["message"]
    assert len(many.json()["error"]["fields"]) == 20


# The document's pattern and the server's check are one rule: on text drawn from the characters
# either treats specially (and ordinary ones), they agree.
_SPECIAL = (
    "\x00\x07\t\n\r \x7f\x80\x85\x9f\xa0\xad\u061c\u180e\u200b\u200d\u200f"
    "\u2028\u202a\u202e\u2060\u2066\u2069\ufe0f\ufeff\u3000"
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(_SPECIAL + "ab é😀"), max_size=8))
def test_the_documented_pattern_and_the_check_agree(text):
    try:
        refuse_unprintable(text)
        accepted = True
    except ValueError:
        accepted = False
    assert accepted == bool(re.fullmatch(PRINTABLE_PATTERN, text))


def test_the_openapi_document_states_the_printable_rule():
    from api.openapi_document import openapi_document

    document = json.dumps(openapi_document())
    assert json.dumps(PRINTABLE_PATTERN) in document


async def test_the_docs_page_loads_only_its_own_assets_which_its_policy_allows(api):
    page = await api.http.get("/docs")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    # No inline script (the policy would refuse it) and nothing from another origin.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/' in attributes and not body.strip() for attributes, body in scripts)
    referenced = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert all(url.startswith("/") and not url.startswith("//") for url in referenced), referenced
    for url in referenced:
        asset = await api.http.get(url)
        assert asset.status_code == 200 and asset.content, url
    assert "/openapi.json" in (await api.http.get("/docs/start.js")).text
    assert (await api.http.get("/docs/assets/index.html")).status_code == 404
    assert (await api.http.get("/redoc")).status_code == 404
