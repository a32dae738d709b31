"""Region policies: where the rules differ by region, the differences live here (a setting)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class RegionPolicy:
    """The documented defaults; ``settings.region_policies`` overrides them per region prefix."""

    inspection_interval_years: int = 4  # GB/T 8334
    due_soon_days: int = 30  # INSPECTION_DUE_SOON
    life_ending_days: int = 90  # SERVICE_LIFE_ENDING
    max_life_years: int | None = None  # None: 12 from 2007-02-01, 15 before (models_spec)
    require_smart_valve: bool = False  # NO_SMART_VALVE


def policy_for(region_code: str, policies: dict[str, dict[str, Any]]) -> RegionPolicy:
    """The policy of the longest region-code prefix configured ("50" = Chongqing, "5001" …)."""
    known = {f.name for f in fields(RegionPolicy)}
    best = ""
    for prefix in policies:
        if region_code.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    if not best:
        return RegionPolicy()
    return RegionPolicy(**{k: v for k, v in policies[best].items() if k in known})
