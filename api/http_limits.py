"""Limits on the request head (request line and headers), enforced where the bytes arrive.

uvicorn's httptools parser (llhttp) has no limit of its own: three 10 MB headers were buffered
whole, per request and unauthenticated, before the app could look at them (199 → 406 MB of API
memory after ten such requests). h11's `h11_max_incomplete_event_size` bounds h11 only, and
answers in plain text. So the API serves through this subclass of uvicorn's httptools protocol:
it counts the bytes of the head as they arrive and the headers as they are parsed, and past a
limit answers at once — 414 for a long URL, 431 for too many or too large headers, 400 for a
request that is not HTTP — in the API's JSON error shape with its security headers, then reads
and drops what the client still sends for a moment and closes. The app never sees the request.

`studyflow api` (cli/api_server.py) selects it: `http="api.http_limits:BoundedHttpToolsProtocol"`.
"""

from __future__ import annotations

import json

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.security_headers import STATIC_HEADERS
from studyflow.settings import get_settings

# After a refusal, what the client is still sending is read and dropped for this long, so it
# reads our answer rather than a connection reset.
DRAIN_SECONDS = 1.0


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 response in the API's error shape, closing the connection."""
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    head = [STATUS_LINE[status]]
    for name, value in (
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *STATIC_HEADERS,
    ):
        head += [name, b": ", value, b"\r\n"]
    return b"".join([*head, b"\r\n", body])


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.max_url_bytes = settings.max_url_bytes
        self.max_head_bytes = settings.max_header_bytes
        self.max_headers = settings.max_headers
        self._head_bytes = 0
        self._head_complete = False
        self._header_count = 0
        self._refused = False

    # A head is counted from the first byte after the previous message to its blank line.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_count = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > self.max_url_bytes:
            raise _Refused(414, "uri_too_long", f"the URL is longer than the {self.max_url_bytes:,}-byte limit")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.max_headers:
            raise _Refused(431, "headers_too_large", f"the request has more than {self.max_headers} headers")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_complete = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_complete, self._head_bytes = False, 0

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # draining: the answer is sent, the connection closes shortly
        if not self._head_complete:
            self._head_bytes += len(data)
        try:
            self._unset_keepalive_if_required()
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:
            refused = error.__context__
            if isinstance(refused, _Refused):
                self._refuse(refused)
                return
            self._refuse(_Refused(400, "bad_request", "the request is not valid HTTP"))
            return
        except httptools.HttpParserError:
            self._refuse(_Refused(400, "bad_request", "the request is not valid HTTP"))
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        # Checked after feeding: a chunk that completes a small head and carries body is fine.
        if not self._head_complete and self._head_bytes > self.max_head_bytes:
            self._refuse(
                _Refused(431, "headers_too_large", f"the request headers exceed the {self.max_head_bytes:,}-byte limit")
            )

    def send_400_response(self, msg: str) -> None:
        self._refuse(_Refused(400, "bad_request", "the request is not valid HTTP"))

    def _refuse(self, refused: _Refused) -> None:
        self.logger.warning("refused a request head: %s", refused.message)
        self._refused = True
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined or in-flight request on this connection: it ends here.
            self.cycle.disconnected = True
        self.transport.write(error_response(refused.status, refused.code, refused.message))
        self.headers = []  # the partial head is garbage now
        self.loop.call_later(DRAIN_SECONDS, self._close)

    def _close(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()
