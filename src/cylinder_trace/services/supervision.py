"""Regulators' inspections (监督检查) recorded in the system: who inspected (their account and
real name, signed), when, findings by item, photos, the deadline to rectify and the
re-inspection; a major hazard is followed under 五定 and closed out by a regulator only. The
company inspected reads its own visits and fixes the five; it never closes a major hazard."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from ..db.scope import visible
from ..db.tables.accounts import AppUser, Enterprise, Station
from ..db.tables.lifecycle import Customer
from ..db.tables.supervision import MajorHazard, SupervisionPhoto, SupervisionVisit
from ..domain import supervision as rules
from ..domain.access import Action, Scope, scope_of
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.principal import Principal, require_allowed, require_may
from . import audit, registry
from .notifications import notify
from .photos import checked_photo

MAX_PHOTOS = 6


def _subject(session: Session, principal: Principal, subject: rules.Subject,
             enterprise_id: uuid.UUID, station_id: uuid.UUID | None,
             customer_id: uuid.UUID | None) -> tuple[Enterprise, str]:
    """The company (and its station or delivery point) inspected, and the region it lies in."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise")
    region = enterprise.region_code
    if subject == rules.Subject.STATION:
        station = session.get(Station, station_id) if station_id else None
        if station is None or station.enterprise_id != enterprise.id:
            raise Invalid("Name a station of this enterprise", reason="SUBJECT")
        region = station.region_code
    elif subject == rules.Subject.DELIVERY_POINT:
        customer = session.get(Customer, customer_id) if customer_id else None
        if customer is None or customer.enterprise_id != enterprise.id:
            raise Invalid("Name a customer (delivery point) of this enterprise",
                          reason="SUBJECT")
        region = customer.region_code
    if scope_of(principal.role, Action.RECORD_VISIT) == Scope.REGION:
        principal.require_sees(None, region)  # a regulator inspects in its regions
    return enterprise, region


def _findings(subject: rules.Subject, raw: list[dict[str, Any]]) -> list[rules.Finding]:
    findings = [rules.Finding(item=str(f.get("item", "")), ok=bool(f.get("ok")),
                              note=(str(f["note"])[:500] if f.get("note") else None),
                              major=bool(f.get("major")) and not f.get("ok")) for f in raw]
    if not findings:
        raise Invalid("A visit records its findings, item by item", reason="FINDINGS")
    unknown = rules.unknown_items(subject, findings)
    if unknown:
        raise Invalid(f"Not items of this checklist: {', '.join(unknown)}", reason="FINDINGS")
    return findings


def record_visit(session: Session, principal: Principal, *, subject: str,
                 enterprise_id: uuid.UUID, station_id: uuid.UUID | None = None,
                 customer_id: uuid.UUID | None = None, visited_on: date, inspector_name: str,
                 signed: bool, findings: list[dict[str, Any]], rectify_by: date | None = None,
                 reinspection_of: uuid.UUID | None = None) -> SupervisionVisit:
    require_allowed(principal, Action.RECORD_VISIT)
    try:
        kind = rules.Subject(subject)
    except ValueError as exc:
        raise Invalid("subject is station | enterprise | delivery_point",
                      reason="SUBJECT") from exc
    if not signed or not inspector_name.strip():
        # 谁检查、谁签名、谁负责: an unsigned visit is not a record anyone answers for
        raise Invalid("The inspector signs the visit with their real name", reason="UNSIGNED")
    if visited_on > registry.today():
        raise Invalid("A visit is recorded once it has happened", reason="VISIT_DATE")
    checked = _findings(kind, findings)
    status = rules.visit_status(checked)
    if status == rules.VisitStatus.RECTIFYING and (rectify_by is None or
                                                    rectify_by < visited_on):
        raise Invalid("Findings need a deadline to rectify (after the visit)",
                      reason="RECTIFY_BY")
    enterprise, region = _subject(session, principal, kind, enterprise_id, station_id,
                                  customer_id)
    earlier = None
    if reinspection_of is not None:  # 复查: the earlier visit of the same subject
        earlier = session.exec(select(SupervisionVisit).where(
            col(SupervisionVisit.id) == reinspection_of).with_for_update()).first()
        if earlier is None or (earlier.subject, earlier.enterprise_id, earlier.station_id,
                               earlier.customer_id) != (kind.value, enterprise.id, station_id,
                                                        customer_id):
            raise Invalid("A re-inspection names an earlier visit of the same subject",
                          reason="REINSPECTION")
        if earlier.status != rules.VisitStatus.RECTIFYING:
            raise Conflict("That visit has nothing left to re-inspect", reason="REINSPECTION")
    user = session.get(AppUser, principal.id)
    visit = SupervisionVisit(
        subject=kind.value, enterprise_id=enterprise.id, station_id=station_id,
        customer_id=customer_id, region_code=region, visited_on=visited_on,
        inspector_id=principal.id, inspector_name=inspector_name.strip()[:60],
        department=getattr(user, "department", None), signed_at=datetime.now(UTC),
        findings=[asdict(f) for f in checked], rectify_by=rectify_by if status ==
        rules.VisitStatus.RECTIFYING else None, status=status.value,
        reinspection_of=reinspection_of)
    session.add(visit)
    session.flush()
    if earlier is not None:
        earlier.reinspected_by_visit = visit.id
        if status == rules.VisitStatus.CLEAN:
            earlier.status = rules.VisitStatus.RECTIFIED.value
        session.add(earlier)
    for f in checked:
        if f.major:
            session.add(MajorHazard(visit_id=visit.id, enterprise_id=enterprise.id,
                                    region_code=region, item=f.item,
                                    description=f.note or rules.ITEMS[kind][f.item][0]))
    audit.record(session, principal, "supervision.visit", kind.value, station_id or
                 customer_id or enterprise.id, enterprise_id=enterprise.id, region_code=region,
                 after={"visit_id": visit.id, "status": status.value,
                        "problems": [f.item for f in checked if not f.ok],
                        "rectify_by": visit.rectify_by})
    if status == rules.VisitStatus.RECTIFYING:
        notify(session, "supervision_rectify", str(visit.id), enterprise_id=enterprise.id,
               region_code=region, title_zh=f"监督检查限期整改：{enterprise.name}",
               title_en="A regulator's inspection found items to rectify",
               payload={"visit_id": str(visit.id), "rectify_by": str(rectify_by),
                        "items": [f.item for f in checked if not f.ok]})
    session.flush()
    session.refresh(visit)
    return visit


def visits(session: Session, principal: Principal, enterprise_id: uuid.UUID | None = None,
           limit: int = 200) -> list[SupervisionVisit]:
    """Regulators: their regions; a company: the visits of itself (it is told what was found)."""
    query = select(SupervisionVisit).where(visible(
        principal, col(SupervisionVisit.enterprise_id), col(SupervisionVisit.region_code)))
    if enterprise_id:
        query = query.where(col(SupervisionVisit.enterprise_id) == enterprise_id)
    return list(session.exec(query.order_by(col(SupervisionVisit.visited_on).desc(),
                                            col(SupervisionVisit.created_at).desc())
                             .limit(limit)))


def visit_for(session: Session, principal: Principal, visit_id: uuid.UUID) -> SupervisionVisit:
    visit = session.get(SupervisionVisit, visit_id)
    if visit is None:
        raise NotFound("No such visit")
    principal.require_sees(visit.enterprise_id, visit.region_code)
    return visit


def add_photo(session: Session, principal: Principal, visit_id: uuid.UUID,
              data: bytes) -> SupervisionPhoto:
    require_allowed(principal, Action.RECORD_VISIT)
    visit = visit_for(session, principal, visit_id)
    if visit.inspector_id != principal.id and \
            scope_of(principal.role, Action.RECORD_VISIT) != Scope.PLATFORM:
        raise Forbidden("Photos are added by the inspector who signed the visit",
                        reason="NOT_THE_INSPECTOR")
    count = len(photos_of(session, visit))
    if count >= MAX_PHOTOS:
        raise Invalid(f"At most {MAX_PHOTOS} photos a visit", reason="PHOTO_COUNT")
    photo = checked_photo(data)
    row = SupervisionPhoto(visit_id=visit.id, media_type=photo.media_type, size=len(data),
                           data=data)
    session.add(row)
    session.flush()
    session.refresh(row)
    return row


def photos_of(session: Session, visit: SupervisionVisit) -> list[SupervisionPhoto]:
    return list(session.exec(select(SupervisionPhoto).where(
        col(SupervisionPhoto.visit_id) == visit.id).order_by(col(SupervisionPhoto.created_at))))


def hazards_of(session: Session, visit: SupervisionVisit) -> list[MajorHazard]:
    return list(session.exec(select(MajorHazard).where(col(MajorHazard.visit_id) == visit.id)))


def _hazard(session: Session, principal: Principal, hazard_id: uuid.UUID) -> MajorHazard:
    hazard = session.exec(select(MajorHazard).where(col(MajorHazard.id) == hazard_id)
                          .with_for_update()).first()
    if hazard is None:
        raise NotFound("No such major hazard")
    principal.require_sees(hazard.enterprise_id, hazard.region_code)
    return hazard


def fix_five(session: Session, principal: Principal, hazard_id: uuid.UUID,
             values: dict[str, Any]) -> MajorHazard:
    """The company (or the regulator) fixes the five: person, measures, funds, deadline, plan."""
    hazard = _hazard(session, principal, hazard_id)
    if hazard.status != "open":
        raise Conflict("This major hazard is closed", reason="HAZARD_CLOSED")
    require_may(principal, Action.FIX_FIVE, hazard.enterprise_id, hazard.region_code)
    before = {k: getattr(hazard, k) for k in rules.FIVE_FIXED}
    for key in rules.FIVE_FIXED:
        if values.get(key) is not None:
            setattr(hazard, key, values[key])
    audit.record(session, principal, "major_hazard.five_fixed", "major_hazard", hazard.id,
                 enterprise_id=hazard.enterprise_id, region_code=hazard.region_code,
                 before=before, after={k: getattr(hazard, k) for k in rules.FIVE_FIXED})
    session.add(hazard)
    session.flush()
    session.refresh(hazard)
    return hazard


def close_hazard(session: Session, principal: Principal, hazard_id: uuid.UUID,
                 note: str) -> MajorHazard:
    """销号: a regulator closes a major hazard once all five are fixed; never the company."""
    require_allowed(principal, Action.CLOSE_MAJOR_HAZARD)
    hazard = _hazard(session, principal, hazard_id)
    if hazard.status != "open":
        raise Conflict("This major hazard is already closed", reason="HAZARD_CLOSED")
    missing = rules.five_fixed_missing({k: getattr(hazard, k) for k in rules.FIVE_FIXED})
    if missing:
        raise Conflict("五定未完成 · the five are not all fixed: " + ", ".join(missing),
                       reason="FIVE_FIXED_MISSING",
                       missing=missing)
    hazard.status, hazard.closed_at = "closed", datetime.now(UTC)
    hazard.closed_by, hazard.close_note = principal.actor, note
    audit.record(session, principal, "major_hazard.close", "major_hazard", hazard.id,
                 enterprise_id=hazard.enterprise_id, region_code=hazard.region_code,
                 after={"note": note})
    session.add(hazard)
    session.flush()
    session.refresh(hazard)
    return hazard


def open_hazards(session: Session, principal: Principal, limit: int = 200) -> list[MajorHazard]:
    """Major hazards in scope, open ones first (the ledger a regulator follows to zero)."""
    query = select(MajorHazard).where(visible(principal, col(MajorHazard.enterprise_id),
                                              col(MajorHazard.region_code)))
    return list(session.exec(query.order_by(col(MajorHazard.status) != "open",
                                            col(MajorHazard.deadline)).limit(limit)))
