"""Routes of the campaign's progress: the declared stock (底数), progress per company and
district, the monthly ranking as JSON, CSV and a printable page."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from ...config import get_settings
from ...domain import campaign as rules
from ...services import campaign, registry
from ..deps import Action, CurrentPrincipal, Principal, SessionDep, acts
from ..pages.public import templates
from ..pages.session import signed_in

router = APIRouter(prefix="/api/v1", tags=["regulation"])
pages = APIRouter(include_in_schema=False)
Month = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


class StockIn(BaseModel):
    region_code: str = Field(pattern=r"^[1-9]\d{5}$")
    declared_stock: int = Field(ge=0, le=100_000_000)
    declared_on: date | None = None


class StockOut(StockIn):
    id: uuid.UUID
    enterprise_id: uuid.UUID
    actor: str


class ProgressRow(BaseModel):
    rank: int
    enterprise_id: str
    enterprise: str
    region_code: str
    declared: int | None
    registered: int
    registered_pct: float | None
    tagged: int
    inspected: int
    two_phase_left: int
    smart_valves: int
    door_checks: int


class DeadlineOut(BaseModel):
    name: str
    label_zh: str
    label_en: str
    due: date
    passed: bool


class ProgressOut(BaseModel):
    month: str
    deadlines: list[DeadlineOut]
    rows: list[ProgressRow]


@router.post("/enterprises/{enterprise_id}/declared-stock",
             dependencies=[acts(Action.DECLARE_STOCK)], response_model=StockOut,
             status_code=status.HTTP_201_CREATED)
def declare_stock(enterprise_id: uuid.UUID, body: StockIn, session: SessionDep,
                  principal: CurrentPrincipal) -> StockOut:
    """底数: the number of cylinders the region counted for this company in this district."""
    row = campaign.declare(session, principal, enterprise_id, body.region_code,
                           body.declared_stock, body.declared_on)
    return StockOut.model_validate(row, from_attributes=True)


def _deadlines() -> list[DeadlineOut]:
    today = registry.today()
    return [DeadlineOut(name=d.name, label_zh=d.label_zh, label_en=d.label_en, due=d.due,
                        passed=d.passed(today))
            for d in rules.deadlines(get_settings().campaign_deadlines)]


@router.get("/campaign/progress", response_model=ProgressOut)
def campaign_progress(session: SessionDep, principal: CurrentPrincipal,
                      month: Month = None) -> ProgressOut:
    """Each company and district in scope, ranked (每月排名): registered against declared,
    then fewest two-phase cylinders left, then inspections in date."""
    first, rows = campaign.progress(session, principal, month)
    return ProgressOut(month=f"{first:%Y-%m}", deadlines=_deadlines(),
                       rows=[ProgressRow(**campaign.as_row(p)) for p in rows])


@router.get("/campaign/progress.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def campaign_progress_csv(session: SessionDep, principal: CurrentPrincipal,
                          month: Month = None) -> Response:
    first, rows = campaign.progress(session, principal, month)
    return Response(campaign.as_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="campaign-{first:%Y-%m}.csv"'})


@pages.get("/campaign", response_class=HTMLResponse)
def campaign_page(request: Request, session: SessionDep, month: Month = None,
                  ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        first, rows = campaign.progress(session, principal, month)
        return templates.TemplateResponse(request, "campaign.html", {
            "csrf": csrf, "month": f"{first:%Y-%m}", "deadlines": _deadlines(),
            "rows": [campaign.as_row(p) for p in rows], "today": registry.today()})
    return signed_in(session, ct_session, render)


@pages.get("/campaign.csv")
def campaign_page_csv(session: SessionDep, month: Month = None,
                      ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    def render(principal: Principal, _: str) -> Response:
        return campaign_progress_csv(session, principal, month)
    return signed_in(session, ct_session, render)
