"""Session-token verification with clerk-backend-api, and the signed-in learner as a dependency.

Embedded default: the local dev key pair's public key is used as Clerk's `jwt_key`, so dev tokens
take exactly the code path real Clerk tokens take.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from clerk_backend_api.security import authenticate_request_async
from clerk_backend_api.security.types import AuthenticateRequestOptions
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.db_session import get_session
from api.dev_auth import ensure_keypair
from api.errors import ApiError
from db.models import User
from services.actor import Actor
from studyflow.settings import Settings


@dataclass(frozen=True)
class Principal:
    clerk_id: str
    email: str | None


# The signed-in learner as the services see them.
CurrentUser = Actor


# Verified tokens kept per process: a poller sends the same token every two seconds, and the
# signature check (an RSA verify plus the SDK's parsing) is the same answer until it expires.
# Only the token is cached; the learner's row (a deleted account) is read on every request.
VERIFIED_TOKENS_KEPT = 10_000


class Authenticator:
    def __init__(self, settings: Settings):
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        jwt_key = settings.clerk_jwt_key
        if settings.uses_embedded_auth:
            _, jwt_key = ensure_keypair(settings.dev_key_dir)
        self._options = AuthenticateRequestOptions(
            jwt_key=jwt_key,
            secret_key=settings.clerk_secret_key.get_secret_value() if settings.clerk_secret_key else None,
            authorized_parties=settings.clerk_authorized_parties or None,
            accepts_token=["session_token"],
        )

    async def authenticate(self, request: Request) -> Principal:
        if not request.headers.get("authorization") and "__session" not in request.headers.get("cookie", ""):
            raise unauthenticated("missing bearer token")
        # The SDK reads the header when there is one, else the cookie: the same key means the same token.
        credential = request.headers.get("authorization") or request.headers.get("cookie", "")
        known = self._verified.get(credential)
        if known is not None and known[1] > time.time():
            self._verified.move_to_end(credential)
            return known[0]
        principal, expires_at = await self._verify(request)
        if expires_at is not None:
            self._verified[credential] = (principal, expires_at)
            if len(self._verified) > VERIFIED_TOKENS_KEPT:
                self._verified.popitem(last=False)
        return principal

    async def _verify(self, request: Request) -> tuple[Principal, float | None]:
        try:
            state = await authenticate_request_async(request, self._options)
        except Exception as exc:  # PyJWT raises on garbage the SDK does not map (e.g. bad base64)
            raise unauthenticated("malformed token") from exc
        if not state.is_signed_in or not state.payload:
            raise unauthenticated(state.reason.value[0] if state.reason else "invalid token")
        subject = state.payload.get("sub")
        if not isinstance(subject, str) or not subject:
            raise unauthenticated("token has no subject")
        email = state.payload.get("email")
        expires_at = state.payload.get("exp")
        return (
            Principal(clerk_id=subject, email=email if isinstance(email, str) else None),
            float(expires_at) if isinstance(expires_at, (int, float)) else None,
        )


def unauthenticated(reason: str) -> ApiError:
    return ApiError(401, f"authentication failed: {reason}", headers={"WWW-Authenticate": "Bearer"})


# Declared so the OpenAPI document lists the bearer scheme on every route that needs a token; the
# Authenticator reads and verifies the header itself.
_bearer = HTTPBearer(auto_error=False, description="a Clerk session token (or an embedded dev token)")


async def current_principal(request: Request, _: HTTPAuthorizationCredentials | None = Security(_bearer)) -> Principal:
    return await request.app.state.authenticator.authenticate(request)


async def current_user(
    principal: Principal = Depends(current_principal), session: AsyncSession = Depends(get_session)
) -> CurrentUser:
    """The learner named by the verified token; created on first sight (webhooks can arrive late).
    ON CONFLICT makes concurrent first requests and the webhook converge on one row."""
    row = (
        await session.execute(select(User.id, User.plan, User.deleted_at).where(User.clerk_id == principal.clerk_id))
    ).first()
    if row is None:
        await session.execute(
            insert(User)
            .values(clerk_id=principal.clerk_id, email=principal.email)
            .on_conflict_do_nothing(index_elements=["clerk_id"])
        )
        await session.commit()
        row = (
            await session.execute(
                select(User.id, User.plan, User.deleted_at).where(User.clerk_id == principal.clerk_id)
            )
        ).one()
    if row.deleted_at is not None:
        raise unauthenticated("account deleted")
    return CurrentUser(id=row.id, clerk_id=principal.clerk_id, plan=row.plan)
