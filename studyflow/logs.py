"""Logging with the request id of the HTTP request being served (if any) on every line."""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [req=%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # The HTTP clients log every request at INFO: a line per model call on the default stack,
    # burying the lines that matter. The LLM ledger and the metrics record each call instead.
    for name in ("httpx", "httpx2"):
        logging.getLogger(name).setLevel(logging.WARNING)


# Failures Temporal retries as a matter of course (a model's unusable output asked for again, a
# provider's 429, an attempt cancelled at its timeout or heartbeat timeout): one line each. A
# traceback stays for everything unexpected.
EXPECTED_RETRY_ERRORS = frozenset({"LlmOutputInvalidError", "LlmUnavailableError", "CancelledError"})


class ExpectedRetryFilter(logging.Filter):
    """Turns the SDK's "Completing activity as failed" + traceback into one line for the
    failures in EXPECTED_RETRY_ERRORS; other records pass untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or type(error).__name__ not in EXPECTED_RETRY_ERRORS:
            return True
        details = getattr(record, "temporal_activity", None) or {}
        first_line = str(error).splitlines()[0][:300] if str(error) else ""
        record.msg = "activity %s attempt %s failed (%s: %s); Temporal retries it by its policy"
        record.args = (details.get("activity_type", "?"), details.get("attempt", "?"), type(error).__name__, first_line)
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_expected_retries() -> None:
    logging.getLogger("temporalio.activity").addFilter(ExpectedRetryFilter())
