"""Routes the scanner appliance calls: fill authorizations (the hot path) and fill records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, NoReturn

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...db.tables.fills import Fill
from ...domain.errors import DomainError, Forbidden, NotAuthenticated
from ...domain.reasons import as_dict
from ...schemas.fills import FillAuthorizationOut, FillAuthorizationRequest, FillCreate, FillOut
from ...schemas.reports import UnregisteredScanOut
from ...services import filling
from ...services.authorizing import Authorizer, ScanRequest, key_hash
from ..deps import (
    Action,
    CurrentPrincipal,
    Principal,
    SessionDep,
    api_key_scheme,
    principal_for_api_key,
    require_allowed,
)
from ..idempotent import Answer, answered_once
from ..problems import problem_for

router = APIRouter(prefix="/api/v1", tags=["filling"])

_AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": FillAuthorizationOut,
          "description": "The decision: allow or deny (a deny is an answer, not an error)"},
}


def _no_station_key(request: Request, what: str) -> NoReturn:
    if request.headers.get("authorization"):  # a person's token: the row has no such role
        raise Forbidden(f"{what} by a station's appliance (X-API-Key)", reason="ROLE_NOT_ALLOWED")
    raise NotAuthenticated("Send the station's X-API-Key")


def station_principal(request: Request, session: SessionDep,
                      key: Annotated[str | None, Depends(api_key_scheme)]) -> Principal:
    """The calling station, for routes only its appliance calls (a person's token: 403)."""
    if not key:
        _no_station_key(request, "Fills are recorded")
    principal = principal_for_api_key(session, key)
    request.state.principal = principal
    return principal


def _station_acts(action: Action) -> Any:
    """``acts`` for the routes only a station key calls: the same row check, on the key alone
    (so the document declares the station key and no bearer)."""
    def _check(principal: Annotated[Principal, Depends(station_principal)]) -> Principal:
        require_allowed(principal, action)
        return principal

    _check.action = action  # type: ignore[attr-defined]
    return Depends(_check)


FILL_AUTHORIZATIONS = "/api/v1/fill-authorizations"
# FillAuthorizationRequest's fields and their max lengths, read from the model (one place)
_FIELDS = {name: next(m.max_length for m in field.metadata if hasattr(m, "max_length"))
           for name, field in FillAuthorizationRequest.model_fields.items()}
_JSON = (b"application/json", b"application/json; charset=utf-8")
_ASCII_SPACE = " \t\n\r\x0b\x0c"


async def fill_authorization_asgi(scope: Scope, receive: Receive, send: Send,
                                  app: ASGIApp) -> None:
    """POST /api/v1/fill-authorizations as a plain ASGI endpoint, ahead of FastAPI's router
    (front.py calls it): the scanner's hot path skips route matching, dependency solving and
    the request model, which cost more than the decision (docs/performance.md). Only a request
    of the usual shape is answered here: a station key, a JSON object whose fields are those of
    FillAuthorizationRequest, valid as it would validate them. Anything else goes, body and
    all, to the FastAPI route below, which answers it (422, 401, 403) as it always has; so
    does the OpenAPI description. The answer is the same either way: the same Authorizer, the
    key checked in the same statement, the same JSON."""
    key = content_type = None
    for name, value in scope["headers"]:  # the first of each, as Starlette's Headers.get
        if name == b"x-api-key" and key is None:
            key = value.decode("latin-1")
        elif name == b"content-type" and content_type is None:
            content_type = value.lower()
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    raw = b"".join(chunks)
    fields = _usual(raw) if key and content_type in _JSON else None
    if fields is None or key is None:
        replay: list[Message] = [{"type": "http.request", "body": raw, "more_body": False}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        await app(scope, replayed, send)
        return
    authorizer: Authorizer = scope["app"].state.authorizer
    answer = await authorizer.authorize(ScanRequest(key_hash(key), *fields))
    if answer is None:
        await problem_for(NotAuthenticated("The API key is unknown or revoked"))(
            scope, receive, send)
        return
    # the two messages JSONResponse would send, without building one per answer
    body = _json(answer)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), _JSON_TYPE]})
    await send({"type": "http.response.body", "body": body})


_JSON_TYPE = (b"content-type", b"application/json")


def _json(answer: dict[str, Any]) -> bytes:
    """The answer's JSON as both ways answer it: compact UTF-8, as Starlette's JSONResponse
    renders it, by orjson (20 times faster than the standard library's encoder here)."""
    return orjson.dumps(answer)


def _usual(raw: bytes) -> tuple[str, str | None, str | None] | None:
    """(scan, rfid, operator) as FillAuthorizationRequest would give them (stripped), or None
    for anything it might refuse or read otherwise."""
    try:  # (what orjson refuses and json would read, NaN or UTF-16, goes the long way)
        body = orjson.loads(raw)
    except ValueError:
        return None
    if type(body) is not dict or not body.keys() <= _FIELDS.keys():
        return None
    got: dict[str, str | None] = {}
    for name, limit in _FIELDS.items():
        value = body.get(name)
        if value is None:
            got[name] = None
            continue
        if type(value) is not str:
            return None
        value = value.strip(_ASCII_SPACE)
        if value != value.strip():  # other white space at an edge: the model strips it its way
            return None
        if len(value) > limit or (name == "operator" and not value):
            return None
        got[name] = value
    scan = got["scan"] or ""
    if not scan and not got["rfid"]:
        return None
    if "scan" in body and body["scan"] is None:  # the model's default is "", not null
        return None
    return scan, got["rfid"], got["operator"]


@router.post("/fill-authorizations", response_model=None, responses=_AUTH_RESPONSES)
async def authorize_fill(
    body: FillAuthorizationRequest,
    request: Request,
    x_api_key: Annotated[str | None, Depends(api_key_scheme)] = None,
) -> Response:
    """May this cylinder be filled here, now? Every answer, allow or deny, is recorded.

    Only a station's appliance asks (X-API-Key). The key is checked inside the same batched
    statement that reads the facts (same rule as everywhere: SHA-256 look-up, revoked refused).
    """
    if not x_api_key:
        _no_station_key(request, "Fill authorizations are asked")
    authorizer: Authorizer = request.app.state.authorizer
    answer = await authorizer.authorize(
        ScanRequest(key_hash(x_api_key), body.scan.strip(), body.rfid, body.operator)
    )
    if answer is None:
        raise NotAuthenticated("The API key is unknown or revoked")
    return Response(_json(answer), media_type="application/json")


@router.post("/fills",
             dependencies=[_station_acts(Action.RECORD_FILL)], status_code=201,
             response_model=FillOut,
             responses={409: {"description": "Used or expired authorization, or a failed "
                                             "pre-fill check (problem+json)"}})
def record_fill(
    body: FillCreate,
    session: SessionDep,
    principal: Annotated[Principal, Depends(station_principal)],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """The fill record: quotes the authorization; OVERFILL and MASS_MISMATCH are flagged.
    With an `Idempotency-Key`, a retry returns the first answer and never makes a second fill."""
    def write() -> Answer:
        outcome = filling.record_fill(session, principal, body)
        if isinstance(outcome, DomainError):  # a failed pre-fill check: refused, and kept
            return outcome.status, refusal_out(outcome)
        return 201, fill_out(*outcome)

    return answered_once(session, f"fill:{principal.station_id}", idempotency_key, body, write)


def fill_out(fill: Fill, code: str) -> dict[str, Any]:
    return {
        "id": str(fill.id),
        "authorization_id": str(fill.authorization_id),
        "cylinder_code": code,
        "station_id": str(fill.station_id),
        "operator_id": str(fill.operator_id) if fill.operator_id else None,
        "net_kg": fill.net_kg,
        "gross_kg": fill.gross_kg,
        "gas_batch": fill.gas_batch,
        "flags": [as_dict(f) for f in fill.flags],
        "filled_at": (fill.filled_at or datetime.now(UTC)).isoformat(),
    }


def refusal_out(err: DomainError) -> dict[str, Any]:
    """A refusal whose effects are kept, as the problem+json body it is answered with."""
    return {"type": f"/problems/{err.code.lower().replace('_', '-')}", "title": err.title_en,
            "title_zh": err.title_zh, "status": err.status, "detail": err.detail,
            "code": err.code, "failed_items": err.extra.get("failed_items", [])}


@router.get("/unregistered-scans", tags=["filling"], response_model=list[UnregisteredScanOut])
def unregistered_scans(session: SessionDep, principal: CurrentPrincipal,
                       limit: int = Query(default=100, ge=1, le=1000)) -> list[dict[str, Any]]:
    """Scans at stations that named no registered cylinder (forged, foreign or unknown labels),
    newest first: the stations of the caller's enterprise, or of a regulator's regions."""
    from sqlmodel import col, select

    from ...db.scope import visible
    from ...db.tables.accounts import Station
    from ...db.tables.fills import UnregisteredScan

    query = select(UnregisteredScan, Station).join(
        Station, col(Station.id) == col(UnregisteredScan.station_id)).where(
        visible(principal, col(Station.enterprise_id), col(Station.region_code)))
    rows = session.exec(query.order_by(col(UnregisteredScan.scanned_at).desc()).limit(limit))
    return [{"id": u.id, "station_id": str(s.id), "station": s.name, "scanned_at": u.scanned_at,
             "scan": u.scan, "rfid": u.rfid, "reason": u.reason, "detail": u.detail}
            for u, s in rows]
