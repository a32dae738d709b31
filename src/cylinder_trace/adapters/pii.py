"""Personal data at rest: ID numbers and phones encrypted (AES-GCM), found by a keyed hash,
shown masked. Nothing here logs a value."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..config import get_settings
from ..db.secrets import root_secret


@lru_cache
def _keys() -> tuple[bytes, bytes]:
    settings = get_settings()
    root = (settings.pii_key or "pii:" + root_secret(settings)).encode()
    return (hashlib.sha256(b"encrypt:" + root).digest(),
            hashlib.sha256(b"lookup:" + root).digest())


def normalize(value: str) -> str:
    return "".join(value.split()).upper().replace("-", "")


def encrypt(value: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_keys()[0]).encrypt(nonce, normalize(value).encode(), b"cylinder-trace pii")
    return base64.b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    raw = base64.b64decode(token)
    return AESGCM(_keys()[0]).decrypt(raw[:12], raw[12:], b"cylinder-trace pii").decode()


def lookup_hash(value: str) -> str:
    """A keyed hash for exact look-up (without the key, a hash of an ID number reveals nothing)."""
    return hmac.new(_keys()[1], normalize(value).encode(), hashlib.sha256).hexdigest()


def mask_id(value: str) -> str:
    """``110101199003070012`` → ``1101**********0012``."""
    v = normalize(value)
    return v[:4] + "*" * max(0, len(v) - 8) + v[-4:] if len(v) > 8 else "*" * len(v)


def mask_phone(value: str) -> str:
    """``13800138000`` → ``138****8000``."""
    v = normalize(value)
    return v[:3] + "*" * max(0, len(v) - 7) + v[-4:] if len(v) > 7 else "*" * len(v)
