"""The regulator's and company's pages beyond the dashboard (#7): search with a CSV export that
shows its progress, a cylinder's page with its whole history as a timeline and its current
place, recall campaigns with progress, the hazard ledger, enterprise pages. Same cookie session,
same access rules as the API (every read goes through the scoped services)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import col, select

from ...db.tables.accounts import Enterprise, Station, Vehicle
from ...domain.errors import DomainError
from ...domain.reasons import MESSAGES
from ...domain.status import STATUS_TEXT
from ...services import accounts, custody, delivery, history, registry, stats
from ...services.search import CylinderQuery, count, search
from ..deps import Principal, SessionDep
from ..routes import licences as licence_pages
from ..routes.cylinders import csv_export
from .public import templates
from .session import local, not_found_page, signed_in

router = APIRouter(include_in_schema=False)

KIND_TEXT = {
    "registered": ("建档", "Registered"), "tag_bound": ("绑定电子标签", "Tag bound"),
    "inspected": ("定期检验", "Inspected"), "valve_converted": ("阀门改造", "Valve converted"),
    "fill_authorized": ("准许充装", "Fill authorized"), "fill_denied": ("拒绝充装", "Fill refused"),
    "filled": ("充装", "Filled"), "dispatched": ("出库配送", "Dispatched"),
    "delivered": ("送达入户", "Delivered"), "returned": ("空瓶回收", "Returned"),
    "transferred": ("产权转移", "Transferred"), "entrusted": ("托管", "Entrusted"),
    "recalled": ("召回", "Recalled"), "recall_closed": ("召回结束", "Recall closed"),
    "seized": ("查封", "Seized"), "released": ("解除查封", "Released"),
    "scrapped": ("报废", "Scrapped"),
    "handed_to_agency": ("移交检验机构", "Handed to an agency"),
    "returned_by_agency": ("检验机构退回", "Returned by the agency"),
}
# the payload's fields a timeline shows, with their labels (ids and hashes stay out)
DETAIL_TEXT = {
    "net_kg": "净重 kg", "gross_kg": "毛重 kg", "result": "结论 result", "reason": "原因 reason",
    "agency": "检验机构 agency", "report_number": "报告编号 report",
    "certificate_number": "报废证明 certificate", "flags": "标记 flags",
    "checklist_ok": "安检合格 check passed",
    "hazards": "隐患 hazards", "to_enterprise": "转至 to", "until": "至 until",
    "confirmation": "确认方式 confirmed by",
}
PLACE_TEXT = {"station": ("充装站", "At a station"), "vehicle": ("配送车辆", "On a vehicle"),
              "customer": ("用户处", "At a customer's"),
              "inspection": ("检验机构", "At inspection")}


Session_ = Annotated[str | None, Cookie(alias="ct_session")]


def _query(q: str | None, region: str | None, overdue: str | None, recalled: str | None,
           seized: str | None) -> CylinderQuery:
    def flag(v: str | None) -> bool | None:
        return True if v == "1" else None
    return CylinderQuery(q=q or None, region=region or None, overdue=flag(overdue),
                         recalled=flag(recalled), seized=flag(seized))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, session: SessionDep, ct_session: Session_ = None,
                q: Annotated[str | None, Query(max_length=80)] = None,
                region: Annotated[str | None, Query(pattern=r"^(\d{2,6})?$")] = None,
                overdue: Annotated[str | None, Query(max_length=1)] = None,
                recalled: Annotated[str | None, Query(max_length=1)] = None,
                seized: Annotated[str | None, Query(max_length=1)] = None,
                after: Annotated[int | None, Query(ge=0)] = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        query = _query(q, region, overdue, recalled, seized)
        today = registry.today()
        if q:  # a scanned label or a code typed in: straight to its page when it is ours
            try:
                c = registry.cylinder_for(session, principal, q)
                return RedirectResponse(f"/cylinders/{c.code}", status_code=303)
            except DomainError:
                pass
        rows, next_id = search(session, principal, query, today, limit=50, after_id=after)
        names = _enterprise_names(session, {c.owner_enterprise_id for c in rows})
        params = {k: v for k, v in request.query_params.items() if k != "after"}
        return templates.TemplateResponse(request, "search.html", {
            "csrf": csrf, "rows": [_row(c, names) for c in rows], "params": params,
            "total": count(session, principal, query, today), "next_id": next_id,
            "export": "/search.csv?" + urlencode({k: v for k, v in params.items() if v})})
    return signed_in(session, ct_session, render)


@router.get("/search.csv")
def search_csv(session: SessionDep, ct_session: Session_ = None,
               q: Annotated[str | None, Query(max_length=80)] = None,
               region: Annotated[str | None, Query(pattern=r"^(\d{2,6})?$")] = None,
               overdue: Annotated[str | None, Query(max_length=1)] = None,
               recalled: Annotated[str | None, Query(max_length=1)] = None,
               seized: Annotated[str | None, Query(max_length=1)] = None) -> Response:
    """The search as CSV, streamed; X-Total-Count lets the page show its progress."""
    def render(principal: Principal, _csrf: str) -> Response:
        return csv_export(session, principal, _query(q, region, overdue, recalled, seized))
    return signed_in(session, ct_session, render)


def _enterprise_names(session: SessionDep, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = session.exec(select(Enterprise.id, Enterprise.name)
                        .where(col(Enterprise.id).in_(ids))).all()
    return {i: n for i, n in rows}


def _row(c: Any, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    status = registry.status_of(c)
    zh, en, colour = STATUS_TEXT[status]
    return {"code": c.code, "model": c.model, "owner": names.get(c.owner_enterprise_id, ""),
            "region": c.region_code, "due": c.next_inspection_due, "zh": zh, "en": en,
            "colour": colour, "two_phase": c.valve_type == "two_phase"}


def _place(session: SessionDep, c: Any) -> dict[str, str]:
    zh, en = PLACE_TEXT.get(c.location_kind or "", ("未知", "Unknown"))
    where = ""
    if c.location_kind == "station" and c.location_id:
        st = session.get(Station, uuid.UUID(c.location_id))
        where = st.name if st else ""
    elif c.location_kind == "vehicle" and c.location_id:
        v = session.get(Vehicle, uuid.UUID(c.location_id))
        where = v.plate if v else ""
    # at a customer's: the page says so and no more (the address is personal data)
    return {"zh": zh, "en": en, "where": where}


def _detail(payload: dict[str, Any]) -> list[tuple[str, str]]:
    extra = []
    if "safety_check_passed" in payload:  # the door-step safety check of a delivery
        extra.append(("入户安检 safety check", "合格 passed" if payload["safety_check_passed"]
                      else "发现隐患，已登记整改 hazards found, on the ledger"))
    place = payload.get("location")
    if isinstance(place, dict) and "lat" in place and "lon" in place:
        accuracy = f" ±{place['accuracy_m']} m" if place.get("accuracy_m") is not None else ""
        extra.append(("位置 place", f"{place['lat']:.5f}, {place['lon']:.5f}{accuracy}"))
    return extra + [(label, str(payload[k])) for k, label in DETAIL_TEXT.items()
            if k in payload and payload[k] not in (None, "", [], {})]


@router.get("/cylinders/{code}", response_class=HTMLResponse)
def cylinder_page(code: str, request: Request, session: SessionDep, ct_session: Session_ = None,
                  cursor: Annotated[str | None, Query(max_length=80)] = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        try:
            c = registry.cylinder_for(session, principal, code)
            events, next_cursor = history.history_page(session, c.id or 0, limit=200,
                                                       cursor=cursor)
        except DomainError as err:
            return not_found_page(request, csrf, err)
        stations = {s.id: s.name for s in session.exec(select(Station).where(
            col(Station.id).in_({e.station_id for e in events if e.station_id}))).all()}
        status = registry.status_of(c)
        zh, en, colour = STATUS_TEXT[status]
        timeline = []
        for e in events:
            kzh, ken = KIND_TEXT.get(e.kind, (e.kind, e.kind))
            reasons = [{"code": r, "zh": MESSAGES.get(r, (r, r))[0]}
                       for r in (e.payload.get("reasons") or [])]
            timeline.append({"at": local(e.occurred_at), "kind": e.kind, "zh": kzh, "en": ken,
                             "station": stations.get(e.station_id, "") if e.station_id else "",
                             "reasons": reasons,
                             "detail": _detail(e.payload)})
        owner = session.get(Enterprise, c.owner_enterprise_id)
        return templates.TemplateResponse(request, "cylinder.html", {
            "csrf": csrf, "c": c, "zh": zh, "en": en, "colour": colour, "status": status.value,
            "owner": owner.name if owner else "", "place": _place(session, c),
            "timeline": timeline, "next_cursor": next_cursor,
            "chain_head": history.chain_head(session, c.id or 0)})
    return signed_in(session, ct_session, render)


@router.get("/recalls", response_class=HTMLResponse)
def recalls_page(request: Request, session: SessionDep, ct_session: Session_ = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        rows = [custody.recall_out(session, c) for c in custody.list_recalls(session, principal)]
        return templates.TemplateResponse(request, "recalls.html", {"csrf": csrf, "rows": rows})
    return signed_in(session, ct_session, render)


@router.get("/hazards", response_class=HTMLResponse)
def hazards_page(request: Request, session: SessionDep, ct_session: Session_ = None,
                 status: Annotated[str | None, Query(pattern=r"^(open|closed)?$")] = None
                 ) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        today = registry.today()
        rows = delivery.hazards(session, principal, status or None, None, None, None)
        names = _enterprise_names(session, {h.enterprise_id for h in rows})
        items = [{"h": h, "company": names.get(h.enterprise_id, ""),
                  "late": h.status == "open" and h.deadline < today} for h in rows]
        return templates.TemplateResponse(request, "hazards.html", {
            "csrf": csrf, "rows": items, "status": status or "",
            "late": sum(1 for i in items if i["late"])})
    return signed_in(session, ct_session, render)


@router.get("/enterprises", response_class=HTMLResponse)
def enterprises_page(request: Request, session: SessionDep,
                     ct_session: Session_ = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        counts = {e["enterprise_id"]: e for e in
                  stats.cylinders(session, principal, registry.today())["by_enterprise"]}
        rows = [{"e": e, "counts": counts.get(str(e.id))}
                for e in accounts.list_enterprises(session, principal)]
        return templates.TemplateResponse(request, "enterprises.html", {
            "csrf": csrf, "rows": rows, "today": registry.today()})
    return signed_in(session, ct_session, render)


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_page(enterprise_id: uuid.UUID, request: Request, session: SessionDep,
                    ct_session: Session_ = None, error: str | None = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        try:
            e = accounts.get_enterprise(session, principal, enterprise_id)
        except DomainError as err:
            return not_found_page(request, csrf, err)
        stations = accounts.list_stations(session, principal, e.id)
        by = stats.cylinders(session, principal, registry.today(),
                             enterprise_id=e.id)["by_enterprise"]
        counts = by[0] if by else None
        return templates.TemplateResponse(request, "enterprise.html", {
            "csrf": csrf, "e": e, "stations": stations, "counts": counts,
            "today": registry.today(), **licence_pages.context(session, principal, e.id,
                                                               stations, error)})
    return signed_in(session, ct_session, render)
