"""Signed tokens that say the wrong things are refused with 401, never trusted, never a 500: no
expiry, an expiry years away, another site's `azp`, malformed subjects and emails; and a session
cookie alone changes nothing (a cross-site form or upload would carry it)."""

from __future__ import annotations

import time

import jwt
import pytest

from api.dev_auth import ensure_keypair


def _token(api, **claims) -> str:
    private_pem, _ = ensure_keypair(api.settings.dev_key_dir)
    now = int(time.time())
    base = {"sub": "claims_user", "iat": now, "nbf": now, "exp": now + 600, "sid": "sess_claims"}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, private_pem, algorithm="RS256")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": None}, "no expiry"),
        ({"exp": int(time.time()) + 10 * 365 * 86400}, "expires too far ahead"),
        ({"azp": "https://evil.example"}, "another site"),
        ({"sub": "x" * 5000}, "subject"),
        ({"sub": "user\x00nul"}, "subject"),
        ({"email": "a\x00@b.c"}, "email"),
        ({"email": "e" * 400 + "@example.com"}, "email"),
        ({"name": ["not", "a", "name"]}, "name"),
        ({"o": "org_x"}, "organisation"),
    ],
)
async def test_a_signed_token_with_unusable_claims_is_refused(api, claims, reason):
    response = await api.http.get("/v1/me", headers={"Authorization": f"Bearer {_token(api, **claims)}"})
    assert response.status_code == 401, response.text
    assert reason in response.json()["error"]["message"]


async def test_a_well_formed_token_with_an_organisation_claim_is_accepted(api):
    response = await api.http.get(
        "/v1/me",
        headers={"Authorization": f"Bearer {_token(api, sub='claims_ok', org_id='org_claims', org_role='org:tutor')}"},
    )
    assert response.status_code == 200


async def test_a_session_cookie_alone_reads_but_cannot_change_anything(api):
    cookie = {"Cookie": f"__session={_token(api, sub='cookie_user')}"}
    assert (await api.http.get("/v1/me", headers=cookie)).status_code == 200
    refused = await api.http.post("/v1/courses", json={"topic": "Cross-site"}, headers=cookie)
    assert refused.status_code == 401
    assert "cookie alone" in refused.json()["error"]["message"]
