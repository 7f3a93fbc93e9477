"""The one error a service raises to refuse a request: an HTTP status (the API answers with it, in
the JSON error shape), a message a learner can read, and optional headers (Retry-After)."""

from __future__ import annotations

CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    503: "unavailable",
}


class ServiceError(Exception):
    def __init__(self, status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = headers


def not_found(what: str, ident: object) -> ServiceError:
    return ServiceError(404, f"{what} {ident} not found")
