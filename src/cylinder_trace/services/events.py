"""Appending to a cylinder's history: the event row and the state it implies, in one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from ..db.tables.registry import Cylinder, CylinderEvent
from ..domain.errors import Conflict
from ..domain.lifecycle import STATE_FIELDS, CylinderState, EventKind, LifecycleError, apply
from ..domain.principal import Principal


def state_of(cylinder: Cylinder) -> CylinderState:
    values = {name: getattr(cylinder, name) for name in STATE_FIELDS}
    values["owner_enterprise_id"] = str(values["owner_enterprise_id"])
    for name in ("entrusted_to_enterprise_id", "last_fill_station_id"):
        if values[name] is not None:
            values[name] = str(values[name])
    return CylinderState(**values)


def _store_state(cylinder: Cylinder, state: CylinderState, now: datetime) -> None:
    for name in STATE_FIELDS:
        value = getattr(state, name)
        if name in ("owner_enterprise_id", "entrusted_to_enterprise_id", "last_fill_station_id"):
            value = uuid.UUID(value) if value else None
        setattr(cylinder, name, value)
    cylinder.updated_at = now


def actor_of(principal: Principal | None) -> tuple[str, str | None]:
    if principal is None:
        return "system", None
    return principal.kind, str(principal.id)


def append_event(
    session: Session,
    cylinder: Cylinder,
    kind: EventKind,
    principal: Principal | None,
    payload: dict[str, Any] | None = None,
    *,
    station_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> CylinderEvent:
    """Check the transition, apply it to the cylinder row and add the event; the caller commits.

    The caller must hold the cylinder row locked (``lock_cylinder``) when two writers could race.
    """
    now = occurred_at or datetime.now(UTC)
    payload = payload or {}
    try:
        state = None if kind == EventKind.REGISTERED else state_of(cylinder)
        new_state = apply(state, kind, payload, now)
    except LifecycleError as exc:
        raise Conflict(str(exc), reason=exc.code) from exc
    _store_state(cylinder, new_state, now)
    session.add(cylinder)
    session.flush()  # the cylinder id exists before the event names it
    actor_kind, actor_id = actor_of(principal)
    event = CylinderEvent(
        cylinder_id=cylinder.id or 0,
        occurred_at=now,
        kind=kind.value,
        actor_kind=actor_kind,
        actor_id=actor_id,
        station_id=station_id or (principal.station_id if principal else None),
        enterprise_id=principal.enterprise_id if principal else None,
        payload=payload,
    )
    session.add(event)
    return event


def lock_cylinder(session: Session, cylinder_id: int) -> Cylinder | None:
    """The cylinder row, locked for this transaction (one writer at a time per cylinder).

    populate_existing: the row read before the lock may be stale (another writer changed it
    while we waited); what the caller decides on must be the row as it is once locked."""
    return session.exec(
        select(Cylinder).where(col(Cylinder.id) == cylinder_id).with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def lock_cylinders(session: Session, cylinder_ids: list[int]) -> list[Cylinder]:
    """Several cylinder rows, locked in id order (two writers never wait on each other in a
    circle), refreshed as they are once locked."""
    if not cylinder_ids:
        return []
    return list(session.exec(
        select(Cylinder).where(col(Cylinder.id).in_(sorted(set(cylinder_ids))))
        .order_by(col(Cylinder.id)).with_for_update()
        .execution_options(populate_existing=True)
    ).all())


def events_of(session: Session, cylinder_id: int) -> list[CylinderEvent]:
    """All events of a cylinder, oldest first (for rebuilds and exports)."""
    return list(session.exec(
        select(CylinderEvent).where(col(CylinderEvent.cylinder_id) == cylinder_id)
        .order_by(col(CylinderEvent.occurred_at), col(CylinderEvent.id))
    ).all())


def ensure_partitions(session: Session, months_ahead: int = 3) -> int:
    return int(session.execute(
        text("SELECT ct_ensure_event_partitions(current_date, :m)"), {"m": months_ahead}
    ).scalar() or 0)
