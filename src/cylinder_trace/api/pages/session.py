"""Server-rendered pages for regulators and companies (a first part of #7): cookie login with
CSRF protection, the dashboard, the feed of refused fills. Same accounts and access rules."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import text

from ...config import get_settings
from ...db.secrets import root_secret
from ...domain.errors import DomainError, Forbidden
from ...domain.reasons import MESSAGES
from ...services import registry, sessions, stats
from ..deps import Principal, SessionDep, principal_for_token
from .public import local, templates

router = APIRouter(include_in_schema=False)
COOKIE = "ct_session"


def csrf_token(session_token: str) -> str:
    """Bound to the session: a form from another site cannot know it."""
    key = root_secret(get_settings()).encode()
    return hmac.new(key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()[:32]


def page_principal(session: SessionDep, token: str | None) -> Principal | None:
    if not token:
        return None
    try:
        return principal_for_token(session, token)
    except DomainError:
        return None


def signed_in(session: SessionDep, token: str | None,
              render: Callable[[Principal, str], Response]) -> Response:
    """A page for a signed-in caller: render(principal, csrf token), else to the login page."""
    principal = page_principal(session, token)
    if principal is None or token is None:
        return RedirectResponse("/login", status_code=303)
    return render(principal, csrf_token(token))


def not_found_page(request: Request, csrf: str, err: DomainError) -> Response:
    """What a signed-in page shows for a record that is not there or not in the caller's scope."""
    return templates.TemplateResponse(request, "not_found.html", {
        "csrf": csrf, "detail": str(err)}, status_code=404)


def form_post(session: SessionDep, token: str | None, csrf: str, back: str,
              act: Callable[[Principal], object]) -> Response:
    """A signed-in page's form: the CSRF token must be the session's; the service's refusal
    comes back to the page (``?error=``) with nothing written, success to the page itself."""
    def render(principal: Principal, expected: str) -> Response:
        if not hmac.compare_digest(csrf, expected):
            raise Forbidden("The form is stale; open the page again")
        try:
            act(principal)
        except DomainError as exc:
            session.rollback()
            return RedirectResponse(f"{back}?error={quote(exc.detail)}", status_code=303)
        return RedirectResponse(back, status_code=303)
    return signed_in(session, token, render)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, error: str | None = None) -> HTMLResponse:
    return templates.TemplateResponse(request, "login.html", {"error": error})


@router.post("/login")
def login(session: SessionDep, username: Annotated[str, Form(max_length=150)],
          password: Annotated[str, Form(max_length=200)], request: Request) -> Response:
    try:
        token = sessions.login(session, username, password)
    except DomainError:  # the failed-login count is committed by check_password
        return templates.TemplateResponse(request, "login.html", {"error": True},
                                          status_code=401)
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https",  # behind TLS (proxy headers)
                        max_age=get_settings().token_ttl_minutes * 60)
    return response


@router.post("/logout")
def logout(session: SessionDep, csrf: Annotated[str, Form(max_length=64)],
           ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    """Ends the session on the server, not only in this browser: a copied cookie is refused."""
    response = RedirectResponse("/login", status_code=303)
    if ct_session and hmac.compare_digest(csrf, csrf_token(ct_session)):
        principal = page_principal(session, ct_session)
        if principal is not None:
            sessions.logout(session, principal)
        response.delete_cookie(COOKIE)
    return response


def _bars(days: list[dict[str, Any]], today: date, n: int = 30) -> dict[str, Any]:
    """An SVG bar chart drawn on the server: fills (green) and refusals (red) for each of the
    last n days, days without any included, so the bars keep their width."""
    by_day = {d["day"]: d for d in days}
    series = []
    for i in range(n - 1, -1, -1):
        day = (today - timedelta(days=i)).isoformat()
        series.append(by_day.get(day, {"day": day, "fills": 0, "denied": 0}))
    top = max([1] + [d["fills"] + d["denied"] for d in series])
    bars = []
    for i, d in enumerate(series):
        fh, dh = 120 * d["fills"] / top, 120 * d["denied"] / top
        bars.append({"x": i * 14, "fy": 130 - fh, "fh": fh, "dy": 130 - fh - dh, "dh": dh,
                     "label": f"{d['day']}: {d['fills']} / {d['denied']}"})
    return {"width": n * 14, "bars": bars, "top": top, "first": series[0]["day"],
            "last": series[-1]["day"]}


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep,
              ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    def render(principal: Principal, csrf: str) -> Response:
        today = registry.today()
        days = stats.fills_per_day(session, principal, today, 30)
        return templates.TemplateResponse(request, "dashboard.html", {
            "who": principal.username, "role": principal.role.value,
            "cylinders": stats.cylinders(session, principal, today),
            "chart": _bars(days, today), "days": days,
            "reasons": stats.deny_reasons(session, principal, today, 30),
            "feed": denied_feed(session, principal, None, 20), "csrf": csrf})
    return signed_in(session, ct_session, render)


def denied_feed(session: SessionDep, principal: Principal, reason: str | None,
                limit: int) -> list[dict[str, Any]]:
    """Refused fill attempts, newest first: who (station), which cylinder, why."""
    where, params = stats.scope_sql(principal, "s.region_code", "s.enterprise_id")
    params["n"] = limit
    if reason:
        where += " AND ev.payload -> 'reasons' ? :reason"
        params["reason"] = reason
    # `where` is built from constant fragments only; the values travel as parameters
    select = ("SELECT ev.occurred_at, s.name AS station, c.code, ev.payload -> 'reasons' AS "
              "reasons FROM cylinder_event ev JOIN station s ON s.id = ev.station_id "
              "JOIN cylinder c ON c.id = ev.cylinder_id WHERE ev.kind = 'fill_denied' AND ")
    sql = select + where + " ORDER BY ev.occurred_at DESC LIMIT :n"
    rows = [dict(r) for r in session.execute(text(sql), params).mappings().all()]
    if reason in (None, "UNREGISTERED"):
        rows = sorted(rows + _unregistered(session, principal, limit),
                      key=lambda r: r["occurred_at"], reverse=True)[:limit]
    return [{"at": local(r["occurred_at"]), "station": r["station"], "code": r["code"],
             "registered": r.get("registered", True),
             "reasons": [{"code": x, "zh": MESSAGES.get(x, ("", ""))[0]}
                         for x in (r["reasons"] or [])]} for r in rows]


def _unregistered(session: SessionDep, principal: Principal, limit: int) -> list[dict[str, Any]]:
    """Refused scans that named no registered cylinder (a never-issued or forged code): kept
    apart from the events, since no cylinder has them, but refusals all the same."""
    where, params = stats.scope_sql(principal, "s.region_code", "s.enterprise_id")
    params["n"] = limit
    sql = ("SELECT u.scanned_at AS occurred_at, s.name AS station, left(u.scan, 80) AS code, "
           "jsonb_build_array(u.reason) AS reasons, false AS registered "
           "FROM unregistered_scan u JOIN station s ON s.id = u.station_id WHERE "
           + where + " ORDER BY u.scanned_at DESC LIMIT :n")
    return [dict(r) for r in session.execute(text(sql), params).mappings().all()]


@router.get("/feed", response_class=HTMLResponse)
def feed(request: Request, session: SessionDep, reason: str | None = None,
         ct_session: Annotated[str | None, Cookie()] = None) -> Response:
    known = reason if reason in MESSAGES else None

    def render(principal: Principal, csrf: str) -> Response:
        return templates.TemplateResponse(request, "feed.html", {
            "feed": denied_feed(session, principal, known, 200), "reason": known,
            "reasons": sorted(k for k in MESSAGES if k.isupper()), "csrf": csrf})
    return signed_in(session, ct_session, render)
