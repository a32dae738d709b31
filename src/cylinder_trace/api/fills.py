"""Routes the scanner appliance calls: fill authorizations (the hot path) and fill records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from ..auth import Action, CurrentPrincipal, acts
from ..db import SessionDep
from ..errors import PROBLEM_JSON, Forbidden, NotAuthenticated
from ..schemas_fills import FillAuthorizationOut, FillAuthorizationRequest, FillCreate, FillOut
from ..services import filling
from ..services.authorizing import Authorizer, ScanRequest, key_hash

router = APIRouter(prefix="/api/v1", tags=["filling"])

_AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": FillAuthorizationOut,
          "description": "The decision: allow or deny (a deny is an answer, not an error)"},
}


@router.post("/fill-authorizations", response_model=None, responses=_AUTH_RESPONSES)
async def authorize_fill(
    body: FillAuthorizationRequest,
    request: Request,
    x_api_key: Annotated[str | None, Header()] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """May this cylinder be filled here, now? Every answer, allow or deny, is recorded.

    Only a station's appliance asks (X-API-Key). The key is checked inside the same batched
    statement that reads the facts (same rule as everywhere: SHA-256 look-up, revoked refused).
    """
    if not x_api_key:
        if authorization:
            raise Forbidden("Fill authorizations are asked by a station's appliance (X-API-Key)")
        raise NotAuthenticated("Send the station's X-API-Key")
    authorizer: Authorizer = request.app.state.authorizer
    answer = await authorizer.authorize(
        ScanRequest(key_hash(x_api_key), body.scan.strip(), body.rfid, body.operator)
    )
    if answer is None:
        raise NotAuthenticated("The API key is unknown or revoked")
    return JSONResponse(answer)


@router.post("/fills",
             dependencies=[acts(Action.RECORD_FILL)], status_code=201, response_model=FillOut,
             responses={409: {"description": "Used or expired authorization, or a failed "
                                             "pre-fill check (problem+json)"}})
def record_fill(
    body: FillCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """The fill record: quotes the authorization; OVERFILL and MASS_MISMATCH are flagged.
    With an `Idempotency-Key`, a retry returns the first answer and never makes a second fill."""
    status, answer = filling.record_fill(session, principal, body, idempotency_key)
    session.commit()
    media = PROBLEM_JSON if status >= 400 else "application/json"
    return JSONResponse(answer, status_code=status, media_type=media)


@router.get("/unregistered-scans", tags=["filling"])
def unregistered_scans(session: SessionDep, principal: CurrentPrincipal,
                       limit: int = Query(default=100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Scans at stations that named no registered cylinder (forged, foreign or unknown labels),
    newest first: the stations of the caller's enterprise, or of a regulator's regions."""
    from sqlmodel import col, select

    from ..models import Station, UnregisteredScan
    from ..scope import visible

    query = select(UnregisteredScan, Station).join(
        Station, col(Station.id) == col(UnregisteredScan.station_id)).where(
        visible(principal, col(Station.enterprise_id), col(Station.region_code)))
    rows = session.exec(query.order_by(col(UnregisteredScan.scanned_at).desc()).limit(limit))
    return [{"id": u.id, "station_id": str(s.id), "station": s.name, "scanned_at": u.scanned_at,
             "scan": u.scan, "rfid": u.rfid, "reason": u.reason, "detail": u.detail}
            for u, s in rows]
