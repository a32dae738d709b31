"""What the phone app (/app/) needs beyond the rest of the API: a delivery worker's open
dispatches with where to go and what to check, and a fill check that writes nothing. The app
itself — shell, service worker, manifest, the vendored decoder — is served from web/app."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlmodel import col, select

from ...db.tables.lifecycle import Customer, Delivery
from ...domain.checklists import checklist
from ...schemas.reports import FillCheckOut, OpenDelivery
from ...services import checking
from ..deps import Action, CurrentPrincipal, SessionDep, acts
from .deliveries import delivery_out, scoped_deliveries

router = APIRouter(prefix="/api/v1")
APP_DIR = Path(__file__).resolve().parents[2] / "web" / "app"


@router.get("/fill-check", dependencies=[acts(Action.FILL_CHECK)], tags=["filling"],
            response_model=FillCheckOut, response_model_exclude_unset=True)
def fill_check(session: SessionDep, principal: CurrentPrincipal,
               scan: Annotated[str, Query(min_length=1, max_length=512)],
               station_id: uuid.UUID | None = None) -> dict[str, Any]:
    """What `POST /fill-authorizations` would answer for this scan at this station (the
    caller's company's; its first station when none is named) — nothing is written, no
    authorization is opened. For station staff and delivery workers with the phone app."""
    return checking.fill_check(session, principal, scan, station_id)


@router.get("/deliveries/open", dependencies=[acts(Action.OPEN_DISPATCHES)], tags=["deliveries"],
            response_model=list[OpenDelivery])
def open_dispatches(session: SessionDep, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """A delivery worker's dispatches not yet confirmed, with the customer's name, address and
    masked phone (the worker needs them at the door; nothing more) and the safety checklist."""
    query = scoped_deliveries(principal, select(Delivery, Customer).join(
        Customer, col(Customer.id) == col(Delivery.customer_id)))
    query = query.where(col(Delivery.status) == "dispatched")
    rows = session.exec(query.order_by(col(Delivery.dispatched_at)).limit(200)).all()
    return [{**delivery_out(d).model_dump(mode="json"),
             "customer": {"name": cu.name, "address": cu.address, "phone": cu.phone_masked,
                          "kind": cu.kind},
             "checklist": [{"item": k, "zh": zh, "en": en}
                           for k, (zh, en) in checklist(cu.kind).items()]}
            for d, cu in rows]


pages = APIRouter(include_in_schema=False)


@pages.get("/app")
def app_root() -> Response:
    return RedirectResponse("/app/", status_code=308)


@pages.get("/app/")
def app_shell() -> FileResponse:
    return FileResponse(APP_DIR / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


@pages.get("/app/sw.js")
def service_worker() -> FileResponse:
    """At /app/ so that it controls /app/; always revalidated, so an update reaches phones."""
    return FileResponse(APP_DIR / "sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache"})


@pages.get("/app/manifest.webmanifest")
def manifest() -> FileResponse:
    return FileResponse(APP_DIR / "manifest.webmanifest", media_type="application/manifest+json")
