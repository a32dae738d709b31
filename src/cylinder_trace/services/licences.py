"""Regulators change licences (suspend, reinstate, revoke, renew) and record enforcement
(penalties, summons, warnings). A company never lifts what a regulator imposed: these writes are
the regulators' (and the platform's) only, and the company is told of each."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, select

from ..db.tables.accounts import Enterprise, Station
from ..db.tables.supervision import EnforcementRecord, LicenceChange
from ..domain import licences as rules
from ..domain.access import Action, department_of
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.principal import Principal, Role, require_allowed
from . import audit, registry
from .notifications import notify
from .reminders import local_day


def _target(session: Session, principal: Principal, enterprise_id: uuid.UUID,
            station_id: uuid.UUID | None) -> tuple[Enterprise, Station | None]:
    """The enterprise (and station) under change, locked: two changes at once apply in turn."""
    enterprise = session.exec(select(Enterprise).where(col(Enterprise.id) == enterprise_id)
                              .with_for_update()).first()
    if enterprise is None:
        raise NotFound("No such enterprise")
    principal.require_sees(enterprise.id, enterprise.region_code)
    station = None
    if station_id is not None:
        station = session.exec(select(Station).where(col(Station.id) == station_id)
                               .with_for_update()).first()
        if station is None or station.enterprise_id != enterprise.id:
            raise NotFound("No such station of this enterprise")
    return enterprise, station


def _apply(obj: Any, kind: rules.LicenceKind, change: LicenceChange) -> None:
    prefix = f"{kind.value}_licence"
    setattr(obj, f"{prefix}_status", change.status_after)
    if change.action == rules.LicenceAction.RENEW:
        setattr(obj, f"{prefix}_number", change.number)
        setattr(obj, f"{prefix}_valid_from", change.effective_on)
        setattr(obj, f"{prefix}_valid_until", change.valid_until)


def change_licence(
    session: Session, principal: Principal, enterprise_id: uuid.UUID, *, licence: str,
    action: str, reason: str, effective_on: date | None = None, number: str | None = None,
    valid_until: date | None = None, station_id: uuid.UUID | None = None,
) -> LicenceChange:
    require_allowed(principal, Action.CHANGE_LICENCE)
    try:
        kind, act = rules.LicenceKind(licence), rules.LicenceAction(action)
    except ValueError as exc:
        raise Invalid("licence is filling|operating; action is suspend|reinstate|revoke|renew",
                      reason="LICENCE_ACTION") from exc
    if principal.role == Role.REGULATOR and \
            department_of(principal.department).value != rules.DEPARTMENT_OF[kind]:
        # the market regulator acts on filling licences, 住建/城管 on operating licences
        raise Forbidden(f"The {kind.value} licence is the {rules.DEPARTMENT_OF[kind]} "
                        "department's", reason="DEPARTMENT_NOT_ALLOWED")
    if station_id is not None and kind != rules.LicenceKind.FILLING:
        raise Invalid("A station holds a filling licence only", reason="LICENCE_ACTION")
    today = registry.today()
    effective_on = effective_on or today
    if effective_on < today:
        raise Invalid("A change takes effect today or later; history is not rewritten",
                      reason="LICENCE_BACKDATED")
    enterprise, station = _target(session, principal, enterprise_id, station_id)
    holder: Any = station or enterprise
    before = getattr(holder, f"{kind.value}_licence_status")
    if getattr(holder, f"{kind.value}_licence_number") is None:
        before = None
    result = rules.change(act, before, number=number, valid_until=valid_until,
                          effective_on=effective_on)
    if result.refusal:
        raise Conflict(result.refusal, reason="LICENCE_STATE")
    change = LicenceChange(
        enterprise_id=enterprise.id, station_id=station.id if station else None,
        licence=kind.value, action=act.value, reason=reason, effective_on=effective_on,
        number=number, valid_until=valid_until, status_before=before,
        status_after=result.status_after, actor=principal.actor, actor_role=principal.role.value)
    if effective_on <= today:
        _apply(holder, kind, change)
        change.applied_at = datetime.now(UTC)
        session.add(holder)
    session.add(change)
    session.flush()
    audit.record(session, principal, f"licence.{act.value}", "station" if station else
                 "enterprise", (station or enterprise).id, enterprise_id=enterprise.id,
                 region_code=station.region_code if station else enterprise.region_code,
                 before={"licence": kind.value, "status": before},
                 after={"licence": kind.value, "status": change.status_after,
                        "effective_on": effective_on, "reason": reason, "number": number,
                        "valid_until": valid_until})
    zh, en = rules.ACTION_TEXT[act]
    what_zh = "气瓶充装许可证" if kind == rules.LicenceKind.FILLING else "燃气经营许可证"
    notify(session, "licence_changed", str(change.id), enterprise_id=enterprise.id,
           region_code=enterprise.region_code,
           title_zh=f"{what_zh}{zh}：{station.name if station else enterprise.name}",
           title_en=f"{kind.value} licence {en}", payload={
               "licence": kind.value, "action": act.value, "station_id": str(station.id)
               if station else None, "effective_on": effective_on.isoformat(),
               "reason": reason})
    session.flush()
    session.refresh(change)
    return change


def apply_due(session: Session, now: datetime) -> dict[str, Any]:
    """The job: changes whose effective day has come are applied, oldest first; one that no
    longer fits the licence's state (reinstated meanwhile, say) is closed without effect."""
    day = local_day(now)
    applied = skipped = 0
    due = session.exec(select(LicenceChange).where(
        col(LicenceChange.applied_at).is_(None), col(LicenceChange.effective_on) <= day)
        .order_by(col(LicenceChange.effective_on), col(LicenceChange.created_at))
        .with_for_update(skip_locked=True)).all()
    for change in due:
        holder: Any = session.get(Station, change.station_id, with_for_update=True) \
            if change.station_id else session.get(Enterprise, change.enterprise_id,
                                                  with_for_update=True)
        kind = rules.LicenceKind(change.licence)
        result = rules.change(rules.LicenceAction(change.action),
                              getattr(holder, f"{kind.value}_licence_status"),
                              number=change.number, valid_until=change.valid_until,
                              effective_on=change.effective_on)
        if result.refusal:
            skipped += 1
        else:
            _apply(holder, kind, change)
            session.add(holder)
            applied += 1
        change.applied_at = now
        session.add(change)
    return {"applied": applied, "skipped": skipped}


def _readable(session: Session, principal: Principal, enterprise_id: uuid.UUID) -> Enterprise:
    """The company itself and the regulators over its region read its licence history and
    the enforcement against it."""
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise")
    principal.require_sees(enterprise.id, enterprise.region_code)
    return enterprise


def changes_of(session: Session, principal: Principal,
               enterprise_id: uuid.UUID) -> list[LicenceChange]:
    _readable(session, principal, enterprise_id)
    return list(session.exec(select(LicenceChange).where(
        col(LicenceChange.enterprise_id) == enterprise_id)
        .order_by(col(LicenceChange.created_at).desc())))


def record_enforcement(
    session: Session, principal: Principal, enterprise_id: uuid.UUID, *, kind: str,
    decided_on: date, reason: str, document_number: str | None, amount_yuan: int | None,
) -> EnforcementRecord:
    require_allowed(principal, Action.RECORD_ENFORCEMENT)
    try:
        k = rules.EnforcementKind(kind)
    except ValueError as exc:
        raise Invalid("kind is penalty|summons|warning", reason="ENFORCEMENT_KIND") from exc
    if decided_on > registry.today():
        raise Invalid("A decision is recorded once it is made", reason="ENFORCEMENT_DATE")
    if amount_yuan is not None and (k != rules.EnforcementKind.PENALTY or amount_yuan < 0):
        raise Invalid("Only a penalty carries an amount, of zero or more yuan",
                      reason="ENFORCEMENT_AMOUNT")
    enterprise = _target(session, principal, enterprise_id, None)[0]
    record = EnforcementRecord(enterprise_id=enterprise.id, kind=k.value, decided_on=decided_on,
                               reason=reason, document_number=document_number,
                               amount_yuan=amount_yuan, actor=principal.actor)
    session.add(record)
    session.flush()
    audit.record(session, principal, f"enforcement.{k.value}", "enterprise", enterprise.id,
                 enterprise_id=enterprise.id, region_code=enterprise.region_code,
                 after={"record_id": record.id, "decided_on": decided_on, "reason": reason,
                        "document_number": document_number, "amount_yuan": amount_yuan})
    zh, en = rules.ENFORCEMENT_TEXT[k]
    notify(session, "enforcement_recorded", str(record.id), enterprise_id=enterprise.id,
           region_code=enterprise.region_code, title_zh=f"{zh}：{enterprise.name}",
           title_en=en, payload={"kind": k.value, "decided_on": decided_on.isoformat(),
                                 "document_number": document_number})
    session.flush()
    session.refresh(record)
    return record


def enforcement_of(session: Session, principal: Principal,
                   enterprise_id: uuid.UUID) -> list[EnforcementRecord]:
    _readable(session, principal, enterprise_id)
    return list(session.exec(select(EnforcementRecord).where(
        col(EnforcementRecord.enterprise_id) == enterprise_id)
        .order_by(col(EnforcementRecord.decided_on).desc())))
