"""Passwords (argon2), bearer tokens (PyJWT, bound to a server-side session), API-key hashing,
and the deployment's root secret."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..config import get_settings

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


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


_TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret
_TOKEN_ISSUER = "cylinder-trace"  # noqa: S105 - the issuer claim, not a secret


@lru_cache(maxsize=4)
def _token_key(secret: str) -> bytes:
    # Its own key, derived from the root secret: a token key never doubles as a label key.
    return hmac.new(secret.encode(), b"session-token", hashlib.sha256).digest()


def make_token(secret: str, subject: str, session_id: str, expires_at: datetime) -> str:
    """A JWT (HS256, PyJWT) naming the user (``sub``) and its server-side session (``jti``).
    The signature only says who issued it; the session row says whether it still holds."""
    claims = {"iss": _TOKEN_ISSUER, "sub": subject, "jti": session_id,
              "iat": int(time.time()), "exp": int(expires_at.timestamp())}
    return jwt.encode(claims, _token_key(secret), algorithm=_TOKEN_ALGORITHM)


def read_token(secret: str, token: str, now: float | None = None) -> dict[str, Any] | None:
    """The token's claims when the signature verifies and it has not expired, else None.
    Only HS256 is accepted (no ``alg: none``, no algorithm chosen by the token)."""
    try:
        claims = _verified(secret, token)
    except jwt.InvalidTokenError:
        return None
    # A signature that held once holds for ever; the time does not: checked on every read, as
    # PyJWT checks it (expired when exp <= now)
    if not claims["exp"] > (time.time() if now is None else now):
        return None
    return dict(claims)


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> dict[str, Any]:
    """A token's claims, verified once per process (PyJWT's decode was a tenth of a history
    page's CPU, on every request). Only a token that verifies is kept (an exception is not
    cached): one refused for a clock a second behind is looked at again."""
    claims: dict[str, Any] = jwt.decode(
        token, _token_key(secret), algorithms=[_TOKEN_ALGORITHM], issuer=_TOKEN_ISSUER,
        options={"require": ["exp", "iat", "sub", "jti", "iss"]})
    return claims


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    """SHA-256 is right here: the key is 256 random bits, not a guessable password."""
    return hashlib.sha256(key.encode()).hexdigest()
