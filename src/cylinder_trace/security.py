"""Passwords (argon2), bearer tokens (PyJWT, bound to a server-side session), API-key hashing,
and the deployment's root secret."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from .config import get_settings

if TYPE_CHECKING:
    from .config import Settings

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


def _token_key(secret: str) -> bytes:
    # Its own key, derived from the root secret: a token key never doubles as a label key.
    return hmac.new(secret.encode(), b"session-token", hashlib.sha256).digest()


def make_token(secret: str, subject: str, session_id: str, expires_at: datetime) -> str:
    """A JWT (HS256, PyJWT) naming the user (``sub``) and its server-side session (``jti``).
    The signature only says who issued it; the session row says whether it still holds."""
    claims = {"iss": _TOKEN_ISSUER, "sub": subject, "jti": session_id,
              "iat": int(time.time()), "exp": int(expires_at.timestamp())}
    return jwt.encode(claims, _token_key(secret), algorithm=_TOKEN_ALGORITHM)


def read_token(secret: str, token: str) -> dict[str, Any] | None:
    """The token's claims when the signature verifies and it has not expired, else None.
    Only HS256 is accepted (no ``alg: none``, no algorithm chosen by the token)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, _token_key(secret), algorithms=[_TOKEN_ALGORITHM], issuer=_TOKEN_ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "iss"]})
    except jwt.InvalidTokenError:
        return None
    return claims


# --- the deployment's root secret, kept in the database when none is configured ---------------

_stored: dict[str, str] = {}
_stored_lock = threading.Lock()

_INSERT_ROOT = ("INSERT INTO deployment_key (name, secret) VALUES ('root', :secret) "
                "ON CONFLICT (name) DO NOTHING")
_SELECT_ROOT = "SELECT secret FROM deployment_key WHERE name = 'root'"


def stored_secret(settings: Settings) -> str:
    """The root secret every instance of this deployment shares: created once in the database
    by whichever instance comes first (INSERT ... ON CONFLICT DO NOTHING, then read), so a
    label or a token made by one instance verifies on all. A key an older version kept in
    data_dir/secret_key seeds it, so labels and personal data written before stay readable.
    It never changes once written, so each process reads it once."""
    from .db import get_engine

    engine = get_engine()
    where = engine.url.render_as_string(hide_password=True)
    with _stored_lock:
        if where in _stored:
            return _stored[where]
        path = settings.data_dir / "secret_key"
        local = path.read_text().strip() if path.exists() else ""
        try:
            with engine.begin() as conn:
                conn.execute(text(_INSERT_ROOT), {"secret": local or secrets.token_urlsafe(32)})
                secret = str(conn.execute(text(_SELECT_ROOT)).scalar_one())
        except ProgrammingError as exc:
            raise RuntimeError(
                "No secret key is configured and the database has no deployment_key table: "
                "run `cylinder-trace migrate`, or set CYLINDER_TRACE_SECRET_KEY") from exc
        if local and local != secret:
            log.warning("data_dir/secret_key differs from the deployment's key in the "
                        "database; the database's key is used")
        _stored[where] = secret
        return secret


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_hash(key: str) -> str:
    """SHA-256 is right here: the key is 256 random bits, not a guessable password."""
    return hashlib.sha256(key.encode()).hexdigest()
