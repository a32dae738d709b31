"""The one-word safety status a person sees for a cylinder (public page, search, dashboards)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from .models_spec import life_exceeded


class PublicStatus(StrEnum):
    """Worst first: when several hold, the first one named here is shown."""

    SCRAPPED = "scrapped"
    SEIZED = "seized"
    RECALLED = "recalled"
    INSPECTION_FAILED = "inspection_failed"
    LIFE_EXCEEDED = "life_exceeded"
    OVERDUE = "overdue"
    TWO_PHASE_VALVE = "two_phase_valve"
    IN_SERVICE = "in_service"


# (zh, en, colour) — colour is the badge class of the public page.
STATUS_TEXT: dict[PublicStatus, tuple[str, str, str]] = {
    PublicStatus.SCRAPPED: ("已报废", "Scrapped: must not be used", "red"),
    PublicStatus.SEIZED: ("查封", "Seized by the authorities", "red"),
    PublicStatus.RECALLED: ("召回中", "Recalled: return it to the gas company", "red"),
    PublicStatus.INSPECTION_FAILED: ("检验不合格", "Failed its inspection", "red"),
    PublicStatus.LIFE_EXCEEDED: ("超出使用年限", "Past its service life", "red"),
    PublicStatus.OVERDUE: ("超期未检", "Overdue for inspection", "red"),
    PublicStatus.TWO_PHASE_VALVE: ("气液双相（禁用）", "Banned two-phase valve", "red"),
    PublicStatus.IN_SERVICE: ("可以使用", "In service", "green"),
}


@dataclass(frozen=True)
class StatusFacts:
    status: str
    seized: bool
    recalled: bool
    last_inspection_result: str | None
    next_inspection_due: date | None
    manufacture_date: date
    max_life_years: int
    valve_type: str
    design_life_years: int | None = None
    last_inspection_date: date | None = None


def public_status(facts: StatusFacts, today: date) -> PublicStatus:
    """The worst status that holds on ``today`` (a date in the region's time zone)."""
    if facts.status == "scrapped":
        return PublicStatus.SCRAPPED
    if facts.seized:
        return PublicStatus.SEIZED
    if facts.recalled:
        return PublicStatus.RECALLED
    if facts.last_inspection_result == "fail":
        return PublicStatus.INSPECTION_FAILED
    if life_exceeded(facts.manufacture_date, facts.design_life_years, facts.max_life_years,
                     facts.last_inspection_result, facts.last_inspection_date, today):
        return PublicStatus.LIFE_EXCEEDED
    if facts.next_inspection_due is not None and facts.next_inspection_due < today:
        return PublicStatus.OVERDUE
    if facts.valve_type == "two_phase":
        return PublicStatus.TWO_PHASE_VALVE
    return PublicStatus.IN_SERVICE
