"""Idempotent writes at the HTTP edge: a retry with the same ``Idempotency-Key`` gets the first
answer again (its status and JSON body) and the write happens once.

The answer is kept by ``services/idempotency`` in the request's transaction, so it is committed
with the write (by the request's session, ``api/deps.SessionDep``) or not at all. The use case
behind it takes and returns plain values and knows nothing of keys or answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session

from ..services import idempotency
from .problems import PROBLEM_JSON

Answer = tuple[int, dict[str, Any]]


def answered_once(session: Session, scope: str, idempotency_key: str | None, body: BaseModel,
                  write: Callable[[], Answer]) -> JSONResponse:
    """``write()`` (the use case, shaped as status and JSON body) once per key within
    ``scope``; a retry with the same body is answered from the record, with another body
    409 ``IDEMPOTENCY_KEY_REUSED``. The key is checked and the answer replayed before anything
    else; a concurrent request with the same key waits for the first one's commit."""
    key = idempotency.check_key(idempotency_key)
    req_hash = idempotency.request_hash(body.model_dump(mode="json"))
    stored = idempotency.replay(session, scope, key, req_hash) if key else None
    status, answer = stored if stored is not None else write()
    if key and stored is None:
        idempotency.remember(session, scope, key, req_hash, status, answer)
    return JSONResponse(answer, status_code=status,
                        media_type=PROBLEM_JSON if status >= 400 else "application/json")
