"""Statistics behind the regulator's dashboard (scoped like everything else)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from ...schemas.reports import CylinderStats, DenyReasonCount, FillsOnDay
from ...services import registry, stats
from ..deps import CurrentPrincipal, SessionDep

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])


@router.get("/cylinders", response_model=CylinderStats)
def cylinders(session: SessionDep, principal: CurrentPrincipal,
              region: str | None = Query(default=None, pattern=r"^\d{2,6}$")) -> dict[str, Any]:
    """Cylinders by state, in total and by enterprise (in service, overdue, due within 30 days,
    failed, recalled, seized, scrapped)."""
    return stats.cylinders(session, principal, registry.today(), region)


@router.get("/fills-per-day", response_model=list[FillsOnDay])
def fills_per_day(session: SessionDep, principal: CurrentPrincipal,
                  days: int = Query(default=30, ge=1, le=366)) -> list[dict[str, Any]]:
    """Fills and refused fills per day (Asia/Shanghai days)."""
    return stats.fills_per_day(session, principal, registry.today(), days)


@router.get("/deny-reasons", response_model=list[DenyReasonCount])
def deny_reasons(session: SessionDep, principal: CurrentPrincipal,
                 days: int = Query(default=30, ge=1, le=366)) -> list[dict[str, Any]]:
    """The most frequent reasons fills were refused."""
    return stats.deny_reasons(session, principal, registry.today(), days)
