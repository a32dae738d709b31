"""Cylinder models of GB 5842 (YSP-12 …): capacities, typical tares and the service-life rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# LPG is filled at about 0.42 kg per litre of water capacity (GB/T 14193 filling ratio).
FILL_KG_PER_L = 0.42


@dataclass(frozen=True)
class CylinderModel:
    name: str
    water_capacity_l: float
    max_fill_kg: float
    typical_tare_kg: float  # the tare stamped on each cylinder is recorded per cylinder and wins
    valve_type: str  # "single_phase" | "two_phase"


# Typical tares are those commonly stamped on GB 5842 steel cylinders of each size.
MODELS: dict[str, CylinderModel] = {
    m.name: m
    for m in (
        CylinderModel("YSP-4.7", 4.7, 2.0, 4.5, "single_phase"),
        CylinderModel("YSP-12", 12.0, 5.0, 7.0, "single_phase"),
        CylinderModel("YSP-26.2", 26.2, 11.0, 13.0, "single_phase"),
        CylinderModel("YSP-35.5", 35.5, 14.9, 16.0, "single_phase"),
        CylinderModel("YSP-118", 118.0, 49.5, 47.0, "single_phase"),
        # The 50 kg cylinder with a gas-liquid two-phase valve (气液双相): banned from filling.
        CylinderModel("YSP-118-II", 118.0, 49.5, 48.0, "two_phase"),
    )
}

_KEY = re.compile(r"[^0-9A-Z.]")


def _key(name: str) -> str:
    # "ysp 118 ii" / "YSP118-II" / "YSP-118-Ⅱ" -> "YSP118.II" style key without separators
    return _KEY.sub("", name.upper().replace("Ⅱ", "II"))


_BY_KEY = {_key(m.name): m for m in MODELS.values()}


def lookup(model: str) -> CylinderModel | None:
    """The model named, tolerant of case, spaces and dashes ("ysp12" is YSP-12)."""
    return _BY_KEY.get(_key(model))


# GB 5842-2006 applies to cylinders made from 2007-02-01: 8 years' design life; older ones
# (GB 5842-1996) were given 15. Regions commonly cap total life at 12 years for the newer ones.
GB5842_2006_FROM = date(2007, 2, 1)
DESIGN_LIFE_YEARS = 8  # GB 5842-2006
DESIGN_LIFE_YEARS_BEFORE = 15  # GB 5842-1996


def design_life_years(manufacture_date: date, recorded: int | None = None) -> int:
    """The design life: the years recorded for this cylinder, else its standard's."""
    if recorded:
        return recorded
    return DESIGN_LIFE_YEARS if manufacture_date >= GB5842_2006_FROM else DESIGN_LIFE_YEARS_BEFORE


def design_life_end(manufacture_date: date, recorded: int | None = None) -> date:
    return add_years(manufacture_date, design_life_years(manufacture_date, recorded))


def max_life_years(manufacture_date: date, override: int | None = None) -> int:
    """Total life after which no inspection keeps the cylinder in use (a region may override)."""
    if override is not None:
        return override
    return 12 if manufacture_date >= GB5842_2006_FROM else 15


def add_years(d: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year.

    Past the calendar's end (year 9999) the answer is its last day: "never within any date
    we can store" is what a due date that far out means, and no input can make this raise."""
    year = d.year + years
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    try:
        return d.replace(year=year)
    except ValueError:
        return d.replace(year=year, day=28)


def next_inspection_due(inspected_on: date, interval_years: int = 4) -> date:
    """GB/T 8334: LPG steel cylinders are inspected every 4 years (a region setting)."""
    return add_years(inspected_on, interval_years)


def latest_registered_due(manufacture_date: date, last_inspected: date | None,
                          interval_years: int = 4) -> date:
    """The latest next-inspection date a registration (or import) may carry, and its default.

    A new cylinder's first periodic inspection is due one interval after it was made; one with
    a recorded inspection, one interval after that (GB/T 8334, TSG 23; the interval is the
    region's, 4 years by default). A company may record an earlier date (the one stamped on the
    cylinder, or a stricter regional rule), never a later one: only an inspection agency's record
    moves the due date further (services/inspections.py)."""
    return next_inspection_due(last_inspected or manufacture_date, interval_years)


def life_exceeded(manufacture_date: date, design_years: int | None, max_years: int,
                  last_result: str | None, last_inspected: date | None, today: date) -> bool:
    """Past the maximum life; or past the design life without a passing inspection since it."""
    if today >= add_years(manufacture_date, max_years):
        return True
    design_end = design_life_end(manufacture_date, design_years)
    if today < design_end:
        return False
    return not (last_result == "pass" and last_inspected is not None
                and last_inspected >= design_end)
