"""Seizure and release, ownership transfer and entrustment, recall campaigns (scrapping is an
inspection agency's: services/inspections.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, exists, false, or_, text
from sqlmodel import Session, col, select

from ..db.scope import visible
from ..db.tables.accounts import Enterprise
from ..db.tables.lifecycle import RecallCampaign, RecallItem
from ..db.tables.registry import Cylinder, CylinderEvent
from ..domain import access
from ..domain.access import Action
from ..domain.errors import Conflict, CylinderHeld, Invalid, NotFound, RegulatorHold
from ..domain.identifiers import region_covers
from ..domain.lifecycle import EventKind, Move, movement_refusals
from ..domain.models_spec import lookup
from ..domain.principal import Principal, require_may
from ..schemas.lifecycle import EntrustCreate, RecallCreate, RecallOut, TransferCreate
from . import registry
from .events import actor_of, append_event, state_of
from .notifications import notify, notify_holders
from .search import scope_clause

_REGULATOR_RECALL_SQL = text(
    "SELECT EXISTS (SELECT 1 FROM recall_item i JOIN recall_campaign r ON r.id = i.recall_id "
    "WHERE i.cylinder_id = :cid AND r.status = 'open' "
    "AND coalesce(r.ordered_by_role, 'regulator') IN ('regulator', 'platform_admin'))")


def move(session: Session, principal: Principal, c: Cylinder, kind: EventKind,
         payload: dict[str, Any], *, to_enterprise_id: uuid.UUID | None = None,
         occurred_at: datetime | None = None) -> CylinderEvent:
    """Every movement of a cylinder goes through here: a seizure or recall stops it
    (``lifecycle.movement_refusals``), otherwise its event is appended. ``to_enterprise_id``:
    the company a return brings it to.

    The row is (re)read under its lock here, so a seizure committed while a dispatch was being
    checked is seen: the two serialise on the cylinder row, and the movement loses."""
    session.refresh(c, with_for_update=True)
    state = state_of(c)
    regulator_recall = bool(
        kind == EventKind.SCRAPPED and c.recalled
        and session.execute(_REGULATOR_RECALL_SQL, {"cid": c.id}).scalar())
    holds = movement_refusals(state, kind, Move(
        by_role=principal.role.value,
        to_other_company=to_enterprise_id is not None and to_enterprise_id != c.owner_enterprise_id,
        regulator_recall=regulator_recall))
    if holds:
        raise CylinderHeld(f"{c.code} is {' and '.join(h.lower() for h in holds)}: "
                           f"no {kind.value.replace('_', ' ')} while it is held",
                           holds=list(holds), cylinder=c.code)
    return append_event(session, c, kind, principal, payload, occurred_at=occurred_at)


def seize(session: Session, principal: Principal, code: str, reason: str) -> Cylinder:
    """查封扣押: refused at every fill until released (regulators in their regions, admins).
    The seizer's role is kept: a regulator's seizure is released only by the regulator's side."""
    c = registry.cylinder_for(session, principal, code, for_update=True)
    require_may(principal, Action.SEIZE, c.owner_enterprise_id, c.region_code)
    event = append_event(session, c, EventKind.SEIZED, principal,
                         {"reason": reason, "by_role": principal.role.value})
    # The owner hears of it through the outbox, in this same transaction.
    notify(session, "cylinder_seized", f"{c.code}:{event.occurred_at.isoformat()}",
           enterprise_id=c.owner_enterprise_id, region_code=c.region_code,
           title_zh=f"气瓶 {c.code} 已被查封", title_en=f"Cylinder {c.code} was seized",
           payload={"code": c.code, "reason": reason})
    return c


def release(session: Session, principal: Principal, code: str, reason: str) -> Cylinder:
    c = registry.cylinder_for(session, principal, code, for_update=True)
    require_may(principal, Action.RELEASE, c.owner_enterprise_id, c.region_code)
    if c.seized and not access.may_lift(c.seized_by, principal.role):
        raise RegulatorHold("This seizure was ordered by a regulator: only a regulator in scope "
                            "or a platform admin releases it", taken_by=c.seized_by or "unknown")
    append_event(session, c, EventKind.RELEASED, principal, {"reason": reason})
    return c


def _other_enterprise(session: Session, enterprise_id: uuid.UUID, c: Cylinder) -> Enterprise:
    target = session.get(Enterprise, enterprise_id)
    if target is None:
        raise Invalid("to_enterprise_id names no enterprise", field="to_enterprise_id")
    if target.id == c.owner_enterprise_id:
        raise Invalid("The cylinder already belongs to that enterprise",
                      field="to_enterprise_id", reason="SAME_OWNER")
    return target


def transfer(session: Session, principal: Principal, code: str, body: TransferCreate) -> Cylinder:
    """产权置换 / transfer: a new owner; entrustment ends; NOT_OWNED follows the new owner."""
    c = registry.cylinder_for(session, principal, code, for_update=True)
    require_may(principal, Action.TRANSFER, c.owner_enterprise_id, c.region_code)
    target = _other_enterprise(session, body.to_enterprise_id, c)
    move(session, principal, c, EventKind.TRANSFERRED, {
        "from_enterprise_id": str(c.owner_enterprise_id), "to_enterprise_id": str(target.id),
        "region_code": target.region_code, "reason": body.reason})
    return c


def entrust(session: Session, principal: Principal, code: str, body: EntrustCreate) -> Cylinder:
    """托管: another filling company may fill this cylinder until a date, in writing."""
    c = registry.cylinder_for(session, principal, code, for_update=True)
    require_may(principal, Action.ENTRUST, c.owner_enterprise_id, c.region_code)
    target = _other_enterprise(session, body.to_enterprise_id, c)
    move(session, principal, c, EventKind.ENTRUSTED, {
        "to_enterprise_id": str(target.id), "until": body.until.isoformat(),
        "reason": body.reason})
    return c


# --- recalls -------------------------------------------------------------------------------------

def _criteria_clause(criteria: dict[str, Any]) -> Any:
    parts = []
    if criteria.get("manufacturer"):
        parts.append(col(Cylinder.manufacturer) == criteria["manufacturer"])
    if criteria.get("model"):
        spec = lookup(criteria["model"])
        parts.append(col(Cylinder.model) == (spec.name if spec else criteria["model"].upper()))
    if criteria.get("made_from"):  # the criteria are kept as JSON: dates come back as text
        parts.append(col(Cylinder.manufacture_date) >= date.fromisoformat(criteria["made_from"]))
    if criteria.get("made_until"):
        parts.append(col(Cylinder.manufacture_date) <= date.fromisoformat(criteria["made_until"]))
    if criteria.get("valve_type"):
        parts.append(col(Cylinder.valve_type) == criteria["valve_type"])
    if criteria.get("codes") is not None:
        wanted = [p.code for p in map(registry.parse, criteria["codes"]) if p.code]
        parts.append(col(Cylinder.code).in_(wanted) if wanted else false())
    return and_(*parts)


def start_recall(session: Session, principal: Principal, body: RecallCreate) -> RecallCampaign:
    """Mark every matching cylinder in the caller's scope recalled, with its event, at once.
    Cylinders another open recall already holds are caught too, so that closing that one (a
    company's own, say) does not end this one's hold."""
    enterprise_id = body.enterprise_id
    if access.scope_of(principal.role, Action.RECALL) == access.Scope.OWN:
        enterprise_id = principal.enterprise_id  # a company recalls its own cylinders only
    criteria = body.criteria.model_dump(mode="json", exclude_none=True)
    campaign = RecallCampaign(ordered_by=principal.id, ordered_by_role=principal.role.value,
                              region_codes=list(principal.region_codes),
                              enterprise_id=enterprise_id, reason=body.reason, criteria=criteria)
    session.add(campaign)
    session.flush()
    where = [_criteria_clause(criteria), col(Cylinder.status) == "active"]
    scope = scope_clause(principal)
    if scope is not None:
        where.append(scope)
    if enterprise_id is not None:
        where.append(col(Cylinder.owner_enterprise_id) == enterprise_id)
    ids = [int(i) for i in session.exec(select(col(Cylinder.id)).where(*where)).all() if i]
    if ids:
        now = datetime.now(UTC)
        actor_kind, actor_id = actor_of(principal)
        # Set-based, for recalls of many thousands: the same change as lifecycle.apply(RECALLED)
        # (recalled = true), the event and the campaign's list, in this one transaction.
        params = {"ids": ids, "rid": str(campaign.id), "now": now, "ak": actor_kind,
                  "aid": actor_id, "eid": principal.enterprise_id}
        session.execute(text(
            "UPDATE cylinder SET recalled = true, updated_at = :now WHERE id = ANY(:ids)"), params)
        session.execute(text(
            "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, actor_id, "
            "enterprise_id, payload) SELECT unnest(CAST(:ids AS bigint[])), :now, 'recalled', "
            ":ak, :aid, :eid, jsonb_build_object('recall_id', CAST(:rid AS text))"), params)
        session.execute(text(
            "INSERT INTO recall_item (recall_id, cylinder_id) "
            "SELECT CAST(:rid AS uuid), unnest(CAST(:ids AS bigint[]))"), params)
    campaign.matched = len(ids)
    session.add(campaign)
    notify(session, "recall_started", str(campaign.id), enterprise_id=enterprise_id,
           region_code=principal.region_codes[0] if principal.region_codes else None,
           title_zh=f"气瓶召回：{body.reason}（{len(ids)} 只）",
           title_en=f"Cylinder recall: {body.reason} ({len(ids)})",
           payload={"recall_id": str(campaign.id), "matched": len(ids), "criteria": criteria})
    # A regulator's recall across a region binds every company whose cylinders it caught:
    # each of them is told, not only the region.
    notify_holders(session, "recall_started", str(campaign.id), ids, told=enterprise_id,
                   title_zh=f"气瓶召回：{body.reason}（贵公司气瓶在内）",
                   title_en=f"Cylinder recall: {body.reason} (your cylinders included)",
                   payload={"recall_id": str(campaign.id), "criteria": criteria})
    return campaign


def _recall_seen(principal: Principal) -> Any:
    """The recalls a caller sees, as a WHERE condition (the one scope builder, db/scope.py): the
    company it was for and the regions it was ordered for, as any row of theirs (``regions``:
    any of the campaign's); and whoever's cylinders it caught (a company must act on a
    regulator's recall of its cylinders, the regulators of their regions follow it)."""
    caught = select(col(RecallItem.cylinder_id)).join(
        Cylinder, col(Cylinder.id) == col(RecallItem.cylinder_id)).where(
        col(RecallItem.recall_id) == col(RecallCampaign.id), scope_clause(principal))
    return or_(visible(principal, col(RecallCampaign.enterprise_id), None,
                       regions=col(RecallCampaign.region_codes)), exists(caught))


def recall_for(session: Session, principal: Principal, recall_id: uuid.UUID) -> RecallCampaign:
    """One campaign, by the same condition as the list (out of sight: 404)."""
    campaign = session.exec(select(RecallCampaign).where(
        col(RecallCampaign.id) == recall_id, _recall_seen(principal))).first()
    if campaign is None:
        raise NotFound("No such recall in your scope")
    return campaign


def list_recalls(session: Session, principal: Principal, limit: int = 200) -> list[RecallCampaign]:
    """The campaigns the caller may see, open ones first, newest first."""
    return list(session.exec(select(RecallCampaign).where(_recall_seen(principal)).order_by(
        col(RecallCampaign.status).desc(), col(RecallCampaign.created_at).desc(),
        col(RecallCampaign.id)).limit(limit)).all())


def recall_out(session: Session, campaign: RecallCampaign) -> RecallOut:
    row = session.execute(text(
        "SELECT count(*) FILTER (WHERE c.status = 'scrapped'), "
        "count(*) FILTER (WHERE c.status <> 'scrapped' AND c.location_kind = 'station'), "
        "count(*) FILTER (WHERE c.status <> 'scrapped' AND c.location_kind IS DISTINCT FROM "
        "'station') FROM recall_item i JOIN cylinder c ON c.id = i.cylinder_id "
        "WHERE i.recall_id = :rid"), {"rid": str(campaign.id)}).one()
    return RecallOut(id=campaign.id, reason=campaign.reason, criteria=campaign.criteria,
                     status=campaign.status, matched=campaign.matched, scrapped=row[0],
                     returned_to_station=row[1], outstanding=row[2],
                     created_at=campaign.created_at, closed_at=campaign.closed_at)


def _may_close(principal: Principal, campaign: RecallCampaign) -> bool:
    """A regulator's recall is closed by a platform admin, or a regulator whose regions cover
    every region the recall was ordered for; never by the company it binds."""
    if not access.may_lift(campaign.ordered_by_role, principal.role):
        return False
    if access.side_of(campaign.ordered_by_role) != access.Side.REGULATOR:
        return True
    if access.scope_of(principal.role, Action.CLOSE_RECALL) == access.Scope.PLATFORM:
        return True
    return bool(campaign.region_codes) and all(
        any(region_covers(mine, theirs) for mine in principal.region_codes)
        for theirs in campaign.region_codes)


def close_recall(session: Session, principal: Principal, recall_id: uuid.UUID) -> RecallCampaign:
    """Close: the cylinders this campaign holds are released from it, unless another open
    recall still holds them."""
    campaign = recall_for(session, principal, recall_id)
    if not _may_close(principal, campaign):
        raise RegulatorHold("This recall was ordered by a regulator: only a regulator covering "
                            "its regions or a platform admin closes it",
                            taken_by=campaign.ordered_by_role or "unknown")
    if campaign.status == "closed":
        raise Conflict("This recall is already closed", reason="ALREADY_CLOSED")
    caught = select(col(RecallItem.cylinder_id)).where(col(RecallItem.recall_id) == campaign.id)
    held_elsewhere = select(col(RecallItem.cylinder_id)).join(
        RecallCampaign, col(RecallCampaign.id) == col(RecallItem.recall_id)).where(
        col(RecallCampaign.status) == "open", col(RecallCampaign.id) != campaign.id)
    rows = session.exec(select(Cylinder).where(
        col(Cylinder.id).in_(caught), col(Cylinder.recalled), col(Cylinder.status) == "active",
        col(Cylinder.id).not_in(held_elsewhere)
    ).with_for_update()).all()
    for c in rows:
        append_event(session, c, EventKind.RECALL_CLOSED, principal,
                     {"recall_id": str(campaign.id)})
    campaign.status = "closed"
    campaign.closed_at = datetime.now(UTC)
    session.add(campaign)
    return campaign

