"""Embedded auth: a local RSA key pair standing in for Clerk's instance key.

Tokens minted here are ordinary RS256 session JWTs, verified by the same clerk-backend-api code
path that verifies real Clerk tokens (networkless `jwt_key` mode).
"""

from __future__ import annotations

import functools
import os
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

PRIVATE_KEY_FILE = "private.pem"
PUBLIC_KEY_FILE = "public.pem"


@functools.lru_cache(maxsize=16)
def signing_key(private_pem: bytes) -> RSAPrivateKey:
    """The parsed private key, once per process and key: loading a PEM checks the RSA key's
    consistency (~20 ms of CPU), which every token minted from PEM bytes paid twice; the test
    suite spent half its CPU there."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("the dev signing key is not an RSA private key")
    return key


def ensure_keypair(key_dir: Path) -> tuple[bytes, str]:
    """Return (private PEM, public PEM), creating the pair once.

    Several processes may start at once on a fresh directory (`studyflow api --processes N`):
    the first private key to be linked into place wins, and everyone derives the public key from
    the winner, so no process verifies with a key the others do not sign with."""
    private_path, public_path = key_dir / PRIVATE_KEY_FILE, key_dir / PUBLIC_KEY_FILE
    if not private_path.exists():
        key_dir.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tmp = private_path.with_suffix(f".{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        tmp.chmod(0o600)
        try:
            os.link(tmp, private_path)  # fails if another process got there first: theirs stands
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    private_pem = private_path.read_bytes()
    public_pem = (
        signing_key(private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    if not public_path.exists() or public_path.read_text() != public_pem:
        # For operators and tools that read it; written whole under a temp name.
        tmp = public_path.with_suffix(f".{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_text(public_pem)
        tmp.replace(public_path)
    return private_pem, public_pem


def mint_session_token(
    private_pem: bytes,
    user_id: str,
    *,
    ttl_seconds: int = 3600,
    email: str | None = None,
    name: str | None = None,
    org_id: str | None = None,
    org_role: str | None = None,
    now: float | None = None,
) -> str:
    """`org_id` (an organisation's external id) and `org_role` (admin | tutor | learner) put the
    session in that organisation, as Clerk's `org_id`/`org_role` claims do."""
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": user_id,
        "sid": f"sess_{uuid.uuid4().hex}",
        "iss": "studyflow-dev",
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
    }
    if email:
        claims["email"] = email
    if name:
        claims["name"] = name
    if org_id:
        claims["org_id"] = org_id
        claims["org_role"] = f"org:{org_role or 'learner'}"
    return jwt.encode(claims, signing_key(private_pem), algorithm="RS256")
