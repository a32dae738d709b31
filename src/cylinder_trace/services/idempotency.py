"""Idempotent writes: the first answer to an ``Idempotency-Key`` is kept and returned again.

The record is written in the same transaction as the write it answers, so a retry either finds
the committed answer or finds nothing and does the write itself; two concurrent requests with one
key serialise on the record's primary key (the second waits, then replays).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ..domain.errors import Conflict, Invalid

MAX_KEY_LENGTH = 200


def request_hash(body: Any) -> str:
    """A stable hash of a request body (JSON-ready values)."""
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid(
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
            reason="BAD_IDEMPOTENCY_KEY",
        )
    return key


def replay(
    session: Session, scope: str, key: str, req_hash: str
) -> tuple[int, dict[str, Any]] | None:
    """The stored answer for this key, or None when the write has not happened yet.

    Takes a transaction-level advisory lock on (scope, key) first, so a concurrent request with
    the same key waits here until the first one commits and then replays its answer.
    """
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
        {"k": f"{scope}\x1f{key}"},
    )
    row = session.execute(
        text(
            "SELECT request_hash, status_code, response FROM idempotency_record "
            "WHERE scope = :s AND key = :k"
        ),
        {"s": scope, "k": key},
    ).first()
    if row is None:
        return None
    if row.request_hash != req_hash:
        raise Conflict(
            "This Idempotency-Key was used for a different request",
            reason="IDEMPOTENCY_KEY_REUSED",
        )
    return int(row.status_code), dict(row.response)


def remember(
    session: Session, scope: str, key: str, req_hash: str, status_code: int, body: dict[str, Any]
) -> None:
    """Keep the answer; call inside the write's transaction, before the commit."""
    session.execute(
        text(
            "INSERT INTO idempotency_record (scope, key, request_hash, status_code, response) "
            "VALUES (:s, :k, :h, :c, CAST(:r AS jsonb))"
        ),
        {
            "s": scope,
            "k": key,
            "h": req_hash,
            "c": status_code,
            "r": json.dumps(body, default=str, ensure_ascii=False),
        },
    )
