"""Cylinder states and the events that move them: a pure fold, so state can be rebuilt."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from .access import Side, side_of


class EventKind(StrEnum):
    REGISTERED = "registered"
    TAG_BOUND = "tag_bound"  # a tag bound or replaced (payload names the previous one)
    INSPECTED = "inspected"
    VALVE_CONVERTED = "valve_converted"  # two-phase → single-phase by an inspection agency
    FILL_AUTHORIZED = "fill_authorized"
    FILL_DENIED = "fill_denied"
    FILLED = "filled"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    RETURNED = "returned"
    TRANSFERRED = "transferred"  # ownership (产权置换 / transfer between enterprises)
    ENTRUSTED = "entrusted"  # 托管: another enterprise may fill it until a date
    RECALLED = "recalled"
    RECALL_CLOSED = "recall_closed"
    SEIZED = "seized"
    RELEASED = "released"
    SCRAPPED = "scrapped"
    # 报废 is the agency's: the company (or a regulator) hands the cylinder to an inspection
    # agency, which scraps it (SCRAPPED) or gives it back (RETURNED_BY_AGENCY).
    HANDED_TO_AGENCY = "handed_to_agency"
    RETURNED_BY_AGENCY = "returned_by_agency"


class LifecycleError(ValueError):
    """An event that cannot happen to a cylinder in its current state."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CylinderState:
    """The part of a cylinder's record that events change (same names as the table's columns)."""

    owner_enterprise_id: str
    region_code: str
    status: str = "active"  # active | scrapped
    seized: bool = False
    seized_by: str | None = None  # the seizer's role: whose side may release it (domain/access)
    recalled: bool = False
    filled: bool = False
    location_kind: str | None = None  # station | vehicle | customer | inspection
    location_id: str | None = None
    rfid: str | None = None
    valve_type: str = "single_phase"
    smart_valve_id: str | None = None
    refurbished: bool = False
    last_inspection_date: date | None = None
    last_inspection_result: str | None = None
    next_inspection_due: date | None = None
    entrusted_to_enterprise_id: str | None = None
    entrusted_until: date | None = None
    last_fill_at: datetime | None = None
    last_fill_station_id: str | None = None


STATE_FIELDS = tuple(f.name for f in fields(CylinderState))
_DATE_FIELDS = {"last_inspection_date", "next_inspection_due", "entrusted_until"}

# Events that change nothing: they are evidence only.
_EVIDENCE_ONLY = {EventKind.FILL_AUTHORIZED, EventKind.FILL_DENIED}


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def check(state: CylinderState | None, kind: EventKind,
          payload: dict[str, Any] | None = None) -> None:
    """Refuse events that cannot happen now; the message says why in both languages."""
    if kind == EventKind.REGISTERED:
        if state is not None:
            raise LifecycleError("ALREADY_REGISTERED", "已建档 / already registered")
        return
    if state is None:
        raise LifecycleError("NOT_REGISTERED", "未建档 / not registered")
    if state.status == "scrapped" and kind not in _EVIDENCE_ONLY:
        raise LifecycleError("CYLINDER_SCRAPPED", "气瓶已报废，编码永久作废 / cylinder is scrapped")
    if kind == EventKind.RELEASED and not state.seized:
        raise LifecycleError("NOT_SEIZED", "气瓶未被查封 / cylinder is not seized")
    if kind == EventKind.SEIZED and state.seized and not _takes_over(state, payload or {}):
        raise LifecycleError("ALREADY_SEIZED", "气瓶已被查封 / cylinder is already seized")


def _takes_over(state: CylinderState, payload: dict[str, Any]) -> bool:
    """A regulator's seizure of a cylinder its company has seized takes the seizure over: else a
    company could seize its own cylinder first, to release it whenever it liked."""
    return (side_of(payload.get("by_role")) == Side.REGULATOR
            and side_of(state.seized_by) != Side.REGULATOR)


def apply(state: CylinderState | None, kind: EventKind, payload: dict[str, Any],
          occurred_at: datetime) -> CylinderState:
    """The state after one event (``check`` first). Pure: payload values only."""
    check(state, kind, payload)
    if kind == EventKind.REGISTERED:
        values = {k: payload[k] for k in STATE_FIELDS if k in payload}
        for name in _DATE_FIELDS & values.keys():
            values[name] = _date(values[name])
        return CylinderState(**values)
    assert state is not None  # check() refused None for every other kind
    p = payload
    match kind:
        case EventKind.TAG_BOUND:
            return replace(state, rfid=p.get("rfid"))
        case EventKind.INSPECTED:
            return replace(state, last_inspection_date=_date(p["inspected_on"]),
                           last_inspection_result=p["result"],
                           next_inspection_due=_date(p.get("next_due")),
                           location_kind=p.get("location_kind", state.location_kind),
                           location_id=p.get("location_id", state.location_id))
        case EventKind.VALVE_CONVERTED:
            return replace(state, valve_type=p.get("valve_type", "single_phase"),
                           smart_valve_id=p.get("smart_valve_id", state.smart_valve_id))
        case EventKind.FILLED:
            return replace(state, filled=True, location_kind="station",
                           location_id=p.get("station_id"), last_fill_at=occurred_at,
                           last_fill_station_id=p.get("station_id"))
        case EventKind.DISPATCHED:
            return replace(state, location_kind="vehicle", location_id=p.get("vehicle_id"))
        case EventKind.DELIVERED:
            return replace(state, location_kind="customer", location_id=p.get("customer_id"))
        case EventKind.RETURNED:
            return replace(state, filled=False, location_kind="station",
                           location_id=p.get("station_id"))
        case EventKind.TRANSFERRED:
            return replace(state, owner_enterprise_id=p["to_enterprise_id"],
                           region_code=p.get("region_code", state.region_code),
                           entrusted_to_enterprise_id=None, entrusted_until=None)
        case EventKind.ENTRUSTED:
            return replace(state, entrusted_to_enterprise_id=p.get("to_enterprise_id"),
                           entrusted_until=_date(p.get("until")))
        case EventKind.RECALLED:
            return replace(state, recalled=True)
        case EventKind.RECALL_CLOSED:
            return replace(state, recalled=False)
        case EventKind.SEIZED:
            return replace(state, seized=True, seized_by=p.get("by_role"))
        case EventKind.RELEASED:
            return replace(state, seized=False, seized_by=None)
        case EventKind.HANDED_TO_AGENCY:
            return replace(state, location_kind="inspection", location_id=p.get("agency_id"))
        case EventKind.RETURNED_BY_AGENCY:
            return replace(state, location_kind=None, location_id=None)
        case EventKind.SCRAPPED:
            return replace(state, status="scrapped", filled=False, location_kind=None,
                           location_id=None)
    return state  # evidence-only events


def rebuild(events: list[tuple[EventKind, dict[str, Any], datetime]]) -> CylinderState | None:
    """Fold a cylinder's events, oldest first, into its current state."""
    state: CylinderState | None = None
    for kind, payload, occurred_at in events:
        state = apply(state, kind, payload, occurred_at)
    return state


def state_payload(state: CylinderState) -> dict[str, Any]:
    """A state as JSON-ready values (for the registered event's payload)."""
    out: dict[str, Any] = {}
    for name in STATE_FIELDS:
        value = getattr(state, name)
        out[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return out


# --- what may move a cylinder ------------------------------------------------------------------

MOVEMENTS = frozenset({EventKind.TRANSFERRED, EventKind.ENTRUSTED, EventKind.DISPATCHED,
                       EventKind.DELIVERED, EventKind.RETURNED, EventKind.SCRAPPED})


@dataclass(frozen=True)
class Move:
    """What a movement's state alone does not tell."""

    by_role: str | None = None  # who moves it
    to_other_company: bool = False  # a return to a station not the owner's
    regulator_recall: bool = False  # an open recall ordered by a regulator holds it


def movement_refusals(state: CylinderState, kind: EventKind, move: Move) -> tuple[str, ...]:
    """Why a seizure or recall stops this movement (empty: it may move).

    Seized or recalled, a cylinder is not transferred, entrusted, dispatched or handed over at
    the door, and comes back only to its owner's own station. It is scrapped by its company only
    when the company's own seizure or recall is all that holds it: under a regulator's, scrapping
    is for the regulator's side (a regulator, a platform admin, an inspection agency).
    """
    holds = tuple(code for code, on in (("SEIZED", state.seized), ("RECALLED", state.recalled))
                  if on)
    if kind not in MOVEMENTS or not holds:
        return ()
    if kind == EventKind.RETURNED:
        return holds if move.to_other_company else ()
    if kind == EventKind.SCRAPPED:
        by_regulator = state.seized and side_of(state.seized_by) == Side.REGULATOR
        if (by_regulator or move.regulator_recall) and side_of(move.by_role) == Side.COMPANY:
            return holds
        return ()
    return holds


_Id = TypeVar("_Id")


def owned_or_entrusted(enterprise_id: _Id, owner: _Id, entrusted_to: _Id | None,
                       entrusted_until: date | None, today: date) -> bool:
    """May this enterprise fill, dispatch or take back the cylinder: its own, or entrusted to it
    in writing until a date that has not passed."""
    if owner == enterprise_id:
        return True
    return entrusted_to == enterprise_id and (entrusted_until is None or today <= entrusted_until)


# The fill-check reasons that stop a hand-over at the door in the phone app
# (web/app/screens/delivery.js DOOR_STOP is tested against this): what makes a cylinder not
# deliverable, as reasons.
DOOR_STOPS = frozenset({"SCRAPPED", "RECALLED", "SEIZED", "INSPECTION_OVERDUE",
                        "INSPECTION_FAILED", "SERVICE_LIFE_EXCEEDED", "TWO_PHASE_VALVE",
                        "UNREGISTERED"})


def not_deliverable(state: CylinderState, enterprise_id: str, today: date,
                    in_service: bool) -> str | None:
    """Why a cylinder may not leave on a dispatch of this enterprise, or None: it may.
    ``in_service``: its public status (inspection in date and passed, within its service life)."""
    if not owned_or_entrusted(enterprise_id, state.owner_enterprise_id,
                              state.entrusted_to_enterprise_id, state.entrusted_until, today):
        return "not a cylinder of this company"
    if state.status == "scrapped" or state.seized or state.recalled:
        return "scrapped, seized or recalled"
    if not state.filled or state.location_kind != "station":
        return "not full and at a station"
    if state.valve_type == "two_phase":
        return "a two-phase cylinder is never delivered"
    if not in_service:
        return "overdue for inspection, failed it, or past its service life"
    return None
