"""What a fill authorization would say, asked by a person with a phone (station staff away from
the scale, a delivery worker at a door): the same rules, the same facts, nothing written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from ..config import get_settings
from ..db.facts import cylinder_facts, licence
from ..db.scope import visible
from ..db.tables.accounts import Enterprise, Station
from ..db.tables.fills import FillAuthorization
from ..domain import codes
from ..domain.access import Action, scope_of
from ..domain.errors import Forbidden, Invalid, NotFound
from ..domain.policy import policy_for
from ..domain.principal import Principal
from ..domain.reasons import as_dict
from ..domain.rules import (
    FillFacts,
    StationFacts,
    authorize_fill,
    scan_accepted,
)
from ..domain.status import STATUS_TEXT
from . import registry


def _station(session: Session, principal: Principal, station_id: uuid.UUID | None) -> Station:
    query = select(Station).order_by(col(Station.name)).where(
        visible(principal, col(Station.enterprise_id), col(Station.region_code)))
    if station_id is not None:
        query = query.where(col(Station.id) == station_id)
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
        facts_c = cylinder_facts(c)  # by name, as the authorization reads its row
        open_elsewhere = session.exec(select(col(FillAuthorization.id)).where(
            col(FillAuthorization.cylinder_id) == c.id, col(FillAuthorization.status) == "open",
            col(FillAuthorization.station_id) != station.id,
            col(FillAuthorization.expires_at) > datetime.now(UTC))).first() is not None
    # a person at the phone may type the bare code off the cylinder (rules.scan_accepted)
    accepted = scan_accepted(parsed, tag_read=False, tag_confirms=False, typed=True)
    facts = FillFacts(
        station=StationFacts(id=station.id, enterprise_id=station.enterprise_id,
                             locked=station.locked,
                             enterprise_licence=licence(enterprise, "filling_licence"),
                             station_licence=(licence(station, "filling_licence")
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


