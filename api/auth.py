"""Session-token verification with clerk-backend-api, and the signed-in learner as a dependency.

Embedded default: the local dev key pair's public key is used as Clerk's `jwt_key`, so dev tokens
take exactly the code path real Clerk tokens take.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from clerk_backend_api.security import authenticate_request_async
from clerk_backend_api.security.types import AuthenticateRequestOptions
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from api.db_session import get_session
from api.dev_auth import ensure_keypair
from api.errors import ApiError
from api.learner_turns import LearnerTurns, Turn
from api.token_claims import ClaimError, Principal, principal_from
from services.actor import Actor
from services.identity import resolve_actor
from studyflow.settings import Settings

# The signed-in learner as the services see them.
CurrentUser = Actor


# Verified tokens kept per process: a poller sends the same token every two seconds, and the
# signature check (an RSA verify plus the SDK's parsing) is the same answer until it expires.
# Only the token is cached; the learner's row (a deleted account) is read on every request.
VERIFIED_TOKENS_KEPT = 10_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
            clock_skew_in_ms=int(settings.token_clock_skew_seconds * 1000),
        )
        self._parties = list(settings.clerk_authorized_parties)
        self._max_lifetime = settings.token_max_lifetime_seconds

    async def authenticate(self, request: Request) -> Principal:
        bearer = request.headers.get("authorization")
        cookie = "__session" in request.headers.get("cookie", "")
        if not bearer and cookie and request.method not in SAFE_METHODS:
            # A browser sends cookies with cross-site form and multipart posts too (CSRF): a change
            # needs the bearer header, which only the app's own code can set.
            raise unauthenticated("a session cookie alone cannot change anything; send the bearer token")
        if not bearer and not cookie:
            raise unauthenticated("missing bearer token")
        # The SDK reads the header when there is one, else the cookie: the same key means the same token.
        credential = bearer or request.headers.get("cookie", "")
        known = self._verified.get(credential)
        if known is not None and known[1] > time.time():
            self._verified.move_to_end(credential)
            return known[0]
        principal, expires_at = await self._verify(request)
        self._verified[credential] = (principal, expires_at)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, request: Request) -> tuple[Principal, float]:
        try:
            state = await authenticate_request_async(request, self._options)
        except Exception as exc:  # PyJWT raises on garbage the SDK does not map (e.g. bad base64)
            raise unauthenticated("malformed token") from exc
        if not state.is_signed_in or not state.payload:
            raise unauthenticated(state.reason.value[0] if state.reason else "invalid token")
        try:
            principal = principal_from(
                state.payload,
                now=time.time(),
                max_lifetime_seconds=self._max_lifetime,
                authorized_parties=self._parties,
            )
        except ClaimError as exc:
            raise unauthenticated(str(exc)) from None
        return principal, float(state.payload["exp"])


def unauthenticated(reason: str) -> ApiError:
    return ApiError(401, f"authentication failed: {reason}", headers={"WWW-Authenticate": "Bearer"})


# Declared so the OpenAPI document lists the bearer scheme on every route that needs a token; the
# Authenticator reads and verifies the header itself.
_bearer = HTTPBearer(auto_error=False, description="a Clerk session token (or an embedded dev token)")


async def current_principal(request: Request, _: HTTPAuthorizationCredentials | None = Security(_bearer)) -> Principal:
    return await request.app.state.authenticator.authenticate(request)


async def learner_turn(request: Request, principal: Principal = Depends(current_principal)) -> AsyncIterator[Turn]:
    """The person's turn (api/learner_turns.py), taken before the request's first statement."""
    turns: LearnerTurns = request.app.state.learner_turns
    turn = await turns.enter(principal.clerk_id)
    try:
        yield turn
    finally:
        turn.leave()


async def current_user(
    principal: Principal = Depends(current_principal),
    _turn: Turn = Depends(learner_turn),
    session: AsyncSession = Depends(get_session),
) -> CurrentUser:
    """The request's person, in their turn (before the session's first statement)."""
    return await user_of(principal, session)


async def user_of(principal: Principal, session: AsyncSession) -> CurrentUser:
    """The person named by the verified token (created on first sight: webhooks can arrive late),
    in the organisation and role their session names. Called directly (no turn) by event streams
    and lean reads, which use a session of their own."""
    org = principal.org
    return await resolve_actor(
        session,
        principal.clerk_id,
        email=principal.email,
        name=principal.name,
        org_external_id=org.external_id if org else None,
        org_role=org.role if org else None,
    )
