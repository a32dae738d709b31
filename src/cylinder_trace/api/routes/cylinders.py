"""Routes of the cylinder registry: register, import, read, search, history, tags, labels
(inspections are the agencies': api/agencies.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

import orjson
import psycopg
from fastapi import APIRouter, Query, Request, status
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ...adapters import labels
from ...config import get_settings
from ...db.engine import psycopg_text
from ...db.secrets import root_secret_at_hand
from ...db.tables.accounts import Enterprise
from ...db.tables.registry import Cylinder
from ...domain.errors import DomainError, Invalid, NotFound
from ...schemas.registry import (
    CylinderCreate,
    CylinderOut,
    CylinderPage,
    CylinderStatusOut,
    EventOut,
    HistoryPage,
    ImportReport,
    TagBind,
)
from ...schemas.reports import EpcisDocument
from ...services import importer, registry
from ...services.history import MAX_PAGE, chain_head, history_page, history_page_async
from ...services.search import CylinderQuery, search
from ..deps import (
    Action,
    CurrentPrincipal,
    Principal,
    SessionDep,
    acts,
    principal_of,
    principal_sql,
    token_ids,
)

router = APIRouter(prefix="/api/v1", tags=["cylinders"])
# The history page, included ahead of the ~90 routes of the other routers (matched in order:
# scanning them was a sixth of the page's CPU); its path shadows none of theirs.
reads = APIRouter(prefix="/api/v1", tags=["cylinders"])


def cylinder_out(c: Cylinder) -> CylinderOut:
    from ...domain.models_spec import design_life_end
    from ...domain.status import STATUS_TEXT

    st = registry.status_of(c)
    zh, en, _ = STATUS_TEXT[st]
    return CylinderOut(
        id=c.id or 0,
        code=c.code,
        qr_text=registry.qr_text_for(c.code),
        owner_enterprise_id=c.owner_enterprise_id,
        region_code=c.region_code,
        manufacturer=c.manufacturer,
        serial_number=c.serial_number,
        model=c.model,
        water_capacity_l=c.water_capacity_l,
        tare_kg=c.tare_kg,
        max_fill_kg=c.max_fill_kg,
        manufacture_date=c.manufacture_date,
        design_life_years=c.design_life_years,
        service_life_ends=design_life_end(c.manufacture_date, c.design_life_years),
        valve_type=c.valve_type,
        smart_valve_id=c.smart_valve_id,
        refurbished=c.refurbished,
        rfid=c.rfid,
        external_code=c.external_code,
        status=c.status,
        seized=c.seized,
        recalled=c.recalled,
        filled=c.filled,
        public_status=CylinderStatusOut(code=st.value, zh=zh, en=en),
        location_kind=c.location_kind,
        location_id=c.location_id,
        last_inspection_date=c.last_inspection_date,
        last_inspection_result=c.last_inspection_result,
        next_inspection_due=c.next_inspection_due,
        last_fill_at=c.last_fill_at,
        last_fill_station_id=c.last_fill_station_id,
        insurance_policy=c.insurance_policy,
        insurance_valid_until=c.insurance_valid_until,
        created_at=c.created_at,
    )


@router.post("/cylinders",
             dependencies=[acts(Action.REGISTER)], response_model=CylinderOut,
             status_code=status.HTTP_201_CREATED)
def register_cylinder(
    body: CylinderCreate, session: SessionDep, principal: CurrentPrincipal
) -> CylinderOut:
    """Register a cylinder (建档): returns its new code and the QR text to print."""
    cylinder = registry.register(session, principal, body)
    session.flush()
    session.refresh(cylinder)
    return cylinder_out(cylinder)


@router.post("/cylinders/import", dependencies=[acts(Action.IMPORT)], response_model=ImportReport)
async def import_cylinders(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    owner_enterprise_id: uuid.UUID | None = None,
) -> ImportReport:
    """Bulk registration from CSV (UTF-8, with or without BOM, header row). Valid rows go in,
    invalid rows are listed with the reason; all in one transaction."""
    data = await request.body()
    content_type = request.headers.get("content-type")  # the body is declared in api/openapi.py
    if content_type and content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Invalid("multipart upload needs a 'file' field", reason="NO_FILE")
        data = await upload.read()
    report = importer.import_csv(session, principal, data, owner_enterprise_id)
    session.flush()
    return report


@router.get("/cylinders", response_model=CylinderPage)
def search_cylinders(
    session: SessionDep,
    principal: CurrentPrincipal,
    owner: uuid.UUID | None = None,
    region: str | None = Query(default=None, pattern=r"^\d{2,6}$"),
    status_: Literal["active", "scrapped"] | None = Query(default=None, alias="status"),
    model: str | None = Query(default=None, max_length=32),
    valve_type: Literal["single_phase", "two_phase"] | None = None,
    seized: bool | None = None,
    recalled: bool | None = None,
    overdue: bool | None = None,
    due_within_days: int | None = Query(default=None, ge=0, le=3660),
    location_kind: Literal["station", "vehicle", "customer", "inspection"] | None = None,
    q: str | None = Query(default=None, max_length=80),
    limit: int = Query(default=50, ge=1, le=500),
    cursor: str | None = Query(default=None, pattern=r"^\d{1,19}$"),
) -> CylinderPage:
    """Search for admins (their enterprise) and regulators (their regions)."""
    query = CylinderQuery(owner=owner, region=region, status=status_, model=model,
                          valve_type=valve_type, seized=seized, recalled=recalled,
                          overdue=overdue, due_within_days=due_within_days,
                          location_kind=location_kind, q=q)
    rows, next_id = search(session, principal, query, registry.today(), limit=limit,
                           after_id=int(cursor) if cursor else None)
    return CylinderPage(items=[cylinder_out(c) for c in rows],
                        next_cursor=str(next_id) if next_id else None)


@router.get("/cylinders/{code}", response_model=CylinderOut)
def get_cylinder(code: str, session: SessionDep, principal: CurrentPrincipal) -> CylinderOut:
    return cylinder_out(registry.cylinder_for(session, principal, code))


# EventOut's fields, in its order: what each item of a history page carries
_EVENT_FIELDS = tuple(EventOut.model_fields)


HISTORY = "/api/v1/cylinders/{code}/history"
_HISTORY_PREFIX, _HISTORY_SUFFIX = HISTORY.split("{code}")
CURSOR_MAX = 200  # a cursor's length, at most (this service's are 40-odd characters)


@reads.get(HISTORY.removeprefix("/api/v1"), response_model=HistoryPage)
def get_history(
    code: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    kind: Annotated[list[str] | None, Query()] = None,
    limit: int = Query(default=50, ge=1, le=MAX_PAGE),
    cursor: str | None = Query(default=None, max_length=CURSOR_MAX),
) -> Response:
    """The cylinder's events, newest first; `next_cursor` fetches the next page."""
    cylinder = registry.cylinder_ref(session, principal, code)  # a Core row: id, code, scope
    rows, next_cursor = history_page(session, cylinder.id, kinds=kind, limit=limit,
                                     cursor=cursor)
    return Response(history_json(cylinder.code, chain_head(session, cylinder.id), rows,
                                 next_cursor), media_type="application/json")


def history_json(code: str, head: str | None, rows: Any, next_cursor: str | None) -> bytes:
    """HistoryPage's JSON written straight from the rows (its fields, its order; times in UTC
    with a Z, as pydantic writes them): validating 50 EventOut models and the page again on
    the way out was a sixth of the request's CPU, for rows the database typed already.
    (tests/api/test_history_window.py compares it with the models' own JSON.)"""
    return orjson.dumps({"code": code, "chain_head": head,
                         "items": [{f: getattr(e, f) for f in _EVENT_FIELDS} for e in rows],
                         "next_cursor": next_cursor}, option=orjson.OPT_UTC_Z)


async def history_asgi(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> None:
    """GET /api/v1/cylinders/{code}/history as a plain ASGI endpoint, ahead of FastAPI's router
    (front.py calls it), on the event loop: the person's session, the cylinder and the page are
    read on an async connection of the read pool, the first two in one round trip (a
    pipeline), with no transaction around them, no thread hand-over and no dependency solving
    (docs/performance.md). Only a request of the usual shape is answered here: a bearer
    token, no API key, at most `limit` and `cursor` as get_history would take them. Anything
    else, and every refusal (401, 404, 422), goes to the FastAPI route above, which answers it
    as it always has: the same statements, the same checks in the same order, the same JSON."""
    token = None
    for name, value in scope["headers"]:
        if name == b"authorization" and token is None:
            scheme, _, param = value.decode("latin-1").partition(" ")
            token = param if scheme.lower() == "bearer" and param else ""
        elif name == b"x-api-key":
            token = ""  # a station's key goes first in get_principal: the long way
    query = _usual_history_query(scope["query_string"])
    if not token or query is None or not root_secret_at_hand(get_settings()):
        await app(scope, receive, send)
        return
    try:
        user_id, session_id = token_ids(token)
        ref_sql, ref_params = registry.cylinder_ref_query(
            scope["path"][len(_HISTORY_PREFIX):-len(_HISTORY_SUFFIX)])
        async with scope["app"].state.reads.connection() as conn:
            async with conn.pipeline():
                users = await conn.execute(_principal_text(), {
                    "session_id": session_id, "user_id": user_id})
                refs = await conn.execute(ref_sql, ref_params)
            principal = principal_of(await users.fetchone(), session_id)
            cylinder = registry.cylinder_seen(principal, await refs.fetchone())
            rows, next_cursor, head = await history_page_async(conn, cylinder.id, **query)
    except (DomainError, psycopg.Error):
        # a refusal, or the database failing: the FastAPI route answers it, its usual way
        await app(scope, receive, send)
        return
    scope["state"]["principal"] = principal  # for the access line (front.py)
    body = history_json(cylinder.code, head, rows, next_cursor)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()),
                            (b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def _usual_history_query(raw: bytes) -> dict[str, Any] | None:
    """get_history's `limit` and `cursor` as it would take them, or None for any other query
    (a kind filter, a parameter twice, a value it might refuse or read otherwise)."""
    if not raw:
        return {}
    got: dict[str, Any] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if name in got:
            return None
        if name == "limit" and value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_PAGE:
            got[name] = int(value)
        elif name == "cursor" and 0 < len(value) <= CURSOR_MAX:
            got[name] = value
        else:
            return None
    return got


@lru_cache(maxsize=1)
def _principal_text() -> str:
    return psycopg_text(principal_sql())


@router.post("/cylinders/{code}/tag",
             dependencies=[acts(Action.BIND_TAG)], response_model=CylinderOut)
def bind_tag(
    code: str, body: TagBind, session: SessionDep, principal: CurrentPrincipal
) -> CylinderOut:
    """Bind an RFID tag to the cylinder, or replace its tag (the history keeps the old one)."""
    cylinder = registry.bind_tag(session, principal, code, body)
    session.flush()
    session.refresh(cylinder)
    return cylinder_out(cylinder)


EPCIS_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "model": EpcisDocument, "content": {"application/ld+json": {}},
    "description": "GS1 EPCIS 2.0 JSON-LD; `Accept: application/json` gets the same document "
                   "labelled application/json"}}


def epcis_media_type(request: Request) -> str:
    """JSON-LD unless the client asks for plain JSON only (a generic JSON client)."""
    accept = request.headers.get("accept", "")
    plain = "application/json" in accept and "application/ld+json" not in accept
    return "application/json" if plain else "application/ld+json"


def _caption(session: SessionDep, c: Cylinder) -> list[str]:
    owner = session.get(Enterprise, c.owner_enterprise_id)
    return [c.code, owner.name if owner else ""]


def _label(session: SessionDep, principal: CurrentPrincipal, code: str,
           draw: Callable[[str, list[str]], bytes | str], media_type: str) -> Response:
    """One cylinder's label: its QR text and caption, drawn as PNG or SVG."""
    c = registry.cylinder_for(session, principal, code)
    return Response(draw(registry.qr_text_for(c.code), _caption(session, c)),
                    media_type=media_type)


@router.get("/cylinders/{code}/label.png", response_class=Response,
            responses={200: {"content": {"image/png": {}}}})
def label_png(code: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return _label(session, principal, code, labels.label_png, "image/png")


@router.get("/cylinders/{code}/label.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
def label_svg(code: str, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return _label(session, principal, code, labels.label_svg, "image/svg+xml")


@router.get("/labels", response_class=Response,
            responses={200: {"content": {"application/pdf": {}, "image/svg+xml": {}}}})
def label_sheet(
    session: SessionDep,
    principal: CurrentPrincipal,
    codes: str = Query(min_length=1, max_length=20000, description="Comma-separated codes"),
    format: Literal["pdf", "svg"] = "pdf",
    page: int = Query(default=1, ge=1, description="SVG page (an SVG holds one A4 page)"),
) -> Response:
    """A printable A4 sheet of labels for a batch of cylinders."""
    wanted = [c.strip() for c in codes.split(",") if c.strip()]
    if len(wanted) > 1000:
        raise Invalid("At most 1000 codes per sheet request", field="codes",
                      reason="TOO_MANY_CODES")
    items = []
    for code in wanted:
        c = registry.cylinder_for(session, principal, code)
        items.append((registry.qr_text_for(c.code), _caption(session, c)))
    if format == "pdf":
        return Response(labels.label_sheet_pdf(items), media_type="application/pdf")
    pages = labels.label_sheet_svg(items)
    if page > len(pages):
        raise NotFound(f"The sheet has {len(pages)} page(s)")
    return Response(pages[page - 1], media_type="image/svg+xml",
                    headers={"X-Sheet-Pages": str(len(pages))})


@router.get("/cylinders/{code}/epcis", tags=["exports"], responses=EPCIS_RESPONSES)
def epcis_export(code: str, request: Request, session: SessionDep,
                 principal: CurrentPrincipal) -> Response:
    """The cylinder's whole history as a GS1 EPCIS 2.0 JSON-LD document; `ct:chainHead` lets a
    regulator check a copy against the service (`cylinder-trace verify`)."""
    import json
    from datetime import UTC, datetime

    from ...config import get_settings
    from ...domain import epcis
    from ...services.events import events_of

    c = registry.cylinder_for(session, principal, code)
    epc = epcis.epc_of(c.code, c.external_code, get_settings().public_base_url)
    events = [epcis.object_event(e.kind, e.occurred_at, epc, e.hash,
                                 str(e.station_id) if e.station_id else None, e.payload)
              for e in events_of(session, c.id or 0)]
    doc = epcis.document(events, datetime.now(UTC), chain_head(session, c.id or 0))
    return Response(json.dumps(doc, ensure_ascii=False, default=str),
                    media_type=epcis_media_type(request))


@router.get("/cylinders.csv", tags=["exports"], response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export_csv(
    session: SessionDep,
    principal: CurrentPrincipal,
    owner: uuid.UUID | None = None,
    region: str | None = Query(default=None, pattern=r"^\d{2,6}$"),
    overdue: bool | None = None,
    recalled: bool | None = None,
    seized: bool | None = None,
) -> Response:
    """A search result as CSV, streamed page by page (any size); X-Total-Count says how many
    rows will come (a progress bar's total)."""
    return csv_export(session, principal, CylinderQuery(
        owner=owner, region=region, overdue=overdue, recalled=recalled, seized=seized))


def csv_export(session: SessionDep, principal: Principal, query: CylinderQuery) -> Response:
    """The CSV answer of a search, for the API and the search page alike."""
    from fastapi.responses import StreamingResponse

    from ...services.search import count, csv_stream

    today = registry.today()
    total = count(session, principal, query, today)
    return StreamingResponse(csv_stream(principal, query, today),
                             media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="cylinders.csv"',
                                      "X-Total-Count": str(total)})


@router.get("/epcis/events", tags=["exports"], responses=EPCIS_RESPONSES)
def epcis_period(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    since: Annotated[date, Query(description="first day (Asia/Shanghai), inclusive")],
    until: Annotated[date, Query(description="last day (Asia/Shanghai), inclusive")],
) -> Response:
    """A period's events of every cylinder in the caller's scope as one GS1 EPCIS 2.0 document,
    streamed (at most 366 days per request; any number of events)."""
    import json
    from collections.abc import Iterator
    from datetime import UTC, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from fastapi.responses import StreamingResponse
    from sqlmodel import Session, col, select

    from ...config import get_settings
    from ...db.engine import get_engine
    from ...db.tables.registry import CylinderEvent
    from ...domain import epcis
    from ...services.search import scope_clause

    if until < since or (until - since).days > 366:
        raise Invalid("since..until is 1 to 366 days", field="until", reason="BAD_PERIOD")
    tz = ZoneInfo(get_settings().timezone)
    start = datetime.combine(since, time.min, tz)
    # the day after the last one, unless the last one is the calendar's last (9999-12-31)
    end = datetime.combine(until + timedelta(days=1), time.min, tz) if until < date.max else None
    base = get_settings().public_base_url
    query = (select(CylinderEvent, Cylinder.code, Cylinder.external_code)
             .join(Cylinder, col(Cylinder.id) == col(CylinderEvent.cylinder_id))
             .where(col(CylinderEvent.occurred_at) >= start)
             .order_by(col(CylinderEvent.occurred_at), col(CylinderEvent.id)))
    if end is not None:
        query = query.where(col(CylinderEvent.occurred_at) < end)
    scope = scope_clause(principal)
    if scope is not None:
        query = query.where(scope)
    head = epcis.document([], datetime.now(UTC), None)
    del head["ct:chainHead"]
    opening, closing = json.dumps(head, ensure_ascii=False).split('"eventList": []')

    def chunks() -> Iterator[str]:
        yield opening + '"eventList": ['
        first = True
        with Session(get_engine()) as own:  # outlives the request's session
            for ev, code, external in own.exec(query.execution_options(yield_per=1000)):
                item = epcis.object_event(ev.kind, ev.occurred_at,
                                          epcis.epc_of(code, external, base), ev.hash,
                                          str(ev.station_id) if ev.station_id else None,
                                          ev.payload)
                yield ("" if first else ",") + json.dumps(item, ensure_ascii=False, default=str)
                first = False
        yield "]" + closing

    return StreamingResponse(chunks(), media_type=epcis_media_type(request), headers={
        "Content-Disposition": f'attachment; filename="epcis-{since}-{until}.jsonld"'})
