"""Use cases of the inspection agencies (气瓶检验机构): register and manage an agency, its
inspectors, and the read side (the register of what it recorded).

Who may do what (the permission table, domain/access.py, row MANAGE_AGENCY; READ for the rest):
- a platform admin registers agencies, renews, suspends or revokes their approval, and creates
  their inspectors; nobody else (an agency is no company's to make, nor a regulator's);
- every signed-in caller reads the list of agencies (name, credit code, approval, region): the
  register of approved agencies is public, and a company needs it to hand a cylinder over;
- an agency's inspectors and its register are read by a platform admin, regulators whose
  regions meet the agency's, and the agency's own inspectors (their cylinders' scope applies).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..adapters.security import hash_password
from ..db.tables.accounts import AppUser
from ..db.tables.agencies import Agency, Inspection
from ..db.tables.registry import Cylinder
from ..domain import access
from ..domain.access import Action
from ..domain.agencies import AgencyFacts, InspectorFacts
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.identifiers import region_covers
from ..domain.principal import Principal, Role, require_allowed
from ..domain.rules import Licence
from ..schemas.agencies import AgencyCreate, AgencyOut, Approval, InspectorCreate
from . import audit
from .search import scope_clause


def _manage(principal: Principal) -> None:
    require_allowed(principal, Action.MANAGE_AGENCY)


def approval_of(agency: Agency) -> Licence:
    return Licence(agency.approval_status, agency.approval_valid_from,
                   agency.approval_valid_until)


def facts_of(user: AppUser, agency: Agency | None) -> InspectorFacts:
    """The facts the domain rule (domain/agencies.py) judges an inspector by."""
    if agency is None or user.role != Role.INSPECTOR or not user.active:
        return InspectorFacts(agency=None, certificate_valid_until=None)
    return InspectorFacts(agency=AgencyFacts(agency.region_code, approval_of(agency)),
                          certificate_valid_until=user.certificate_valid_until)


def inspector_of(session: Session, principal: Principal,
                 lock: bool = False) -> tuple[AppUser, Agency] | None:
    """The caller's account and agency when the caller is an agency's inspector. ``lock``
    holds the agency row (FOR SHARE) to the end of the transaction, so an approval suspended
    at the same moment waits for this record or refuses it, never half of both."""
    if principal.kind != "user" or principal.role != Role.INSPECTOR:
        return None
    user = session.get(AppUser, principal.id)
    if user is None or user.agency_id is None:
        return None
    agency = session.get(Agency, user.agency_id,
                         with_for_update={"read": True} if lock else None)
    return (user, agency) if agency is not None else None


def _add_new(session: Session, row: Agency | AppUser, taken: str, reason: str) -> None:
    """Add a row and send it now, so that a unique key already taken is a Conflict (`reason`)
    before anything else is written; the transaction stays open."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(taken, reason=reason) from exc


def _set_approval(agency: Agency, approval: Approval) -> None:
    agency.approval_number = approval.number
    agency.approval_valid_from = approval.valid_from
    agency.approval_valid_until = approval.valid_until
    agency.approval_status = approval.status


def create_agency(session: Session, principal: Principal, data: AgencyCreate) -> Agency:
    _manage(principal)
    agency = Agency(name=data.name, credit_code=data.credit_code, region_code=data.region_code,
                    approval_number="", approval_valid_until=data.approval.valid_until)
    _set_approval(agency, data.approval)
    _add_new(session, agency, "An agency with this credit code already exists", "AGENCY_EXISTS")
    audit.record(session, principal, "agency.create", "agency", agency.id,
                 region_code=agency.region_code,
                 after={"name": agency.name, "credit_code": agency.credit_code,
                        **_approval_values(agency)})
    return agency


def _approval_values(agency: Agency) -> dict[str, Any]:
    return {"approval_number": agency.approval_number,
            "approval_valid_from": agency.approval_valid_from,
            "approval_valid_until": agency.approval_valid_until,
            "approval_status": agency.approval_status}


def update_approval(session: Session, principal: Principal, agency_id: uuid.UUID,
                    approval: Approval) -> Agency:
    """Renew, suspend or revoke: judged again at each inspection from then on (work already
    recorded stays recorded: it was valid when it was done)."""
    _manage(principal)
    agency = session.get(Agency, agency_id, with_for_update=True)
    if agency is None:
        raise NotFound("No such agency")
    before = _approval_values(agency)
    _set_approval(agency, approval)
    session.add(agency)
    audit.record(session, principal, "agency.approval", "agency", agency.id,
                 region_code=agency.region_code, before=before, after=_approval_values(agency))
    return agency


def _meets(principal: Principal, agency: Agency) -> bool:
    """Whether a regulator's regions and the agency's region overlap (either covers the other:
    a city agency works in a district regulator's area, and the other way round)."""
    return any(region_covers(scope, agency.region_code) or region_covers(agency.region_code, scope)
               for scope in principal.region_codes)


def sees_work(session: Session, principal: Principal, agency: Agency) -> bool:
    """Whether the caller reads the agency's inspectors and register."""
    if principal.role == Role.PLATFORM_ADMIN:
        return True
    if principal.role == Role.REGULATOR:
        return _meets(principal, agency)
    mine = inspector_of(session, principal)
    return mine is not None and mine[1].id == agency.id


def list_agencies(session: Session, principal: Principal) -> list[Agency]:
    """The public register of agencies: every signed-in caller reads it; a regulator sees the
    agencies working in its regions, an inspector its own agency."""
    rows = list(session.exec(select(Agency).order_by(col(Agency.region_code),
                                                     col(Agency.name))).all())
    if principal.role == Role.REGULATOR:
        return [a for a in rows if _meets(principal, a)]
    if principal.role == Role.INSPECTOR:
        mine = inspector_of(session, principal)
        return [a for a in rows if mine is not None and a.id == mine[1].id]
    return rows


def get_agency(session: Session, principal: Principal, agency_id: uuid.UUID) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None or agency not in list_agencies(session, principal):
        raise NotFound("No such agency in your scope")
    return agency


def agency_out(agency: Agency, today: Any) -> AgencyOut:
    approval = Approval(number=agency.approval_number, valid_from=agency.approval_valid_from,
                        valid_until=agency.approval_valid_until,
                        status=agency.approval_status)  # type: ignore[arg-type]
    return AgencyOut(id=agency.id, name=agency.name, credit_code=agency.credit_code,
                     region_code=agency.region_code, approval=approval,
                     approval_valid_today=approval_of(agency).valid_on(today),
                     created_at=agency.created_at)


def create_inspector(session: Session, principal: Principal, agency_id: uuid.UUID,
                     data: InspectorCreate) -> AppUser:
    """An inspector account of one agency: no enterprise; its read scope is the agency's
    region (the cylinders presented to the agency there)."""
    _manage(principal)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("No such agency")
    try:  # the role rule for accounts: an inspector is its agency's, in its agency's region
        grant = access.new_account(principal.role, principal.enterprise_id, Role.INSPECTOR, None,
                                   [agency.region_code], agency_id=agency.id)
    except access.AccountRefused as exc:
        raise (Forbidden if exc.forbidden else Invalid)(str(exc), reason=exc.code) from exc
    user = AppUser(username=data.username, password_hash=hash_password(data.password),
                   role=Role.INSPECTOR.value, agency_id=agency.id,
                   region_codes=list(grant.region_codes),
                   certificate_number=data.certificate.number,
                   certificate_valid_until=data.certificate.valid_until)
    _add_new(session, user, "A user with this username already exists", "USERNAME_TAKEN")
    audit.record(session, principal, "user.create", "user", user.id,
                 region_code=agency.region_code,
                 after={"username": user.username, "role": user.role, "agency_id": agency.id,
                        "certificate_valid_until": user.certificate_valid_until})
    return user


def inspectors(session: Session, principal: Principal, agency: Agency) -> list[AppUser]:
    if not sees_work(session, principal, agency):
        raise NotFound("No such agency in your scope")
    return list(session.exec(select(AppUser).where(col(AppUser.agency_id) == agency.id)
                             .order_by(col(AppUser.username))).all())


def register(session: Session, principal: Principal, agency: Agency,
             limit: int = 50) -> list[tuple[Inspection, str]]:
    """The agency's recent work, newest first, limited to cylinders in the caller's scope."""
    if not sees_work(session, principal, agency):
        raise NotFound("No such agency in your scope")
    query = (select(Inspection, Cylinder.code)
             .join(Cylinder, col(Cylinder.id) == col(Inspection.cylinder_id))
             .where(col(Inspection.agency_id) == agency.id)
             .order_by(col(Inspection.recorded_at).desc(), col(Inspection.id).desc())
             .limit(limit))
    scope = scope_clause(principal)
    if scope is not None:
        query = query.where(scope)
    return [(row, code) for row, code in session.exec(query).all()]
