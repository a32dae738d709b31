"""Routes of the public's reports (举报): the anonymous form and API, the reporter's look-up by
reference, the regulators' case list and answer, and the company's public phone numbers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, File, Form, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ...config import get_settings
from ...db.tables.reports import PublicReport
from ...domain import reports as rules
from ...domain.access import DEPARTMENT_TEXT
from ...domain.errors import DomainError, Forbidden
from ...services import reports
from ..deps import Action, CurrentPrincipal, Principal, SessionDep, acts
from ..pages.public import templates
from ..pages.session import form_post, local, signed_in

router = APIRouter(prefix="/api/v1", tags=["reports"])
pages = APIRouter(include_in_schema=False)


class ReportReceipt(BaseModel):
    reference: str = Field(description="Keep it: the case is looked up with it alone")
    status: str
    due_at: datetime


class ReportStatusOut(BaseModel):
    reference: str
    kind: str
    kind_zh: str
    status: str
    status_zh: str
    status_en: str
    received_at: datetime | None
    due_at: datetime
    answered_at: datetime | None
    answer: str | None


class HandoverOut(BaseModel):
    from_department: str
    to_department: str
    note: str
    created_at: datetime | None


class HandoverIn(BaseModel):
    to_department: str = Field(description="market | housing | transport | emergency | fire")
    note: str = Field(min_length=2, max_length=1000)


class ReportOut(BaseModel):
    id: uuid.UUID
    reference: str
    kind: str
    description: str
    cylinder_code: str | None
    scanned: str | None
    enterprise_id: uuid.UUID | None
    region_code: str
    place: str | None
    contact_name: str | None
    contact_phone_masked: str | None
    status: str
    department: str = Field(description="the department holding the case now")
    handovers: list[HandoverOut] = Field(default_factory=list)
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    due_at: datetime
    overdue: bool
    created_at: datetime | None
    photo_ids: list[uuid.UUID]


class ReportAnswer(BaseModel):
    status: str = Field(description="verifying | answered | unfounded")
    answer: str | None = Field(default=None, max_length=2000)


class PublicContacts(BaseModel):
    complaint_phone: str | None = Field(default=None, max_length=30)
    emergency_phone: str | None = Field(default=None, max_length=30)


def report_out(session: SessionDep, r: PublicReport) -> ReportOut:
    from ...db.tables.registry import Cylinder

    cylinder = session.get(Cylinder, r.cylinder_id) if r.cylinder_id else None
    closed = rules.ReportStatus(r.status) in rules.CLOSED
    return ReportOut(
        id=r.id, reference=r.reference, kind=r.kind, description=r.description,
        cylinder_code=cylinder.code if cylinder else None, scanned=r.scanned,
        enterprise_id=r.enterprise_id, region_code=r.region_code, place=r.place,
        contact_name=r.contact_name, contact_phone_masked=reports.masked_phone(r),
        status=r.status, department=r.department,
        handovers=[HandoverOut.model_validate(h, from_attributes=True)
                   for h in reports.handovers_of(session, r)],
        answer=r.answer, answered_by=r.answered_by, answered_at=r.answered_at,
        due_at=r.due_at, overdue=not closed and r.due_at < datetime.now(r.due_at.tzinfo),
        created_at=r.created_at, photo_ids=[p.id for p in reports.photos_of(session, r)])


async def _photos(files: list[UploadFile] | None) -> list[bytes]:
    limit = get_settings().report_photo_max_bytes
    out = []
    for f in files or []:
        data = await f.read(limit + 1)  # one byte more tells "too large" without reading all
        if data:
            out.append(data)
    return out


Text = Annotated[str | None, Form(max_length=2000)]


@router.post("/public/reports", response_model=ReportReceipt,
             status_code=status.HTTP_201_CREATED, tags=["public"])
async def submit_report(
    session: SessionDep, kind: Annotated[str, Form(max_length=24)],
    description: Annotated[str, Form(max_length=2000)], code: Text = None,
    region_code: Annotated[str | None, Form(max_length=6)] = None, place: Text = None,
    contact_name: Annotated[str | None, Form(max_length=60)] = None,
    contact_phone: Annotated[str | None, Form(max_length=20)] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> ReportReceipt:
    """举报: no account; rate-limited per address. Routed to the regulator of the cylinder's
    region (from `code`) or of `region_code`. Photos: up to 3 JPEG/PNG."""
    form = reports.Submission(kind=kind, description=description, scanned=code,
                              region_code=region_code, place=place, contact_name=contact_name,
                              contact_phone=contact_phone)
    r = reports.submit(session, form, await _photos(photos))
    return ReportReceipt(reference=r.reference, status=r.status, due_at=r.due_at)


@router.get("/public/reports/{reference}", response_model=ReportStatusOut, tags=["public"])
def report_status(reference: str, session: SessionDep) -> ReportStatusOut:
    """The reporter's look-up: the case's state and answer, nobody's personal data."""
    return ReportStatusOut(**reports.public_view(session, reference))


@router.get("/reports", response_model=list[ReportOut])
def list_reports(session: SessionDep, principal: CurrentPrincipal,
                 status: str | None = None) -> list[ReportOut]:
    """The reports of the regulator's regions, open ones and the nearest deadline first."""
    return [report_out(session, r) for r in reports.listing(session, principal, status)]


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: uuid.UUID, session: SessionDep,
               principal: CurrentPrincipal) -> ReportOut:
    return report_out(session, reports.report_for(session, principal, report_id))


@router.get("/reports/{report_id}/photos/{photo_id}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def report_photo(report_id: uuid.UUID, photo_id: uuid.UUID, session: SessionDep,
                 principal: CurrentPrincipal) -> Response:
    photo = reports.photo_for(session, principal, photo_id)
    if photo.report_id != report_id:
        raise Forbidden("The photo belongs to another report")
    return Response(photo.data, media_type=photo.media_type,
                    headers={"Cache-Control": "private, no-store"})


@router.post("/reports/{report_id}/answer",
             dependencies=[acts(Action.ANSWER_REPORT)], response_model=ReportOut)
def answer_report(report_id: uuid.UUID, body: ReportAnswer, session: SessionDep,
                  principal: CurrentPrincipal) -> ReportOut:
    """核查处理: take the case (verifying), or close it with the answer the reporter reads."""
    r = reports.answer(session, principal, report_id, body.status, body.answer)
    return report_out(session, r)


@router.post("/reports/{report_id}/handover",
             dependencies=[acts(Action.HAND_OVER_CASE)], response_model=ReportOut)
def hand_over_report(report_id: uuid.UUID, body: HandoverIn, session: SessionDep,
                     principal: CurrentPrincipal) -> ReportOut:
    """线索移交: the department holding the case hands it to another; both keep seeing it."""
    return report_out(session, reports.hand_over(session, principal, report_id,
                                                 body.to_department, body.note))


@router.put("/enterprises/{enterprise_id}/public-contacts",
            dependencies=[acts(Action.SET_PUBLIC_CONTACTS)], tags=["admin"])
def set_public_contacts(enterprise_id: uuid.UUID, body: PublicContacts, session: SessionDep,
                        principal: CurrentPrincipal) -> PublicContacts:
    """投诉举报电话 and 24小时应急抢险电话, shown on the public page of the company's cylinders."""
    e = reports.set_public_contacts(session, principal, enterprise_id, body.complaint_phone,
                                    body.emergency_phone)
    return PublicContacts(complaint_phone=e.complaint_phone, emergency_phone=e.emergency_phone)


# -- pages --------------------------------------------------------------------------------

def _kinds() -> list[dict[str, str]]:
    return [{"value": k.value, "zh": zh, "en": en} for k, (zh, en) in rules.KIND_TEXT.items()]


@pages.get("/report", response_class=HTMLResponse)
def report_form(request: Request, code: str | None = None,
                kind: str | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, "report_form.html", {
        "kinds": _kinds(), "code": (code or "")[:200], "error": None, "form": {"kind": kind},
        "report_phone": get_settings().report_phone})


@pages.post("/report", response_class=HTMLResponse)
async def report_form_submit(
    request: Request, session: SessionDep, kind: Annotated[str, Form(max_length=24)],
    description: Annotated[str, Form(max_length=2000)], code: Text = None,
    region_code: Annotated[str | None, Form(max_length=6)] = None, place: Text = None,
    contact_name: Annotated[str | None, Form(max_length=60)] = None,
    contact_phone: Annotated[str | None, Form(max_length=20)] = None,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    form = reports.Submission(kind=kind, description=description, scanned=code,
                              region_code=region_code, place=place, contact_name=contact_name,
                              contact_phone=contact_phone)
    try:
        r = reports.submit(session, form, await _photos(photos))
    except DomainError as exc:
        session.rollback()
        return templates.TemplateResponse(request, "report_form.html", {
            "kinds": _kinds(), "code": code or "", "error": exc.detail,
            "form": {"kind": kind, "description": description, "region_code": region_code,
                     "place": place}, "report_phone": get_settings().report_phone},
            status_code=exc.status)
    return RedirectResponse(f"/report/{r.reference}?new=1", status_code=303)


@pages.get("/report/lookup", response_class=HTMLResponse)
def report_lookup(reference: str = "") -> Response:
    return RedirectResponse(f"/report/{reference.strip().upper()[:30]}", status_code=303)


@pages.get("/report/{reference}", response_class=HTMLResponse)
def report_status_page(reference: str, request: Request, session: SessionDep,
                       new: bool = False) -> HTMLResponse:
    try:
        view: dict[str, Any] | None = reports.public_view(session, reference)
    except DomainError:
        view = None
    if view is not None:
        for key in ("received_at", "due_at", "answered_at"):
            view[key] = local(view[key]).strftime("%Y-%m-%d %H:%M") if view[key] else None
    return templates.TemplateResponse(request, "report_status.html", {
        "r": view, "new": new, "reference": reference[:30]},
        status_code=200 if view else 404)


@pages.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request, session: SessionDep, status: str | None = None,
                 ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        rows = [report_out(session, r) for r in reports.listing(
            session, principal, status if status in set(rules.ReportStatus) else None)]
        return templates.TemplateResponse(request, "reports.html", {
            "rows": rows, "csrf": csrf, "local": local, "kinds": dict(rules.KIND_TEXT),
            "statuses": dict(rules.STATUS_TEXT), "status": status})
    return signed_in(session, ct_session, render)


@pages.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(report_id: uuid.UUID, request: Request, session: SessionDep,
                error: str | None = None,
                ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        r = report_out(session, reports.report_for(session, principal, report_id))
        return templates.TemplateResponse(request, "report.html", {
            "r": r, "csrf": csrf, "local": local, "kinds": dict(rules.KIND_TEXT),
            "statuses": dict(rules.STATUS_TEXT), "departments": dict(DEPARTMENT_TEXT),
            "mine": principal.department or "market", "error": error[:300] if error else None})
    return signed_in(session, ct_session, render)


@pages.post("/reports/{report_id}/answer")
def report_page_answer(
    report_id: uuid.UUID, session: SessionDep, csrf: Annotated[str, Form(max_length=64)],
    status: Annotated[str, Form(max_length=12)],
    answer: Annotated[str | None, Form(max_length=2000)] = None,
    ct_session: Annotated[str | None, Cookie()] = None,
) -> Response:
    return form_post(session, ct_session, csrf, f"/reports/{report_id}", lambda principal:
                     reports.answer(session, principal, report_id, status, answer))


@pages.get("/reports/{report_id}/photos/{photo_id}")
def report_page_photo(report_id: uuid.UUID, photo_id: uuid.UUID, session: SessionDep,
                      ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    def render(principal: Principal, _: str) -> Response:
        return report_photo(report_id, photo_id, session, principal)
    return signed_in(session, ct_session, render)


@pages.post("/reports/{report_id}/handover")
def report_page_handover(
    report_id: uuid.UUID, session: SessionDep, csrf: Annotated[str, Form(max_length=64)],
    to_department: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(min_length=2, max_length=1000)],
    ct_session: Annotated[str | None, Cookie()] = None,
) -> Response:
    return form_post(session, ct_session, csrf, f"/reports/{report_id}", lambda principal:
                     reports.hand_over(session, principal, report_id, to_department, note))
