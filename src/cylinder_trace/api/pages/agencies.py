"""The inspection agencies' pages (issue 19): the list, and one agency with its approval, its
inspectors and its recent records. Same cookie session and access rules as the API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Cookie, Request
from fastapi.responses import HTMLResponse, Response

from ...domain.errors import DomainError
from ...services import agencies, registry
from ..deps import Principal, SessionDep
from .public import templates
from .session import local, not_found_page, signed_in

router = APIRouter(include_in_schema=False)
Session_ = Annotated[str | None, Cookie(alias="ct_session")]

RECORD_TEXT = {"inspection": ("定期检验", "Inspection"),
               "valve_conversion": ("双相阀改造", "Valve conversion"),
               "scrap": ("报废", "Scrapped")}


@router.get("/agencies", response_class=HTMLResponse)
def agencies_page(request: Request, session: SessionDep, ct_session: Session_ = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        today = registry.today()
        rows = [agencies.agency_out(a, today) for a in agencies.list_agencies(session, principal)]
        return templates.TemplateResponse(request, "agencies.html", {"csrf": csrf, "rows": rows})
    return signed_in(session, ct_session, render)


@router.get("/agencies/{agency_id}", response_class=HTMLResponse)
def agency_page(agency_id: uuid.UUID, request: Request, session: SessionDep,
                ct_session: Session_ = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        try:
            agency = agencies.get_agency(session, principal, agency_id)
        except DomainError as err:
            return not_found_page(request, csrf, err)
        today = registry.today()
        sees = agencies.sees_work(session, principal, agency)
        register = []
        if sees:
            for row, code in agencies.register(session, principal, agency, 30):
                zh, en = RECORD_TEXT.get(row.kind, (row.kind, row.kind))
                register.append({"at": local(row.recorded_at) if row.recorded_at else None,
                                 "code": code, "kind": row.kind, "zh": zh, "en": en,
                                 "inspected_on": row.inspected_on, "result": row.result,
                                 "next_due": row.next_due, "report_number": row.report_number})
        return templates.TemplateResponse(request, "agency.html", {
            "csrf": csrf, "a": agencies.agency_out(agency, today), "sees_work": sees,
            "inspectors": agencies.inspectors(session, principal, agency) if sees else [],
            "register": register, "today": today})
    return signed_in(session, ct_session, render)
