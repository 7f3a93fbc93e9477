"""The web app's "continue as …" sign-in for embedded auth.

create_app includes this router only when `settings.offers_dev_sign_in`: with Clerk configured,
or with the API reachable from other machines, the route does not exist at all.
"""

from __future__ import annotations

import re

from fastapi import APIRouter

from api.deps import SettingsDep
from api.dev_auth import ensure_keypair, mint_session_token
from api.schemas.web_config import DevToken, DevTokenRequest

router = APIRouter(prefix="/v1/auth", tags=["web app"])
TOKEN_TTL_SECONDS = 12 * 3600


@router.post("/dev-token", response_model=DevToken)
async def dev_token(body: DevTokenRequest, settings: SettingsDep) -> DevToken:
    name = " ".join(body.user.split())
    user_id = user_id_for(name)
    private_pem, _ = ensure_keypair(settings.dev_key_dir)
    token = mint_session_token(private_pem, user_id, ttl_seconds=TOKEN_TTL_SECONDS)
    return DevToken(token=token, user=user_id, display_name=name, expires_in=TOKEN_TTL_SECONDS)


def user_id_for(name: str) -> str:
    """ "Maria Lopez" → "Maria-Lopez": an id as ids were before (letters, digits, _ . @ -), so
    "alice" and "bob@example.com" stay the learners they were."""
    kept = re.sub(r"[^\w.@-]+", "-", name, flags=re.UNICODE).strip("-._@")
    return kept or "learner"
