"""The web app's "continue as …" sign-in for embedded auth.

create_app includes this router only when `settings.offers_dev_sign_in`: with Clerk configured,
or with the API reachable from other machines, the route does not exist at all.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from fastapi import APIRouter, Request

from api.deps import SettingsDep
from api.dev_auth import ensure_keypair, mint_session_token
from api.errors import ApiError
from api.schemas.web_config import DevToken, DevTokenRequest
from studyflow.settings import is_loopback

router = APIRouter(prefix="/v1/auth", tags=["web app"])
TOKEN_TTL_SECONDS = 12 * 3600


@router.post(
    "/dev-token", response_model=DevToken, responses={403: {"description": "not a request to and from this machine"}}
)
async def dev_token(body: DevTokenRequest, request: Request, settings: SettingsDep) -> DevToken:
    # A page on another site could point a name of its own at 127.0.0.1 (DNS rebinding) and mint
    # any user's token here: only a request addressed to, and sent from, this machine may sign in.
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname or ""
    origin = request.headers.get("origin")
    if not is_loopback(host) or (origin is not None and not is_loopback(urlsplit(origin).hostname or "")):
        raise ApiError(403, "the dev sign-in answers only requests to and from this machine (localhost)")
    name = " ".join(body.user.split())
    user_id = user_id_for(name)
    private_pem, _ = ensure_keypair(settings.dev_key_dir)
    token = mint_session_token(
        private_pem,
        user_id,
        ttl_seconds=TOKEN_TTL_SECONDS,
        name=name,
        org_id=body.organization,
        org_role=body.role if body.organization else None,
    )
    return DevToken(token=token, user=user_id, display_name=name, expires_in=TOKEN_TTL_SECONDS)


def user_id_for(name: str) -> str:
    """ "Maria Lopez" → "Maria-Lopez": an id as ids were before (letters, digits, _ . @ -), so
    "alice" and "bob@example.com" stay the learners they were."""
    kept = re.sub(r"[^\w.@-]+", "-", name, flags=re.UNICODE).strip("-._@")
    return kept or "learner"
