"""Sign webhook deliveries the way Clerk (Svix) and Stripe do, with test secrets."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime

from svix.webhooks import Webhook

CLERK_SECRET = "whsec_" + "c3R1ZHlmbG93LXRlc3QtY2xlcmstc2VjcmV0LTMyYnl0ZXM="
STRIPE_SECRET = "whsec_studyflow_test_stripe_secret"


def clerk_delivery(event: dict, *, secret: str = CLERK_SECRET, at: float | None = None, msg_id: str | None = None):
    body = json.dumps(event)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = datetime.fromtimestamp(at if at is not None else time.time(), tz=UTC)
    signature = Webhook(secret).sign(msg_id, timestamp, body)
    headers = {
        "svix-id": msg_id,
        "svix-timestamp": str(int(timestamp.timestamp())),
        "svix-signature": signature,
        "content-type": "application/json",
    }
    return body, headers


def clerk_user_event(kind: str, clerk_id: str, email: str | None = None) -> dict:
    data: dict = {"id": clerk_id, "object": "user"}
    if email:
        data |= {"primary_email_address_id": "idn_1", "email_addresses": [{"id": "idn_1", "email_address": email}]}
    return {"type": f"user.{kind}", "object": "event", "data": data}


def stripe_delivery(event: dict, *, secret: str = STRIPE_SECRET, at: float | None = None):
    body = json.dumps(event)
    timestamp = int(at if at is not None else time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return body, {"stripe-signature": f"t={timestamp},v1={mac}", "content-type": "application/json"}


def stripe_event(event_type: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": event_type,
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {"object": obj},
    }
