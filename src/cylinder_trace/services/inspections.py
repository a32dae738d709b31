"""What only an inspection agency records (issue 19): periodic inspections (GB/T 8334), the
conversion of a two-phase valve, and scrapping (报废) a cylinder handed over to it.

Who may: the permission table (domain/access.py) gives these acts to inspectors only (rows
RECORD_INSPECTION, CONVERT_VALVE, ACCEPT_SCRAP; the hand-over is SCRAP), and domain/agencies.py
then asks for a registered agency, a valid approval and certificate, and the agency's region.
That rule is judged when the act is recorded, so a cylinder's
next due date, its inspection result and its valve type move only on a valid agency's record:
the fill authorization reads those columns and needs no change. Each act is one transaction:
the cylinder row locked, its event appended, the agency's register row written.

Scrapping is a hand-over then an acceptance. The owner's admin (or a platform admin for it)
hands the cylinder to a named agency, with the real-name record of whoever handed a recovered
cylinder in; it is refused while a regulator's seizure holds the cylinder (a company's own
seizure or a recall does not: a recalled cylinder is handed to an agency to be scrapped). A
regulator in its region may hand over a seized cylinder (problem cylinders go to an agency). The
cylinder then sits at the agency (refused at every scale: AT_INSPECTION_AGENCY) until that
agency's inspector accepts and scraps it, or gives it back; the company cannot undo a hand-over.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..adapters import pii
from ..db.tables.accounts import AppUser
from ..db.tables.agencies import Agency, Inspection
from ..db.tables.lifecycle import Handover
from ..db.tables.registry import Cylinder
from ..domain import models_spec
from ..domain.access import Action, Side, side_of
from ..domain.agencies import REFUSAL_TEXT, InspectorFacts, refusal
from ..domain.errors import Conflict, CylinderHeld, Forbidden, Invalid, NotFound
from ..domain.lifecycle import EventKind
from ..domain.principal import Principal, require_allowed, require_may
from ..schemas.agencies import InspectionCreate, ScrapAccept, ValveConversionCreate
from ..schemas.lifecycle import ScrapCreate
from . import custody, registry
from .agencies import facts_of, inspector_of
from .events import append_event
from .notifications import notify


def _agency_inspector(session: Session, principal: Principal, cylinder: Cylinder | None,
                      on: date) -> tuple[AppUser, Agency]:
    """The caller as an agency's inspector allowed to record an act done on ``on``, or 403."""
    mine = inspector_of(session, principal, lock=True)
    facts = facts_of(*mine) if mine else InspectorFacts(None, certificate_valid_until=None)
    why = refusal(facts, cylinder.region_code if cylinder else None, on, registry.today())
    if why is not None:
        raise Forbidden(REFUSAL_TEXT[why][1], reason=str(why), detail_zh=REFUSAL_TEXT[why][0])
    assert mine is not None
    return mine


def _cylinder(session: Session, principal: Principal, code: str, on: date,
              action: Action) -> Cylinder:
    """Who the caller is comes first (the table's row for ``action``, then an agency's valid
    inspector: a company gets 403, not a look at the row), then the cylinder in its region,
    locked."""
    require_allowed(principal, action)
    _agency_inspector(session, principal, None, on)
    cylinder = registry.cylinder_for(session, principal, code, for_update=True)
    require_may(principal, action, cylinder.owner_enterprise_id, cylinder.region_code)
    return cylinder


def _check_day(on: date, cylinder: Cylinder, field: str) -> None:
    if on > registry.today():
        raise Invalid(f"{field} is in the future", field=field, reason="DATE_IN_FUTURE")
    if on < cylinder.manufacture_date:
        raise Invalid(f"{field} is before the cylinder was made", field=field,
                      reason="DATE_BEFORE_MANUFACTURE")


def _register(session: Session, row: Inspection) -> None:
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a retry, or a report number used twice
        raise Conflict("This agency already recorded a report with this number",
                       reason="REPORT_NUMBER_USED") from exc


def _agency_payload(user: AppUser, agency: Agency, report_number: str) -> dict[str, Any]:
    return {"agency_id": str(agency.id), "agency": agency.name, "inspector_id": str(user.id),
            "report_number": report_number}


def record_inspection(session: Session, principal: Principal, code: str,
                      body: InspectionCreate) -> Cylinder:
    """A periodic inspection: the agency's stamped next due date is the cylinder's, within the
    region's interval (an agency cannot stamp a longer one than the regulation gives)."""
    cylinder = _cylinder(session, principal, code, body.inspected_on, Action.RECORD_INSPECTION)
    user, agency = _agency_inspector(session, principal, cylinder, body.inspected_on)
    _check_day(body.inspected_on, cylinder, "inspected_on")
    interval = registry.inspection_interval(cylinder.region_code)
    longest = models_spec.next_inspection_due(body.inspected_on, interval)
    if body.next_due is not None and body.next_due > longest:
        raise Invalid(f"next_due is beyond the region's {interval}-year interval ({longest})",
                      field="next_due", reason="NEXT_DUE_BEYOND_INTERVAL")
    if body.valve_converted:
        _convert(session, principal, cylinder, user, agency, body.inspected_on,
                 body.report_number, body.smart_valve_id, passed=body.result == "pass")
    payload = {"inspected_on": body.inspected_on.isoformat(), "result": body.result,
               "next_due": body.next_due.isoformat() if body.next_due else None,
               "notes": body.notes, **_agency_payload(user, agency, body.report_number)}
    event = append_event(session, cylinder, EventKind.INSPECTED, principal, payload,
                         occurred_at=datetime.now(UTC))
    session.flush()
    if body.result != "pass":
        # refused at every scale from now on: the owner hears of it through the outbox, in this
        # same transaction (as of a scrapping or a seizure)
        notify(session, "inspection_failed", f"{cylinder.code}:{agency.id}:{body.report_number}",
               enterprise_id=cylinder.owner_enterprise_id, region_code=cylinder.region_code,
               title_zh=f"气瓶 {cylinder.code} 经 {agency.name} 定期检验不合格",
               title_en=f"Cylinder {cylinder.code} failed its inspection at {agency.name}",
               payload={"code": cylinder.code, "agency_id": str(agency.id),
                        "inspected_on": body.inspected_on.isoformat(),
                        "report_number": body.report_number})
    _register(session, Inspection(
        cylinder_id=cylinder.id or 0, kind="inspection", agency_id=agency.id,
        agency_name=agency.name, inspector_id=user.id, inspected_on=body.inspected_on,
        result=body.result, next_due=body.next_due, report_number=body.report_number,
        event_id=event.id))
    return cylinder


def _convert(session: Session, principal: Principal, cylinder: Cylinder, user: AppUser,
             agency: Agency, on: date, report_number: str, smart_valve_id: str | None,
             passed: bool = True) -> None:
    if cylinder.valve_type != "two_phase":
        raise Invalid("This cylinder has no two-phase valve", field="valve_converted",
                      reason="NOT_TWO_PHASE")
    if not passed:
        raise Invalid("A converted valve must pass its re-inspection to be recorded",
                      field="valve_converted", reason="CONVERSION_NOT_PASSED")
    event = append_event(session, cylinder, EventKind.VALVE_CONVERTED, principal, {
        "valve_type": "single_phase", "smart_valve_id": smart_valve_id,
        "converted_on": on.isoformat(), **_agency_payload(user, agency, report_number)})
    session.flush()
    _register(session, Inspection(
        cylinder_id=cylinder.id or 0, kind="valve_conversion", agency_id=agency.id,
        agency_name=agency.name, inspector_id=user.id, inspected_on=on,
        report_number=report_number, event_id=event.id))


def convert_valve(session: Session, principal: Principal, code: str,
                  body: ValveConversionCreate) -> Cylinder:
    """气液双相 → single phase, its own event; a smart angle valve may be fitted with it."""
    cylinder = _cylinder(session, principal, code, body.converted_on, Action.CONVERT_VALVE)
    user, agency = _agency_inspector(session, principal, cylinder, body.converted_on)
    _check_day(body.converted_on, cylinder, "converted_on")
    _convert(session, principal, cylinder, user, agency, body.converted_on, body.report_number,
             body.smart_valve_id)
    return cylinder


# --- scrapping: the hand-over and the agency's acceptance ----------------------------------

def hand_over(session: Session, principal: Principal, code: str, body: ScrapCreate) -> Cylinder:
    """The owner (or a regulator, for a seized cylinder) hands the cylinder to an agency."""
    require_allowed(principal, Action.SCRAP)
    cylinder = registry.cylinder_for(session, principal, code, for_update=True)
    require_may(principal, Action.SCRAP, cylinder.owner_enterprise_id, cylinder.region_code)
    regulator = side_of(principal.role) == Side.REGULATOR  # a regulator or the platform
    if _regulators_seizure(cylinder) and not regulator:
        raise CylinderHeld(f"{cylinder.code} is seized by a regulator: only the regulator's side "
                           "hands it over", holds=["SEIZED"], cylinder=cylinder.code)
    if cylinder.location_kind == "inspection":
        raise Conflict("The cylinder is already at an inspection agency",
                       reason="ALREADY_HANDED_OVER")
    agency = session.get(Agency, body.agency_id)
    if agency is None:
        raise Invalid("agency_id names no inspection agency", field="agency_id",
                      reason="UNKNOWN_AGENCY")
    payload: dict[str, Any] = {"agency_id": str(agency.id), "agency": agency.name,
                               "reason": body.reason, "by_regulator": regulator}
    if body.handed_in_by is not None:
        person = body.handed_in_by
        handover = Handover(
            cylinder_id=cylinder.id or 0, name=person.name,
            id_number_enc=pii.encrypt(person.id_number),
            id_number_hash=pii.lookup_hash(person.id_number),
            id_number_masked=pii.mask_id(person.id_number),
            phone_enc=pii.encrypt(person.phone), phone_masked=pii.mask_phone(person.phone),
            address=person.address)
        session.add(handover)
        payload["handover_id"] = str(handover.id)
        payload["handed_in_by"] = {"name": person.name, "id_number": handover.id_number_masked,
                                   "phone": handover.phone_masked}
    append_event(session, cylinder, EventKind.HANDED_TO_AGENCY, principal, payload)
    return cylinder


def _regulators_seizure(cylinder: Cylinder) -> bool:
    """Seized by the regulator's side (a company's own seizure it may lift itself)."""
    return cylinder.seized and side_of(cylinder.seized_by) == Side.REGULATOR


def _held_by(session: Session, principal: Principal, code: str) -> tuple[
        Cylinder, AppUser, Agency, dict[str, Any]]:
    """A cylinder handed over to the caller's agency, locked, with its hand-over event."""
    today = registry.today()
    cylinder = _cylinder(session, principal, code, today, Action.ACCEPT_SCRAP)
    user, agency = _agency_inspector(session, principal, cylinder, today)
    if cylinder.location_kind != "inspection" or cylinder.location_id != str(agency.id):
        raise Conflict("This cylinder was not handed over to your agency",
                       reason="NOT_HANDED_OVER")
    row = session.execute(text(
        "SELECT payload FROM cylinder_event WHERE cylinder_id = :id AND kind = :kind "
        "ORDER BY occurred_at DESC, id DESC LIMIT 1"),
        {"id": cylinder.id, "kind": EventKind.HANDED_TO_AGENCY.value}).first()
    if row is None:
        raise NotFound("No hand-over of this cylinder")
    return cylinder, user, agency, dict(row[0])


def accept_scrap(session: Session, principal: Principal, code: str,
                 body: ScrapAccept) -> Cylinder:
    """The agency destroys the cylinder: scrapped for ever, its code void. A seizure made after
    a company's hand-over still holds it (only a regulator's own hand-over passes one)."""
    cylinder, user, agency, handed = _held_by(session, principal, code)
    if _regulators_seizure(cylinder) and not handed.get("by_regulator"):
        raise CylinderHeld(f"{cylinder.code} was seized by a regulator after its company handed "
                           "it over: it waits for the regulator", holds=["SEIZED"],
                           cylinder=cylinder.code)
    today = registry.today()
    payload = {"reason": handed.get("reason"), "certificate_number": body.certificate_number,
               "notes": body.notes, "handover_id": handed.get("handover_id"),
               **_agency_payload(user, agency, body.certificate_number)}
    event = custody.move(session, principal, cylinder, EventKind.SCRAPPED, payload)
    session.flush()
    # the owner hears of it through the outbox, in this same transaction
    notify(session, "cylinder_scrapped", cylinder.code, enterprise_id=cylinder.owner_enterprise_id,
           region_code=cylinder.region_code,
           title_zh=f"气瓶 {cylinder.code} 已由 {agency.name} 报废",
           title_en=f"Cylinder {cylinder.code} was scrapped by {agency.name}",
           payload={"code": cylinder.code, "agency_id": str(agency.id),
                    "certificate_number": body.certificate_number})
    _register(session, Inspection(
        cylinder_id=cylinder.id or 0, kind="scrap", agency_id=agency.id,
        agency_name=agency.name, inspector_id=user.id, inspected_on=today,
        report_number=body.certificate_number, event_id=event.id))
    return cylinder


def return_handover(session: Session, principal: Principal, code: str,
                    reason: str) -> Cylinder:
    """The agency gives a handed-over cylinder back (not to be scrapped after all): the only
    undoing of a hand-over, and the agency's, never the company's."""
    cylinder, user, agency, _ = _held_by(session, principal, code)
    event = append_event(session, cylinder, EventKind.RETURNED_BY_AGENCY, principal, {
        "reason": reason, "agency_id": str(agency.id), "agency": agency.name,
        "inspector_id": str(user.id)})
    notify(session, "cylinder_returned_by_agency",
           f"{cylinder.code}:{event.occurred_at.isoformat()}",
           enterprise_id=cylinder.owner_enterprise_id, region_code=cylinder.region_code,
           title_zh=f"气瓶 {cylinder.code} 已由 {agency.name} 退回，未报废",
           title_en=f"Cylinder {cylinder.code} was returned by {agency.name}, not scrapped",
           payload={"code": cylinder.code, "agency_id": str(agency.id), "reason": reason})
    return cylinder
