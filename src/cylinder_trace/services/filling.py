"""Recording a fill: quotes its open authorization, flags what is wrong, one transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, col, select

from ..config import get_settings
from ..db.tables.accounts import AppUser, Station
from ..db.tables.fills import Fill, FillAuthorization
from ..db.tables.registry import Cylinder
from ..domain.access import Action, scope_of
from ..domain.errors import Conflict, DomainError, Forbidden, NotFound
from ..domain.lifecycle import EventKind
from ..domain.principal import Principal
from ..domain.reasons import FillFlag, ReasonCode
from ..domain.rules import OperatorFacts, assess_fill, operator_certified
from ..observe import FILLS
from ..schemas.fills import FillCreate
from . import registry
from .events import append_event, lock_cylinder
from .notifications import notify


class PreFillCheckFailed(DomainError):
    status = 409
    code = "PRE_FILL_CHECK_FAILED"
    title_en = "The pre-fill check failed: the cylinder goes to inspection"
    title_zh = "充装前检查不合格，气瓶送检"


def _authorization(session: Session, principal: Principal, body: FillCreate,
                   now: datetime) -> FillAuthorization:
    auth = session.exec(
        select(FillAuthorization).where(col(FillAuthorization.id) == body.authorization_id)
        .with_for_update()
    ).first()
    if auth is None:
        raise NotFound("No such authorization", reason="AUTHORIZATION_NOT_FOUND")
    if auth.station_id != principal.station_id:
        raise Forbidden("This authorization was given to another station",
                        reason="AUTHORIZATION_FOREIGN")
    if auth.status == "used":
        raise Conflict("This authorization has already been used for a fill",
                       reason="AUTHORIZATION_USED")
    if auth.status != "open" or auth.expires_at <= now:
        raise Conflict("This authorization has expired: scan the cylinder again",
                       reason="AUTHORIZATION_EXPIRED")
    return auth


def _certified(operator: AppUser | None, principal: Principal, today: date) -> bool:
    """The badge on the record held to the rule of authorization (``rules.operator_certified``).
    The fill has happened by the time it is reported, so a failing badge flags the record (kept,
    and seen by regulators in the history) instead of refusing it: refusing would lose the
    evidence of a fill that took place."""
    if operator is None or principal.enterprise_id is None:
        return False
    facts = OperatorFacts(known=True, enterprise_id=operator.enterprise_id,
                          active=operator.active,
                          certificate_valid_until=operator.certificate_valid_until)
    return operator_certified(facts, principal.enterprise_id, today)


def _tell_regulator(session: Session, fill: Fill, cylinder: Cylinder, badge: str | None) -> None:
    """A fill under a badge that is not a certified operator of the station's company: the
    station's region and company hear of it (notifications and webhooks), in this transaction."""
    station = session.get(Station, fill.station_id)
    notify(session, "fill_operator_not_certified", str(fill.id),
           enterprise_id=station.enterprise_id if station else None,
           region_code=station.region_code if station else cylinder.region_code,
           title_zh=f"气瓶 {cylinder.code} 由无有效资质的充装人员充装",
           title_en=f"Cylinder {cylinder.code} filled under a badge that is not a certified "
                    "operator of the station's company",
           payload={"fill_id": str(fill.id), "code": cylinder.code,
                    "station_id": str(fill.station_id), "badge": badge})


def record_fill(session: Session, principal: Principal,
                body: FillCreate) -> tuple[Fill, str] | PreFillCheckFailed:
    """The fill record and its cylinder's code or, on a failed pre-fill check, the refusal.
    The refusal is returned, not raised: what it records (the denial, the spent authorization)
    is kept, and an exception would roll it back."""
    if scope_of(principal.role, Action.RECORD_FILL) is None:
        raise Forbidden("Fills are reported by the station's appliance (X-API-Key)")
    now = datetime.now(UTC)
    auth = _authorization(session, principal, body, now)
    cylinder = lock_cylinder(session, auth.cylinder_id)
    assert cylinder is not None
    operator_id = auth.operator_id
    operator_flag: tuple[FillFlag, ...] = ()
    if body.operator:
        operator = session.exec(
            select(AppUser).where(col(AppUser.badge) == body.operator)).first()
        operator_id = operator.id if operator else None
        if not _certified(operator, principal, registry.today()):
            operator_flag = (FillFlag.OPERATOR_NOT_CERTIFIED,)
    auth.closed_at = now
    auth.status = "used"
    session.add(auth)
    if body.pre_fill_check is not None and not body.pre_fill_check.passed:
        return _refuse(session, principal, cylinder, auth, body)
    flags = assess_fill(body.net_kg, body.gross_kg, cylinder.max_fill_kg, cylinder.tare_kg,
                        get_settings().tare_tolerance_kg) + operator_flag
    fill = Fill(authorization_id=auth.id, cylinder_id=cylinder.id or 0,
                station_id=auth.station_id, operator_id=operator_id, net_kg=body.net_kg,
                gross_kg=body.gross_kg, gas_batch=body.gas_batch,
                flags=[str(f) for f in flags], filled_at=now)
    session.add(fill)
    append_event(session, cylinder, EventKind.FILLED, principal, {
        "station_id": str(auth.station_id),
        "authorization_id": str(auth.id),
        "fill_id": str(fill.id),
        "net_kg": body.net_kg,
        "gross_kg": body.gross_kg,
        "operator_id": str(operator_id) if operator_id else None,
        "gas_batch": body.gas_batch,
        "flags": [str(f) for f in flags],
        "pre_fill_check": body.pre_fill_check.model_dump() if body.pre_fill_check else None,
    }, station_id=auth.station_id, occurred_at=now)
    if operator_flag:
        _tell_regulator(session, fill, cylinder, body.operator)
    for flag in flags or ("none",):
        FILLS.labels(str(flag)).inc()
    return fill, cylinder.code


def _refuse(session: Session, principal: Principal, cylinder: Cylinder, auth: FillAuthorization,
            body: FillCreate) -> PreFillCheckFailed:
    """A failed pre-fill check refuses the fill and sends the cylinder to inspection."""
    check = body.pre_fill_check
    assert check is not None
    failed = [i.item for i in check.items if not i.ok]
    append_event(session, cylinder, EventKind.FILL_DENIED, principal, {
        "reasons": [str(ReasonCode.PRE_FILL_CHECK_FAILED)],
        "authorization_id": str(auth.id),
        "failed_items": failed,
        "pre_fill_check": check.model_dump(),
        "sent_to_inspection": True,
    }, station_id=auth.station_id)
    return PreFillCheckFailed(
        f"Pre-fill check failed ({', '.join(failed) or 'see the check'}): not filled, "
        "the cylinder goes to inspection", reason=str(ReasonCode.PRE_FILL_CHECK_FAILED),
        failed_items=failed)
