"""What a fill authorization would say, asked by a person with a phone (station staff away from
the scale, a delivery worker at a door): the same rules, the same facts, nothing written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from ..auth import ENTERPRISE_ROLES, Principal
from ..config import get_settings
from ..domain import codes
from ..domain.access import Action, scope_of
from ..domain.policy import policy_for
from ..domain.reasons import as_dict
from ..domain.rules import CylinderFacts, FillFacts, Licence, StationFacts, authorize_fill
from ..domain.status import STATUS_TEXT
from ..errors import Forbidden, Invalid, NotFound
from ..models import Enterprise, FillAuthorization, Station
from . import registry


def _licence(obj: Any, prefix: str) -> Licence:
    """As the authorization reads it (services/authorizing.py): the recorded status and dates."""
    return Licence(getattr(obj, f"{prefix}_status"), getattr(obj, f"{prefix}_valid_from"),
                   getattr(obj, f"{prefix}_valid_until"))


def _station(session: Session, principal: Principal, station_id: uuid.UUID | None) -> Station:
    query = select(Station).order_by(col(Station.name))
    if station_id is not None:
        query = query.where(col(Station.id) == station_id)
    if principal.role in ENTERPRISE_ROLES:
        query = query.where(col(Station.enterprise_id) == principal.enterprise_id)
    station = session.exec(query.limit(1)).first()
    if station is None:
        raise NotFound("No station of yours to check against" if station_id is None
                       else "No such station of yours")
    return station


def fill_check(session: Session, principal: Principal, scan: str,
               station_id: uuid.UUID | None) -> dict[str, Any]:
    """The decision for this scan at this station (the caller's, or its company's first)."""
    if scope_of(principal.role, Action.FILL_CHECK) is None:
        raise Forbidden("Fill checks are for a company's staff", reason="ROLE_NOT_ALLOWED")
    parsed = registry.parse(scan)
    if parsed.error == codes.ScanError.BAD_CHECK_CHARACTER:
        raise Invalid("The code's check character is wrong: a typo or a misread label",
                      field="scan", reason=str(parsed.error))
    station = _station(session, principal, station_id)
    enterprise = session.get(Enterprise, station.enterprise_id)
    assert enterprise is not None
    c = registry.find_by_parsed(session, parsed) if parsed.code or parsed.external else None
    facts_c = None
    open_elsewhere = False
    if c is not None:
        facts_c = CylinderFacts(
            id=c.id or 0, owner_enterprise_id=c.owner_enterprise_id, status=c.status,
            seized=c.seized, recalled=c.recalled, manufacture_date=c.manufacture_date,
            design_life_years=c.design_life_years, valve_type=c.valve_type,
            refurbished=c.refurbished, next_inspection_due=c.next_inspection_due,
            last_inspection_result=c.last_inspection_result,
            last_inspection_date=c.last_inspection_date, smart_valve_id=c.smart_valve_id,
            rfid=c.rfid, entrusted_to_enterprise_id=c.entrusted_to_enterprise_id,
            entrusted_until=c.entrusted_until, location_kind=c.location_kind)
        open_elsewhere = session.exec(select(col(FillAuthorization.id)).where(
            col(FillAuthorization.cylinder_id) == c.id, col(FillAuthorization.status) == "open",
            col(FillAuthorization.station_id) != station.id,
            col(FillAuthorization.expires_at) > datetime.now(UTC))).first() is not None
    # a code typed by hand carries no signature and is accepted here for the cylinder it names
    # (the appliance at the scale still insists on a signed label or the bound tag); a label
    # whose signature does not verify is refused like at the scale (forged: UNREGISTERED)
    accepted = parsed.ok
    facts = FillFacts(
        station=StationFacts(id=station.id, enterprise_id=station.enterprise_id,
                             locked=station.locked,
                             enterprise_licence=_licence(enterprise, "filling_licence"),
                             station_licence=(_licence(station, "filling_licence")
                                              if station.filling_licence_status else None)),
        cylinder=facts_c, scan_accepted=accepted, open_elsewhere=open_elsewhere)
    decision = authorize_fill(facts, policy_for(station.region_code,
                                                get_settings().region_policies),
                              registry.today())
    answer: dict[str, Any] = {
        "decision": "allow" if decision.allow else "deny",
        "reasons": [as_dict(r) for r in decision.reasons],
        "warnings": [as_dict(w) for w in decision.warnings],
        "station": {"id": str(station.id), "name": station.name},
        "signed": parsed.signed, "cylinder": None}
    if c is not None:
        status = registry.status_of(c)
        zh, en, colour = STATUS_TEXT[status]
        answer["cylinder"] = {"code": c.code, "public_status": {
            "code": status.value, "zh": zh, "en": en, "colour": colour}}
        if principal.sees(c.owner_enterprise_id, c.region_code):
            answer["cylinder"].update(model=c.model, next_inspection_due=c.next_inspection_due,
                                      location_kind=c.location_kind, filled=c.filled)
    return answer


