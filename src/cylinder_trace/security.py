"""Passwords (argon2), signed bearer tokens and API-key hashing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .config import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.password_time_cost, memory_cost=settings.password_memory_kib
    )


@lru_cache
def _dummy_hash() -> str:
    # Verified against when a username is unknown, so the answer takes the same time either way.
    return _hasher().hash("not-a-real-password")


API_KEY_PREFIX = "ctk_"


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return (
            _hasher().verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: str, subject: str, ttl_seconds: int, now: float | None = None) -> str:
    """A compact HMAC-SHA256 token: payload.signature, both base64url."""
    issued = int(now if now is not None else time.time())
    payload = _b64(
        json.dumps(
            {"sub": subject, "iat": issued, "exp": issued + ttl_seconds}, separators=(",", ":")
        ).encode()
    )
    sig = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(sig)}"


def read_token(secret: str, token: str, now: float | None = None) -> dict[str, Any] | None:
    """The token's claims when the signature verifies and it has not expired, else None."""
    try:
        payload, sig = token.split(".")
        expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(sig)):
            return None
        claims: dict[str, Any] = json.loads(_unb64(payload))
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(claims, dict) or claims.get("exp", 0) < (now or time.time()):
        return None
    return claims


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    """SHA-256 is right here: the key is 256 random bits, not a guessable password."""
    return hashlib.sha256(key.encode()).hexdigest()
