"""The audit trail for regulators (their regions) and the platform: newest first, paged by id."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from ...services import audit
from ..deps import CurrentPrincipal, Principal, SessionDep
from ..pages.public import templates
from ..pages.session import local, signed_in

router = APIRouter(prefix="/api/v1", tags=["regulation"])


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    subject_kind: str
    subject_id: str
    enterprise_id: uuid.UUID | None
    region_code: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str | None


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


@router.get("/audit", response_model=AuditPage)
def list_audit(session: SessionDep, principal: CurrentPrincipal,
               subject_kind: str | None = Query(default=None, max_length=30),
               subject_id: str | None = Query(default=None, max_length=60),
               enterprise_id: uuid.UUID | None = None,
               cursor: str | None = Query(default=None, max_length=20, pattern=r"^\d+$"),
               limit: int = Query(default=100, ge=1, le=500)) -> AuditPage:
    """Station locks, licence changes, users and keys, customers, webhooks, report handling:
    who did what, before and after. `cursor` is the `next_cursor` of the page before."""
    rows = audit.trail(session, principal, subject_kind=subject_kind, subject_id=subject_id,
                       enterprise_id=enterprise_id, before_id=int(cursor) if cursor else None,
                       limit=limit)
    items = [AuditEntryOut.model_validate(r, from_attributes=True) for r in rows]
    return AuditPage(items=items, next_cursor=str(rows[-1].id) if len(rows) == limit else None)


pages = APIRouter(include_in_schema=False)


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: SessionDep,
               cursor: str | None = Query(default=None, max_length=20, pattern=r"^\d+$"),
               ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        rows = audit.trail(session, principal, before_id=int(cursor) if cursor else None,
                           limit=100)
        return templates.TemplateResponse(request, "audit.html", {
            "csrf": csrf, "rows": rows, "local": local,
            "next_cursor": str(rows[-1].id) if len(rows) == 100 else None})
    return signed_in(session, ct_session, render)
