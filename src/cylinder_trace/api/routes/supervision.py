"""Routes of the regulators' inspections (监督检查): a visit with its findings and signature,
its photos, its re-inspection, and major hazards under 五定 to their close-out."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, File, Form, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from ...config import get_settings
from ...db.tables.supervision import MajorHazard, SupervisionVisit
from ...domain.errors import Invalid
from ...services import accounts, registry, supervision
from ..deps import Action, CurrentPrincipal, Principal, SessionDep, acts, may_act
from ..pages.public import templates
from ..pages.session import form_post, local, signed_in
from . import from_row

router = APIRouter(prefix="/api/v1/supervision", tags=["regulation"])


class FindingIn(BaseModel):
    item: str = Field(max_length=64)
    ok: bool
    note: str | None = Field(default=None, max_length=500)
    major: bool = Field(default=False, description="a major hazard (重大隐患): followed under 五定")


class VisitIn(BaseModel):
    subject: str = Field(description="station | enterprise | delivery_point")
    enterprise_id: uuid.UUID
    station_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    visited_on: date
    inspector_name: str = Field(min_length=2, max_length=60, description="real name")
    signed: bool = Field(description="the inspector signs: 谁检查、谁签名、谁负责")
    findings: list[FindingIn] = Field(min_length=1, max_length=60)
    rectify_by: date | None = None
    reinspection_of: uuid.UUID | None = None


class HazardOut(BaseModel):
    id: uuid.UUID
    visit_id: uuid.UUID
    item: str
    description: str
    responsible_person: str | None
    measures: str | None
    funds_yuan: int | None
    deadline: date | None
    contingency_plan: str | None
    status: str
    closed_at: datetime | None
    close_note: str | None


class VisitOut(BaseModel):
    id: uuid.UUID
    subject: str
    enterprise_id: uuid.UUID
    station_id: uuid.UUID | None
    customer_id: uuid.UUID | None
    region_code: str
    visited_on: date
    inspector_name: str
    department: str | None
    signed_at: datetime
    findings: list[dict[str, Any]]
    rectify_by: date | None
    status: str
    reinspection_of: uuid.UUID | None
    reinspected_by_visit: uuid.UUID | None
    photo_ids: list[uuid.UUID]
    major_hazards: list[HazardOut]


class FiveFixedIn(BaseModel):
    responsible_person: str | None = Field(default=None, max_length=60)
    measures: str | None = Field(default=None, max_length=2000)
    funds_yuan: int | None = Field(default=None, ge=0, le=1_000_000_000)
    deadline: date | None = None
    contingency_plan: str | None = Field(default=None, max_length=2000)


class CloseIn(BaseModel):
    note: str = Field(min_length=2, max_length=1000)


def hazard_out(h: MajorHazard) -> HazardOut:
    return HazardOut.model_validate(h, from_attributes=True)


def visit_out(session: SessionDep, v: SupervisionVisit) -> VisitOut:
    return from_row(VisitOut, v,
                    photo_ids=[p.id for p in supervision.photos_of(session, v)],
                    major_hazards=[hazard_out(h) for h in supervision.hazards_of(session, v)])


@router.post("/visits", dependencies=[acts(Action.RECORD_VISIT)],
             response_model=VisitOut, status_code=status.HTTP_201_CREATED)
def record_visit(body: VisitIn, session: SessionDep, principal: CurrentPrincipal) -> VisitOut:
    """A regulator's inspection, signed with the inspector's real name; findings that fail need
    a deadline to rectify; a re-inspection names the visit it follows up (回头看)."""
    data = body.model_dump()
    data["findings"] = [f.model_dump() for f in body.findings]
    return visit_out(session, supervision.record_visit(session, principal, **data))


@router.get("/visits", response_model=list[VisitOut])
def list_visits(session: SessionDep, principal: CurrentPrincipal,
                enterprise_id: uuid.UUID | None = None) -> list[VisitOut]:
    return [visit_out(session, v) for v in supervision.visits(session, principal,
                                                              enterprise_id)]


@router.get("/visits/{visit_id}", response_model=VisitOut)
def get_visit(visit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal) -> VisitOut:
    return visit_out(session, supervision.visit_for(session, principal, visit_id))


@router.post("/visits/{visit_id}/photos", dependencies=[acts(Action.RECORD_VISIT)],
             status_code=status.HTTP_201_CREATED)
async def add_visit_photo(visit_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal,
                          photo: Annotated[UploadFile, File()]) -> dict[str, uuid.UUID]:
    """图像资料: one JPEG or PNG per request, size-limited, decoded before it is stored."""
    data = await photo.read(get_settings().report_photo_max_bytes + 1)
    return {"id": supervision.add_photo(session, principal, visit_id, data).id}


@router.get("/visits/{visit_id}/photos/{photo_id}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def get_visit_photo(visit_id: uuid.UUID, photo_id: uuid.UUID, session: SessionDep,
                    principal: CurrentPrincipal) -> Response:
    visit = supervision.visit_for(session, principal, visit_id)
    photo = next((p for p in supervision.photos_of(session, visit) if p.id == photo_id), None)
    if photo is None:
        from ...domain.errors import NotFound

        raise NotFound("No such photo")
    return Response(photo.data, media_type=photo.media_type,
                    headers={"Cache-Control": "private, no-store"})


@router.post("/major-hazards/{hazard_id}/five-fixed", dependencies=[acts(Action.FIX_FIVE)],
             response_model=HazardOut)
def fix_five(hazard_id: uuid.UUID, body: FiveFixedIn, session: SessionDep,
             principal: CurrentPrincipal) -> HazardOut:
    """五定: the company (or the regulator) fixes person, measures, funds, deadline, plan."""
    return hazard_out(supervision.fix_five(session, principal, hazard_id,
                                           body.model_dump(exclude_none=True)))


@router.post("/major-hazards/{hazard_id}/close",
             dependencies=[acts(Action.CLOSE_MAJOR_HAZARD)], response_model=HazardOut)
def close_major_hazard(hazard_id: uuid.UUID, body: CloseIn, session: SessionDep,
                       principal: CurrentPrincipal) -> HazardOut:
    """销号 by a regulator once all five are fixed."""
    return hazard_out(supervision.close_hazard(session, principal, hazard_id, body.note))


# -- the page ------------------------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


@pages.get("/supervision", response_class=HTMLResponse)
def supervision_page(request: Request, session: SessionDep, error: str | None = None,
                     ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        from ...domain import supervision as rules

        return templates.TemplateResponse(request, "supervision.html", {
            "csrf": csrf, "visits": supervision.visits(session, principal),
            "hazards": supervision.open_hazards(session, principal),
            "stations": accounts.list_stations(session, principal),
            "names": {e.id: e.name for e in accounts.list_enterprises(session, principal)},
            "station_items": rules.STATION_ITEMS, "today": registry.today(), "local": local,
            "subjects": {"station": "充装站 station", "enterprise": "企业 company",
                         "delivery_point": "用气场所 delivery point"},
            "statuses": {"clean": "合格 clean", "rectifying": "限期整改 rectifying",
                         "rectified": "复查合格 rectified"},
            "can_regulate": may_act(principal, Action.RECORD_VISIT),
            "error": error[:300] if error else None})
    return signed_in(session, ct_session, render)


@pages.post("/supervision/visits")
async def visit_form(request: Request, session: SessionDep,
                     ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    """The station checklist as a form: each item OK or not (major or not), with a note."""
    from ...db.tables.accounts import Station
    from ...domain import supervision as rules

    form = await request.form()
    csrf = str(form.get("csrf", ""))[:64]

    def act(principal: Principal) -> object:
        station = session.get(Station, _uuid(str(form.get("station", ""))))
        if station is None:
            raise Invalid("Choose a station")
        findings = [{"item": key, "ok": bool(form.get(f"ok_{key}")),
                     "major": bool(form.get(f"major_{key}")),
                     "note": str(form.get(f"note_{key}") or "")[:500] or None}
                    for key in rules.STATION_ITEMS]
        rectify = str(form.get("rectify_by") or "")
        return supervision.record_visit(
            session, principal, subject="station", enterprise_id=station.enterprise_id,
            station_id=station.id, visited_on=registry.today(),
            inspector_name=str(form.get("inspector_name", ""))[:60],
            signed=bool(form.get("signed")), findings=findings,
            rectify_by=date.fromisoformat(rectify) if rectify else None)
    return form_post(session, ct_session, csrf, "/supervision", act)


@pages.post("/supervision/major-hazards/{hazard_id}/close")
def close_form(hazard_id: uuid.UUID, session: SessionDep,
               csrf: Annotated[str, Form(max_length=64)],
               note: Annotated[str, Form(min_length=2, max_length=1000)],
               ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    return form_post(session, ct_session, csrf, "/supervision",
                     lambda principal: supervision.close_hazard(session, principal, hazard_id,
                                                                note))


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise Invalid("Choose a station") from exc
