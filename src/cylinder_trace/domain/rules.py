"""Fill authorization as a pure function: facts in, Decision out. No I/O, no clock.

Every reason that applies is given, not only the first, so the operator and the regulator see
the whole picture. "Today" is a date in the region's time zone, passed in by the caller.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from . import models_spec
from .codes import ParsedScan, ScanForm
from .lifecycle import owned_or_entrusted
from .models_spec import add_years, life_exceeded, max_life_years
from .policy import RegionPolicy
from .reasons import FillFlag, ReasonCode, WarningCode

R = ReasonCode
W = WarningCode


@dataclass(frozen=True)
class Licence:
    status: str | None  # valid | suspended | revoked | None (missing)
    valid_from: date | None = None
    valid_until: date | None = None

    def valid_on(self, today: date) -> bool:
        return (
            self.status == "valid"
            and (self.valid_from is None or self.valid_from <= today)
            and (self.valid_until is None or today <= self.valid_until)
        )


@dataclass(frozen=True)
class CylinderFacts:
    id: int
    owner_enterprise_id: uuid.UUID
    status: str  # active | scrapped
    seized: bool
    recalled: bool
    manufacture_date: date
    design_life_years: int | None
    valve_type: str
    refurbished: bool
    next_inspection_due: date | None
    last_inspection_result: str | None = None
    last_inspection_date: date | None = None
    smart_valve_id: str | None = None
    rfid: str | None = None
    entrusted_to_enterprise_id: uuid.UUID | None = None
    entrusted_until: date | None = None
    location_kind: str | None = None


@dataclass(frozen=True)
class StationFacts:
    id: uuid.UUID
    enterprise_id: uuid.UUID
    locked: bool
    enterprise_licence: Licence
    # A station's own licence, where one is recorded; otherwise the enterprise's covers it.
    station_licence: Licence | None = None


@dataclass(frozen=True)
class OperatorFacts:
    """An operator named by badge. ``known`` False: the badge matches nobody."""

    known: bool
    enterprise_id: uuid.UUID | None = None
    active: bool = True
    certificate_valid_until: date | None = None


@dataclass(frozen=True)
class FillFacts:
    station: StationFacts
    cylinder: CylinderFacts | None  # None: the scan names no registered cylinder
    scan_accepted: bool = True  # False: malformed, forged, foreign, or unsigned without a tag
    tag_read: bool = False
    tag_cylinder_id: int | None = None  # the cylinder the read tag is bound to, if any
    operator: OperatorFacts | None = None  # None: no operator badge was scanned
    open_elsewhere: bool = False  # an unexpired authorization is open at another station


@dataclass(frozen=True)
class Decision:
    allow: bool
    reasons: tuple[ReasonCode, ...] = ()
    warnings: tuple[WarningCode, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)


def scan_accepted(parsed: ParsedScan | None, *, tag_read: bool, tag_confirms: bool,
                  typed: bool = False) -> bool:
    """Whether a scan may stand for the cylinder it names (``FillFacts.scan_accepted``; refused:
    UNREGISTERED). The one rule for the appliance at the scale and the phone's fill check.

    - an RFID read alone: the bound tag is the proof (``tag_read``);
    - malformed, forged (a signature that does not verify), a foreign host or key: never;
    - another scheme's identifier (GS1 GRAI, GB/T 36051): as read;
    - our code: signed, or confirmed by its own bound tag read with it (``tag_confirms``), or,
      with ``typed``, a bare code a person read off the cylinder and typed (the phone's fill
      check: a code carries no signature). A label's URL without a signature is never typed:
      anyone can print one.
    """
    if parsed is None:
        return tag_read
    if not parsed.ok:
        return False
    if parsed.external is not None:
        return True
    return parsed.signed or tag_confirms or (typed and parsed.form == ScanForm.CODE)


def service_life_end(c: CylinderFacts, policy: RegionPolicy) -> date:
    """The day the cylinder may no longer be filled at all (max life, a region setting)."""
    return add_years(c.manufacture_date, max_life_years(c.manufacture_date, policy.max_life_years))


def design_life_end(c: CylinderFacts) -> date:
    return models_spec.design_life_end(c.manufacture_date, c.design_life_years)


def _life_exceeded(c: CylinderFacts, policy: RegionPolicy, today: date) -> bool:
    return life_exceeded(c.manufacture_date, c.design_life_years,
                         max_life_years(c.manufacture_date, policy.max_life_years),
                         c.last_inspection_result, c.last_inspection_date, today)


def _station_reasons(facts: FillFacts, today: date) -> list[ReasonCode]:
    reasons = []
    station = facts.station
    if station.locked:
        reasons.append(R.STATION_LOCKED)
    licensed = station.enterprise_licence.valid_on(today) and (
        station.station_licence is None or station.station_licence.valid_on(today)
    )
    if not licensed:
        reasons.append(R.STATION_NOT_LICENSED)
    if facts.operator is not None and not operator_certified(facts.operator, station.enterprise_id,
                                                             today):
        reasons.append(R.OPERATOR_NOT_CERTIFIED)
    return reasons


def operator_certified(op: OperatorFacts, station_enterprise_id: uuid.UUID, today: date) -> bool:
    """The badge names an active operator of the station's own company with a certificate in
    date: at authorization and on the fill record alike."""
    return (op.known and op.active and op.enterprise_id == station_enterprise_id
            and op.certificate_valid_until is not None and today <= op.certificate_valid_until)


def _owned(c: CylinderFacts, enterprise_id: uuid.UUID, today: date) -> bool:
    return owned_or_entrusted(enterprise_id, c.owner_enterprise_id,
                              c.entrusted_to_enterprise_id, c.entrusted_until, today)


def authorize_fill(facts: FillFacts, policy: RegionPolicy, today: date) -> Decision:
    """May this cylinder be filled at this station now? Every reason that applies, in order."""
    reasons: list[ReasonCode] = []
    warnings: list[WarningCode] = []
    c = facts.cylinder
    if c is None or not facts.scan_accepted:
        reasons.append(R.UNREGISTERED)
    if facts.tag_read and c is not None and facts.tag_cylinder_id != c.id:
        # the tag names another cylinder, or no cylinder while this one has a tag bound
        if facts.tag_cylinder_id is not None or c.rfid is not None:
            reasons.append(R.CODE_MISMATCH)
    if c is not None:
        if c.status == "scrapped":
            reasons.append(R.SCRAPPED)
        if c.recalled:
            reasons.append(R.RECALLED)
        if c.seized:
            reasons.append(R.SEIZED)
        if c.next_inspection_due is not None and c.next_inspection_due < today:
            reasons.append(R.INSPECTION_OVERDUE)
        if c.last_inspection_result == "fail":
            reasons.append(R.INSPECTION_FAILED)
        if _life_exceeded(c, policy, today):
            reasons.append(R.SERVICE_LIFE_EXCEEDED)
        if c.refurbished:
            reasons.append(R.REFURBISHED)
        if not _owned(c, facts.station.enterprise_id, today):
            reasons.append(R.NOT_OWNED)
        if c.valve_type == "two_phase":
            reasons.append(R.TWO_PHASE_VALVE)
        if policy.require_smart_valve and not c.smart_valve_id:
            reasons.append(R.NO_SMART_VALVE)
        if facts.open_elsewhere:
            reasons.append(R.FILL_IN_PROGRESS)
        due = c.next_inspection_due
        if due is not None and today <= due and (due - today).days <= policy.due_soon_days:
            warnings.append(W.INSPECTION_DUE_SOON)
        ends = [e for e in (design_life_end(c), service_life_end(c, policy)) if e > today]
        if ends and (min(ends) - today).days <= policy.life_ending_days:
            warnings.append(W.SERVICE_LIFE_ENDING)
        if c.location_kind == "customer":
            warnings.append(W.NOT_RETURNED)
    reasons.extend(_station_reasons(facts, today))
    return Decision(allow=not reasons, reasons=tuple(reasons), warnings=tuple(warnings))


def assess_fill(
    net_kg: float, gross_kg: float | None, max_fill_kg: float, tare_kg: float,
    tare_tolerance_kg: float,
) -> tuple[FillFlag, ...]:
    """Flags on a measured fill: above the maximum fill, or a tare that is not this cylinder's."""
    flags = []
    if net_kg > max_fill_kg:
        flags.append(FillFlag.OVERFILL)
    if gross_kg is not None and abs(gross_kg - net_kg - tare_kg) > tare_tolerance_kg:
        flags.append(FillFlag.MASS_MISMATCH)
    return tuple(flags)
