"""What Clerk and Stripe may send us, as schemas: checked at the edge (the webhook routes) before
anything is written, and again where a stored Clerk event is applied (the provisioning activity),
so an unusable payload is refused in one place with a reason instead of failing somewhere deeper
(a 500, or an activity retried forever on a database error).

Two layers. `parse_json_strictly` turns the signed body into plain JSON values or refuses it:
NaN/Infinity, numbers beyond 2**53, NUL in any string (PostgreSQL's JSONB cannot hold it), strings
longer than `MAX_STRING`, nesting deeper than `MAX_DEPTH`. Then the models say which shapes an
event may have; every bound in them matches a column it ends up in (ids ≤ 255, event types ≤ 100,
emails ≤ 320)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

MAX_DEPTH = 32
MAX_STRING = 16 * 1024
MAX_INT = 2**53  # beyond this a JSON number is not exact in most parsers; no provider sends one
MAX_REASON = 300


class MalformedPayload(ValueError):
    """The body is not a JSON value we accept; the message says why (it is echoed to the sender)."""


def _refuse_constant(name: str) -> Any:
    raise MalformedPayload(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_INT:
        raise MalformedPayload(f"the number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    # The digits are bounded before int() runs, so a 100 KB number costs nothing.
    if len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_INT:
        raise MalformedPayload(f"the number {text[:40]}{'…' if len(text) > 40 else ''} is out of range")
    return int(text)


def _check_string(value: str, where: str) -> None:
    if "\x00" in value:
        raise MalformedPayload(f"{where} contains NUL (U+0000)")
    if len(value) > MAX_STRING:
        raise MalformedPayload(f"{where} is longer than {MAX_STRING:,} characters")


def parse_json_strictly(body: bytes | str) -> Any:
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except MalformedPayload:
        raise
    except RecursionError:
        raise MalformedPayload(f"nested deeper than {MAX_DEPTH} levels") from None
    except UnicodeDecodeError:
        raise MalformedPayload("the body is not UTF-8 text") from None
    except ValueError as exc:  # json.JSONDecodeError is one
        raise MalformedPayload(f"not JSON: {str(exc)[:120]}") from None
    # One walk, without recursion, so depth is measured rather than paid for.
    pending: list[tuple[Any, int, str]] = [(value, 1, "body")]
    while pending:
        item, depth, where = pending.pop()
        if isinstance(item, str):
            _check_string(item, where)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise MalformedPayload(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_string(key, f"a key in {where}")
                    pending.append((child, depth + 1, f"{where}.{key[:40]}"))
            else:
                pending.extend((child, depth + 1, f"{where}[{i}]") for i, child in enumerate(item))
    return value


def reason_of(error: ValidationError) -> str:
    """A validation error in one line, short enough to store and to answer with."""
    parts = []
    for detail in error.errors(include_url=False, include_input=False)[:3]:
        where = ".".join(str(p) for p in detail["loc"]) or "body"
        parts.append(f"{where}: {detail['msg']}")
    return "; ".join(parts)[:MAX_REASON]


# --- shared field shapes ------------------------------------------------------------------------
# Provider ids (evt_…, cus_…, sub_…, user_…, idn_…, msg_…): short and plain, as their columns are.
ProviderId = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.:\-]+$")]
# Clerk's types are camelCase past the dot's left side (`organizationMembership.created`).
EventType = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.]+$")]
ShortText = Annotated[str, StringConstraints(max_length=500)]
# Seconds since the epoch, up to the year 36812: a datetime can always hold it.
Timestamp = Annotated[int, Field(ge=0, le=2**40)]


class _Strict(BaseModel):
    # Strict: `true` is not 1 and "1" is not an int. Unknown fields are the providers' business.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


@overload
def timestamp(value: int) -> datetime: ...
@overload
def timestamp(value: int | None) -> datetime | None: ...
def timestamp(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value is not None else None


# --- Stripe -------------------------------------------------------------------------------------
class StripeEventData(_Strict):
    object: dict[str, Any]


class StripeEvent(_Strict):
    """The envelope: enough to record the event under its id and know what it is about."""

    id: ProviderId
    type: EventType
    created: Timestamp
    data: StripeEventData


SubscriptionStatus = Literal[
    "incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid", "paused"
]


class _StripeObject(_Strict):
    id: ProviderId
    customer: ProviderId | None = None
    metadata: dict[Annotated[str, StringConstraints(max_length=40)], ShortText] = Field(
        default_factory=dict, max_length=50
    )


class _PeriodItem(_Strict):
    current_period_end: Timestamp | None = None


class _SubscriptionItems(_Strict):
    data: list[_PeriodItem] = Field(default_factory=list, max_length=100)


class StripeSubscription(_StripeObject):
    status: SubscriptionStatus
    current_period_end: Timestamp | None = None
    # Newer API versions keep the period on the items.
    items: _SubscriptionItems | None = None

    @property
    def period_end(self) -> datetime | None:
        if self.current_period_end is not None:
            return timestamp(self.current_period_end)
        first = self.items.data[0] if self.items and self.items.data else None
        return timestamp(first.current_period_end) if first else None


class StripeCheckoutSession(_StripeObject):
    mode: Literal["payment", "setup", "subscription"]
    payment_status: Literal["paid", "unpaid", "no_payment_required"]
    client_reference_id: Annotated[str, StringConstraints(max_length=200)] | None = None
    subscription: ProviderId | None = None


class StripeInvoice(_StripeObject):
    amount_due: Annotated[int, Field(ge=0, le=10**12)] | None = None
    currency: Annotated[str, StringConstraints(max_length=8)] | None = None


STRIPE_OBJECTS: dict[str, type[StripeCheckoutSession] | type[StripeSubscription] | type[StripeInvoice]] = {
    "checkout.session.completed": StripeCheckoutSession,
    "customer.subscription.created": StripeSubscription,
    "customer.subscription.updated": StripeSubscription,
    "customer.subscription.deleted": StripeSubscription,
    "invoice.payment_failed": StripeInvoice,
}


# --- Clerk (Svix) -------------------------------------------------------------------------------
Email = Annotated[str, StringConstraints(min_length=3, max_length=320, pattern=r"^[^\s@]+@[^\s@]+$")]


class ClerkEmailAddress(_Strict):
    id: ProviderId
    email_address: Email


class ClerkUser(_Strict):
    """`data` of user.created and user.updated."""

    id: ProviderId
    primary_email_address_id: ProviderId | None = None
    email_addresses: list[ClerkEmailAddress] = Field(default_factory=list, max_length=100)

    @property
    def primary_email(self) -> str | None:
        for address in self.email_addresses:
            if self.primary_email_address_id is None or address.id == self.primary_email_address_id:
                return address.email_address
        return None


class ClerkDeletedUser(_Strict):
    """`data` of user.deleted: the id (and `deleted: true`)."""

    id: ProviderId


class ClerkOrganization(_Strict):
    """`data` of organization.created and organization.updated, and a membership's organisation.
    `updated_at` (milliseconds) orders deliveries that Svix may bring out of order."""

    id: ProviderId
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    updated_at: Annotated[int, Field(ge=0, le=MAX_INT)] | None = None


class ClerkDeletedOrganization(_Strict):
    """`data` of organization.deleted: the id (and `deleted: true`)."""

    id: ProviderId


class ClerkPublicUserData(_Strict):
    user_id: ProviderId
    identifier: Annotated[str, StringConstraints(max_length=320)] | None = None
    first_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    last_name: Annotated[str, StringConstraints(max_length=100)] | None = None

    @property
    def display_name(self) -> str | None:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name[:200] or None


class ClerkMembership(_Strict):
    """`data` of organizationMembership.created, .updated and .deleted: one person in one
    organisation with a role key (`org:admin`, `org:member`, a custom `org:tutor`)."""

    id: ProviderId
    organization: ClerkOrganization
    public_user_data: ClerkPublicUserData
    role: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    updated_at: Annotated[int, Field(ge=0, le=MAX_INT)] | None = None


class ClerkEvent(_Strict):
    """The envelope. `data` is checked by the event's type (`clerk_event_data`)."""

    type: EventType
    data: Any = None


ClerkData = ClerkUser | ClerkDeletedUser | ClerkOrganization | ClerkDeletedOrganization | ClerkMembership
CLERK_USER_EVENTS: dict[str, type[ClerkData]] = {
    "user.created": ClerkUser,
    "user.updated": ClerkUser,
    "user.deleted": ClerkDeletedUser,
}
CLERK_ORGANIZATION_EVENTS: dict[str, type[ClerkData]] = {
    "organization.created": ClerkOrganization,
    "organization.updated": ClerkOrganization,
    "organization.deleted": ClerkDeletedOrganization,
    "organizationMembership.created": ClerkMembership,
    "organizationMembership.updated": ClerkMembership,
    "organizationMembership.deleted": ClerkMembership,
}
CLERK_EVENTS = {**CLERK_USER_EVENTS, **CLERK_ORGANIZATION_EVENTS}


def clerk_event_data(event_type: str, data: Any) -> ClerkData:
    """Raises ValidationError (or KeyError for a type we do not handle)."""
    return CLERK_EVENTS[event_type].model_validate(data)
