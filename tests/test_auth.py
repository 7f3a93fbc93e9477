"""Every private route needs a verified session token; bad tokens get 401 with the JSON error."""

from __future__ import annotations

import subprocess
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api.dev_auth import ensure_keypair, mint_session_token


def _foreign_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


async def _stats(api, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await api.http.get("/v1/me/stats", headers=headers)


async def test_valid_token_is_accepted_and_provisions_the_user(api, user_a):
    response = await _stats(api, api.token(user_a))
    assert response.status_code == 200
    assert response.json()["plan"] == "free"


async def test_missing_token_is_401(api):
    response = await _stats(api, None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


async def test_unsigned_token_is_401(api, user_a):
    unsigned = jwt.encode({"sub": user_a, "exp": int(time.time()) + 600}, key=None, algorithm="none")
    assert (await _stats(api, unsigned)).status_code == 401


async def test_expired_token_is_401(api, user_a):
    expired = api.token(user_a, ttl_seconds=60, now=time.time() - 3600)
    response = await _stats(api, expired)
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


async def test_token_signed_by_another_key_is_401(api, user_a):
    forged = mint_session_token(_foreign_key_pem(), user_a)
    response = await _stats(api, forged)
    assert response.status_code == 401
    assert "signature" in response.json()["error"]["message"]


async def test_hs256_token_using_the_public_key_as_secret_is_401(api, user_a):
    # Algorithm-confusion attack: only RS256 may be accepted.
    public_pem = (api.settings.dev_key_dir / "public.pem").read_bytes()
    try:
        confused = jwt.encode({"sub": user_a, "exp": int(time.time()) + 600}, public_pem, algorithm="HS256")
    except jwt.exceptions.InvalidKeyError:
        return  # PyJWT itself refuses to build it: the attack cannot even be mounted
    assert (await _stats(api, confused)).status_code == 401


async def test_garbage_token_is_401(api):
    assert (await _stats(api, "not-a-jwt")).status_code == 401


def test_processes_starting_at_once_agree_on_one_dev_key_pair(tmp_path):
    """`studyflow api --processes N` on a fresh data directory: every process signs and verifies
    with the same pair (a race once left each process with its own key: invalid signatures)."""
    script = (
        "import hashlib, sys; from pathlib import Path; from api.dev_auth import ensure_keypair; "
        "private, public = ensure_keypair(Path(sys.argv[1])); "
        "print(hashlib.sha256(private).hexdigest(), hashlib.sha256(public.encode()).hexdigest())"
    )
    starters = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "keys")], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    answers = {starter.communicate(timeout=60)[0].strip() for starter in starters}
    assert len(answers) == 1 and all(starter.returncode == 0 for starter in starters)
    private, public = ensure_keypair(tmp_path / "keys")
    token = mint_session_token(private, "same-key")
    assert jwt.decode(token, public, algorithms=["RS256"], options={"verify_aud": False})["sub"] == "same-key"
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["private.pem", "public.pem"]
