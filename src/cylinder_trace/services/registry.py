"""The cylinder registry: registration (建档), look-up by any code form, tags. Inspections are
an agency's (services/inspections.py)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import or_, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..config import get_settings
from ..db.engine import psycopg_statement
from ..db.secrets import root_secret
from ..db.tables.accounts import Enterprise, Station
from ..db.tables.registry import Cylinder
from ..domain import codes, models_spec
from ..domain.access import Action, scope_of
from ..domain.errors import Conflict, Forbidden, Invalid, NotFound
from ..domain.lifecycle import EventKind
from ..domain.policy import policy_for
from ..domain.principal import Principal, may, require_may
from ..domain.status import PublicStatus, StatusFacts, public_status
from ..schemas.registry import CylinderCreate, TagBind
from .events import append_event, lock_cylinder

# --- codes: keys, hosts, QR text --------------------------------------------------------------

@lru_cache
def code_keys() -> tuple[codes.SigningKey, ...]:
    settings = get_settings()
    return tuple(codes.signing_keys(settings.code_signing_keys, root_secret(settings)))


@lru_cache
def accepted_hosts() -> frozenset[str]:
    settings = get_settings()
    hosts = {h.lower() for h in settings.accepted_code_hosts}
    own = urlsplit(settings.public_base_url).netloc.lower()
    if own:
        hosts.add(own)
    return frozenset(hosts)


def qr_text_for(code: str) -> str:
    return codes.qr_text(get_settings().public_base_url, code, code_keys()[0])


def parse(text_: str) -> codes.ParsedScan:
    return codes.parse_scan(text_, code_keys(), accepted_hosts())


def today() -> date:
    """Today where the people are (the configured time zone), not in UTC."""
    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def status_of(cylinder: Cylinder, on: date | None = None) -> PublicStatus:
    return public_status(
        StatusFacts(
            status=cylinder.status,
            seized=cylinder.seized,
            recalled=cylinder.recalled,
            last_inspection_result=cylinder.last_inspection_result,
            next_inspection_due=cylinder.next_inspection_due,
            manufacture_date=cylinder.manufacture_date,
            max_life_years=models_spec.max_life_years(
                cylinder.manufacture_date, policy_for(cylinder.region_code,
                                                      get_settings().region_policies)
                .max_life_years),
            valve_type=cylinder.valve_type,
            design_life_years=cylinder.design_life_years,
            last_inspection_date=cylinder.last_inspection_date,
        ),
        on or today(),
    )


# --- look-up ------------------------------------------------------------------------------------

def find_by_parsed(session: Session, parsed: codes.ParsedScan) -> Cylinder | None:
    if parsed.code:
        return session.exec(select(Cylinder).where(col(Cylinder.code) == parsed.code)).first()
    if parsed.external:
        return session.exec(
            select(Cylinder).where(col(Cylinder.external_code) == parsed.external)
        ).first()
    return None


def find_cylinder(session: Session, scan_or_code: str) -> Cylinder | None:
    """The cylinder a scan names (raw code, our URL, GRAI, GB/T 36051), or None.

    A scan that names a cylinder but fails its signature still finds it: callers that must
    refuse forged labels (fill authorization) look at the parsed scan themselves.
    """
    parsed = parse(scan_or_code)
    if parsed.code is None and parsed.external is None:
        return None
    if parsed.error == codes.ScanError.BAD_CHECK_CHARACTER:
        return None
    return find_by_parsed(session, parsed)


def find_by_tag(session: Session, tag: str) -> Cylinder | None:
    tag_id = codes.normalize_tag_id(tag)
    if tag_id is None:
        return None
    return session.exec(select(Cylinder).where(col(Cylinder.rfid) == tag_id)).first()


def _named(code: str) -> codes.ParsedScan:
    """What a caller's code names; Invalid for no code at all or a wrong check character."""
    parsed = parse(code)
    if parsed.code is None and parsed.external is None:
        raise Invalid(f"Not a cylinder code: {parsed.detail}", reason=str(parsed.error))
    if parsed.error == codes.ScanError.BAD_CHECK_CHARACTER:
        raise Invalid(
            "The code's check character is wrong: a typo or a misread label",
            reason=str(parsed.error),
        )
    return parsed


def cylinder_for(
    session: Session, principal: Principal, code: str, *, for_update: bool = False
) -> Cylinder:
    """The cylinder a caller names by code (or any scan form), within the caller's scope."""
    parsed = _named(code)
    cylinder = find_by_parsed(session, parsed)
    if cylinder is None:
        raise NotFound("No cylinder has this code")
    principal.require_sees(cylinder.owner_enterprise_id, cylinder.region_code)
    if for_update:
        locked = lock_cylinder(session, cylinder.id or 0)
        assert locked is not None
        return locked
    return cylinder


@lru_cache(maxsize=2)
def _ref_sql(by_code: bool) -> Any:
    from sqlalchemy import bindparam
    from sqlalchemy import select as core_select

    table = Cylinder.__table__  # type: ignore[attr-defined]
    key = table.c.code if by_code else table.c.external_code
    return core_select(table.c.id, table.c.code, table.c.owner_enterprise_id,
                       table.c.region_code).where(key == bindparam("v")).limit(1)


def cylinder_ref(session: Session, principal: Principal, code: str) -> Any:
    """Like ``cylinder_for``, for a reader that needs only which cylinder it is (id, code) and
    whether the caller sees it: one Core row of four columns, not an ORM entity of forty (the
    history page: docs/performance.md). The same refusals, in the same order."""
    sql, params = _ref_of(code)
    return cylinder_seen(principal, session.connection().execute(sql, params).first())


def _ref_of(code: str) -> tuple[Any, dict[str, Any]]:
    parsed = _named(code)
    by_code = parsed.code is not None
    return _ref_sql(by_code), {"v": parsed.code if by_code else parsed.external}


def cylinder_ref_query(code: str) -> tuple[str, dict[str, Any]]:
    """``cylinder_ref``'s statement and parameters as psycopg's SQL text, for a read on an
    async connection (the history page's fast path); its row goes to ``cylinder_seen``."""
    statement, params = _ref_of(code)
    sql, fixed = _ref_text(statement)
    return sql, {**fixed, **params}


@lru_cache(maxsize=2)
def _ref_text(statement: Any) -> tuple[str, dict[str, Any]]:
    return psycopg_statement(statement)


def cylinder_seen(principal: Principal, row: Any) -> Any:
    """The row of ``cylinder_ref``'s statement, when there is one and the caller sees it."""
    if row is None:
        raise NotFound("No cylinder has this code")
    principal.require_sees(row.owner_enterprise_id, row.region_code)
    return row


# --- registration ------------------------------------------------------------------------------

def owner_for(session: Session, principal: Principal, owner_id: uuid.UUID | None,
              action: Action = Action.REGISTER) -> Enterprise:
    if scope_of(principal.role, action) is None:
        raise Forbidden("Only enterprise admins and platform admins register cylinders",
                        reason="ROLE_NOT_ALLOWED")
    owner_id = owner_id or principal.enterprise_id
    if owner_id is None:
        raise Invalid("owner_enterprise_id is required", reason="OWNER_REQUIRED")
    enterprise = session.get(Enterprise, owner_id)
    if enterprise is None:
        raise NotFound("No such enterprise")
    principal.require_sees(enterprise.id, enterprise.region_code)
    if not may(principal, action, enterprise.id, enterprise.region_code):
        raise Forbidden("An enterprise registers only its own cylinders (自有产权)",
                        reason="OUT_OF_SCOPE")
    return enterprise


def resolve(
    body: CylinderCreate, region_code: str, on: date, interval_years: int = 4
) -> dict[str, Any]:
    """Column values for a registration: the model's defaults where the body is silent.

    Raises Invalid naming the field. Pure apart from the date passed in.
    """
    spec = models_spec.lookup(body.model)
    if body.manufacture_date > on:
        raise Invalid("manufacture_date is in the future", field="manufacture_date",
                      reason="DATE_IN_FUTURE")
    if body.last_inspection_date is not None and body.last_inspection_date > on:
        # an inspection that has not happened yet cannot vouch for the cylinder
        raise Invalid("last_inspection_date is in the future", field="last_inspection_date",
                      reason="DATE_IN_FUTURE")
    if spec is None and (body.water_capacity_l is None or body.tare_kg is None):
        raise Invalid(
            f"Unknown model {body.model!r}: give water_capacity_l and tare_kg",
            field="model", reason="UNKNOWN_MODEL",
        )
    water = body.water_capacity_l or (spec.water_capacity_l if spec else 0.0)
    max_fill = body.max_fill_kg
    if max_fill is None:
        max_fill = (
            spec.max_fill_kg if spec and body.water_capacity_l is None
            else round(water * models_spec.FILL_KG_PER_L, 1)
        )
    if spec and spec.valve_type == "two_phase" and body.valve_type == "single_phase":
        # only an agency's conversion makes a two-phase model single-phase (services/inspections)
        raise Invalid(f"{spec.name} has a two-phase valve; a conversion is recorded by an "
                      "inspection agency", field="valve_type", reason="VALVE_NEEDS_CONVERSION")
    if max_fill > water:  # LPG is lighter than water: more kg than litres is a typo
        raise Invalid("max_fill_kg exceeds the water capacity", field="max_fill_kg",
                      reason="MAX_FILL_TOO_HIGH")
    latest_due = models_spec.latest_registered_due(body.manufacture_date,
                                                   body.last_inspection_date, interval_years)
    if body.next_inspection_due is not None and body.next_inspection_due > latest_due:
        # a company cannot register its cylinder out of the inspection cycle
        raise Invalid(f"next_inspection_due is after {latest_due.isoformat()}: one inspection "
                      f"interval ({interval_years} years) after "
                      f"{'the last inspection' if body.last_inspection_date else 'manufacture'}"
                      "; only an inspection agency's record moves it further",
                      field="next_inspection_due", reason="NEXT_INSPECTION_TOO_LATE",
                      latest=latest_due.isoformat())
    values: dict[str, Any] = {
        "region_code": region_code,
        "manufacturer": body.manufacturer,
        "serial_number": body.serial_number,
        "model": spec.name if spec else body.model.upper(),
        "water_capacity_l": water,
        "tare_kg": body.tare_kg or (spec.typical_tare_kg if spec else 0.0),
        "max_fill_kg": max_fill,
        "manufacture_date": body.manufacture_date,
        "design_life_years": body.design_life_years
        or models_spec.design_life_years(body.manufacture_date),
        "valve_type": body.valve_type or (spec.valve_type if spec else "single_phase"),
        "smart_valve_id": body.smart_valve_id,
        "refurbished": body.refurbished,
        "insurance_policy": body.insurance_policy,
        "insurance_valid_until": body.insurance_valid_until,
        "last_inspection_date": body.last_inspection_date,
        "last_inspection_result": "pass" if body.last_inspection_date else None,
        "next_inspection_due": body.next_inspection_due or latest_due,
        "rfid": None,
        "external_code": None,
    }
    if body.rfid is not None:
        values["rfid"] = codes.normalize_tag_id(body.rfid)
        if values["rfid"] is None:
            raise Invalid("rfid is not a tag id (8-64 hex digits)", field="rfid",
                          reason="BAD_TAG_ID")
    if body.external_code is not None:
        values["external_code"] = codes.normalize_external(body.external_code)
        if values["external_code"] is None:
            raise Invalid("external_code is not a GS1 GRAI or GB/T 36051 code",
                          field="external_code", reason="BAD_EXTERNAL_CODE")
    return values


def next_ids(session: Session, n: int) -> list[int]:
    """Reserve n cylinder ids (and so n codes): never handed out twice, even on rollback."""
    rows = session.execute(
        text("SELECT nextval(pg_get_serial_sequence('cylinder', 'id')) "
             "FROM generate_series(1, :n)"),
        {"n": n},
    ).scalars()
    return [int(r) for r in rows]


def _refuse_duplicates(session: Session, values: dict[str, Any]) -> None:
    clauses = [
        (col(Cylinder.manufacturer) == values["manufacturer"])
        & (col(Cylinder.serial_number) == values["serial_number"])
    ]
    if values["rfid"]:
        clauses.append(col(Cylinder.rfid) == values["rfid"])
    if values["external_code"]:
        clauses.append(col(Cylinder.external_code) == values["external_code"])
    other = session.exec(select(Cylinder).where(or_(*clauses))).first()
    if other is None:
        return
    if values["rfid"] and other.rfid == values["rfid"]:
        raise Conflict("This RFID tag is bound to another cylinder (one tag, one cylinder)",
                       reason="TAG_IN_USE")
    if values["external_code"] and other.external_code == values["external_code"]:
        raise Conflict("This external code is bound to another cylinder",
                       reason="EXTERNAL_CODE_IN_USE")
    raise Conflict("This manufacturer's serial number is already registered (one cylinder, "
                   "one record)", reason="ALREADY_REGISTERED")


def register(session: Session, principal: Principal, body: CylinderCreate) -> Cylinder:
    """Register one cylinder: its record, its code and its `registered` event, one transaction."""
    owner = owner_for(session, principal, body.owner_enterprise_id)
    values = resolve(body, owner.region_code, today(), inspection_interval(owner.region_code))
    _refuse_duplicates(session, values)
    location: dict[str, Any] = {}
    if body.station_id is not None:
        station = session.get(Station, body.station_id)
        if station is None or station.enterprise_id != owner.id:
            raise Invalid("station_id is not a station of the owner", field="station_id",
                          reason="FOREIGN_STATION")
        location = {"location_kind": "station", "location_id": str(station.id)}
    (cylinder_id,) = next_ids(session, 1)
    code = codes.make_code(get_settings().code_prefix, cylinder_id)
    cylinder = Cylinder(id=cylinder_id, code=code, owner_enterprise_id=owner.id, **values)
    payload = registered_payload(code, owner.id, values, location)
    try:
        append_event(session, cylinder, EventKind.REGISTERED, principal, payload)
        session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("A cylinder with this serial, tag or code already exists",
                       reason="ALREADY_REGISTERED") from exc
    return cylinder


def registered_payload(
    code: str, owner_id: uuid.UUID, values: dict[str, Any], location: dict[str, Any]
) -> dict[str, Any]:
    """The registration event carries the whole record, so state can be rebuilt from events."""
    payload = {name: _iso(values.get(name)) for name in RECORD_FIELDS}
    payload["code"] = code
    payload["owner_enterprise_id"] = str(owner_id)
    payload.update(location)
    return payload


RECORD_FIELDS = (
    "region_code", "manufacturer", "serial_number", "model", "water_capacity_l",
    "tare_kg", "max_fill_kg", "manufacture_date", "design_life_years", "valve_type",
    "smart_valve_id", "refurbished", "rfid", "external_code", "last_inspection_date",
    "last_inspection_result", "next_inspection_due", "insurance_policy", "insurance_valid_until",
)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


# --- tags ----------------------------------------------------------------------------------

def bind_tag(session: Session, principal: Principal, code: str, body: TagBind) -> Cylinder:
    """Bind or replace the RFID tag; the history keeps the old one (one tag, one cylinder)."""
    cylinder = cylinder_for(session, principal, code, for_update=True)
    require_may(principal, Action.BIND_TAG, cylinder.owner_enterprise_id, cylinder.region_code)
    tag_id = codes.normalize_tag_id(body.rfid)
    if tag_id is None:
        raise Invalid("rfid is not a tag id (8-64 hex digits)", field="rfid", reason="BAD_TAG_ID")
    other = find_by_tag(session, tag_id)
    if other is not None and other.id != cylinder.id:
        raise Conflict("This RFID tag is bound to another cylinder", reason="TAG_IN_USE")
    if cylinder.rfid == tag_id:
        return cylinder
    append_event(session, cylinder, EventKind.TAG_BOUND, principal,
                 {"rfid": tag_id, "previous": cylinder.rfid, "reason": body.reason})
    return cylinder


def inspection_interval(region_code: str) -> int:
    """Years between periodic inspections in this region (a region policy; 4 by default)."""
    return policy_for(region_code, get_settings().region_policies).inspection_interval_years
