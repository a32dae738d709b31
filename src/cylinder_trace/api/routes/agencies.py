"""Routes of the inspection agencies and of the acts only they record: inspections, valve
conversions, accepting (or giving back) a cylinder handed over for scrapping."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, status

from ...db.tables.agencies import Inspection
from ...db.tables.registry import Cylinder
from ...schemas.accounts import UserOut
from ...schemas.agencies import (
    AgencyCreate,
    AgencyOut,
    AgencyUpdate,
    InspectionCreate,
    InspectionOut,
    InspectorCreate,
    ScrapAccept,
    ValveConversionCreate,
)
from ...schemas.lifecycle import Reason
from ...schemas.registry import CylinderOut
from ...services import agencies, inspections, registry
from ..deps import Action, CurrentPrincipal, SessionDep, acts
from .admin import user_out
from .cylinders import cylinder_out

router = APIRouter(prefix="/api/v1")


def inspection_out(row: Inspection, code: str) -> InspectionOut:
    return InspectionOut(id=row.id or 0, code=code, kind=row.kind, agency_id=row.agency_id,
                         agency_name=row.agency_name, registered_agency=row.agency_id is not None,
                         inspector_id=row.inspector_id, inspected_on=row.inspected_on,
                         result=row.result, next_due=row.next_due,
                         report_number=row.report_number, recorded_at=row.recorded_at)


@router.post("/agencies", dependencies=[acts(Action.MANAGE_AGENCY)], response_model=AgencyOut,
             status_code=status.HTTP_201_CREATED, tags=["agencies"])
def create_agency(body: AgencyCreate, session: SessionDep,
                  principal: CurrentPrincipal) -> AgencyOut:
    """Register an inspection agency (气瓶检验机构) with its approval (核准证): platform admin."""
    agency = agencies.create_agency(session, principal, body)
    session.flush()
    return agencies.agency_out(agency, registry.today())


@router.get("/agencies", response_model=list[AgencyOut], tags=["agencies"])
def list_agencies(session: SessionDep, principal: CurrentPrincipal) -> list[AgencyOut]:
    """The register of agencies and whether each approval is valid today."""
    today = registry.today()
    return [agencies.agency_out(a, today) for a in agencies.list_agencies(session, principal)]


@router.get("/agencies/{agency_id}", response_model=AgencyOut, tags=["agencies"])
def get_agency(agency_id: uuid.UUID, session: SessionDep,
               principal: CurrentPrincipal) -> AgencyOut:
    return agencies.agency_out(agencies.get_agency(session, principal, agency_id),
                               registry.today())


@router.patch("/agencies/{agency_id}", dependencies=[acts(Action.MANAGE_AGENCY)],
               response_model=AgencyOut, tags=["agencies"])
def update_agency(agency_id: uuid.UUID, body: AgencyUpdate, session: SessionDep,
                  principal: CurrentPrincipal) -> AgencyOut:
    """Renew, suspend or revoke the approval: platform admin."""
    agency = agencies.update_approval(session, principal, agency_id, body.approval)
    session.flush()
    return agencies.agency_out(agency, registry.today())


@router.post("/agencies/{agency_id}/inspectors", dependencies=[acts(Action.MANAGE_AGENCY)],
             response_model=UserOut,
             status_code=status.HTTP_201_CREATED, tags=["agencies"])
def create_inspector(agency_id: uuid.UUID, body: InspectorCreate, session: SessionDep,
                     principal: CurrentPrincipal) -> UserOut:
    """An inspector account of this agency, with the inspector's own certificate."""
    user = agencies.create_inspector(session, principal, agency_id, body)
    session.flush()
    return user_out(user)


@router.get("/agencies/{agency_id}/inspectors", response_model=list[UserOut], tags=["agencies"])
def list_inspectors(agency_id: uuid.UUID, session: SessionDep,
                    principal: CurrentPrincipal) -> list[UserOut]:
    agency = agencies.get_agency(session, principal, agency_id)
    return [user_out(u) for u in agencies.inspectors(session, principal, agency)]


@router.get("/agencies/{agency_id}/inspections", response_model=list[InspectionOut],
            tags=["agencies"])
def list_agency_inspections(agency_id: uuid.UUID, session: SessionDep,
                            principal: CurrentPrincipal,
                            limit: int = Query(default=50, ge=1, le=500)) -> list[InspectionOut]:
    """The agency's register, newest first: inspections, conversions, scrappings."""
    agency = agencies.get_agency(session, principal, agency_id)
    return [inspection_out(row, code)
            for row, code in agencies.register(session, principal, agency, limit)]


def _done(session: SessionDep, c: Cylinder) -> CylinderOut:
    session.flush()
    session.refresh(c)
    return cylinder_out(c)


@router.post("/cylinders/{code}/inspections", dependencies=[acts(Action.RECORD_INSPECTION)],
             response_model=CylinderOut,
             status_code=status.HTTP_201_CREATED, tags=["agencies"])
def record_inspection(code: str, body: InspectionCreate, session: SessionDep,
                      principal: CurrentPrincipal) -> CylinderOut:
    """A periodic inspection, by an agency's inspector only: the agency is the caller's, the
    report number required, the next due date the one the agency stamps."""
    return _done(session, inspections.record_inspection(session, principal, code, body))


@router.post("/cylinders/{code}/valve-conversions", dependencies=[acts(Action.CONVERT_VALVE)],
             response_model=CylinderOut,
             status_code=status.HTTP_201_CREATED, tags=["agencies"])
def convert_valve(code: str, body: ValveConversionCreate, session: SessionDep,
                  principal: CurrentPrincipal) -> CylinderOut:
    """气液双相 → single phase, by an agency's inspector (its own event)."""
    return _done(session, inspections.convert_valve(session, principal, code, body))


@router.post("/cylinders/{code}/scrap/accept", dependencies=[acts(Action.ACCEPT_SCRAP)],
             response_model=CylinderOut, tags=["agencies"])
def accept_scrap(code: str, body: ScrapAccept, session: SessionDep,
                 principal: CurrentPrincipal) -> CylinderOut:
    """The agency the cylinder was handed to scraps it: the code is void for ever."""
    return _done(session, inspections.accept_scrap(session, principal, code, body))


@router.post("/cylinders/{code}/scrap/return", dependencies=[acts(Action.ACCEPT_SCRAP)],
             response_model=CylinderOut, tags=["agencies"])
def return_handover(code: str, body: Reason, session: SessionDep,
                    principal: CurrentPrincipal) -> CylinderOut:
    """The agency gives a handed-over cylinder back to its owner, not scrapped."""
    return _done(session, inspections.return_handover(session, principal, code, body.reason))
