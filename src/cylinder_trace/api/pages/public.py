"""The public cylinder page at the QR label's URL: a safety summary, no login, no personal data."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ...config import get_settings
from ...db.tables.accounts import Enterprise, Station
from ...domain import codes
from ...domain.models_spec import add_years, design_life_years, max_life_years
from ...domain.status import STATUS_TEXT
from ...services import registry
from ..deps import SessionDep

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))


def local(at: datetime) -> datetime:
    """A time as the people reading the page count it (the configured zone, Asia/Shanghai):
    a fill at 07:00 in Chongqing is on the 2nd there, though still the 1st in UTC."""
    return at.astimezone(ZoneInfo(get_settings().timezone))


# Every date or time a page shows goes through one of these (never strftime on a UTC value).
templates.env.filters["local_date"] = lambda at: local(at).strftime("%Y-%m-%d") if at else ""
templates.env.filters["local_minute"] = \
    lambda at: local(at).strftime("%Y-%m-%d %H:%M") if at else ""

# A label whose signature fails is one state, whatever the cylinder it names: the cylinder may
# be fine, the label on it is not (a copy, or a forgery), so nobody may rely on it.
SUSPECT = ("标签可疑·请勿使用", "Suspect label, do not use")

_FORGED = ("标签签名无法验证：可能是伪造标签。",
           "The label's signature does not verify: it may be forged.")
_WHY = {
    codes.ScanError.BAD_CHECK_CHARACTER: (
        "编码校验位错误：标签有误或被篡改。",
        "The code's check character is wrong: a bad or altered label.",
    ),
    codes.ScanError.BAD_SIGNATURE: _FORGED,
    codes.ScanError.UNKNOWN_KEY: _FORGED,
}
_UNKNOWN = ("该编码没有登记在案。", "No cylinder is registered under this code.")


def _unknown(request: Request, why: tuple[str, str], scanned: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "public_unknown.html",
        {"why_zh": why[0], "why_en": why[1], "report_phone": get_settings().report_phone,
         "scanned": scanned[:200]},
        status_code=404,
    )


def _page(request: Request, session: SessionDep, code: str, signature: str | None) -> HTMLResponse:
    text = code if signature is None else f"{code}/{signature}"
    parsed = registry.parse(text)
    if parsed.code is None or parsed.error == codes.ScanError.BAD_CHECK_CHARACTER:
        return _unknown(request, _WHY.get(parsed.error, _UNKNOWN) if parsed.error else _UNKNOWN,
                        text)
    cylinder = registry.find_by_parsed(session, parsed)
    if cylinder is None:
        return _unknown(request, _UNKNOWN, text)
    status = registry.status_of(cylinder)
    zh, en, colour = STATUS_TEXT[status]
    sig_state = "none" if signature is None else ("ok" if parsed.signed else "bad")
    shown = "suspect" if sig_state == "bad" else status.value
    if sig_state == "bad":
        zh, en, colour = *SUSPECT, "red"
    owner = session.get(Enterprise, cylinder.owner_enterprise_id)
    station = (session.get(Station, cylinder.last_fill_station_id)
               if cylinder.last_fill_station_id else None)
    life_years = min(design_life_years(cylinder.manufacture_date, cylinder.design_life_years),
                     max_life_years(cylinder.manufacture_date))
    life_ends = add_years(cylinder.manufacture_date, life_years)
    return templates.TemplateResponse(request, "public_cylinder.html", {
        "c": cylinder,
        "status": shown, "status_zh": zh, "status_en": en, "colour": colour,
        "signature": sig_state,
        "owner_name": owner.name if owner else "—",
        "station_name": station.name if station else None,
        "last_fill": cylinder.last_fill_at,
        "life_ends": life_ends.isoformat(),
        "report_phone": get_settings().report_phone,
        "complaint_phone": owner.complaint_phone if owner else None,
        "emergency_phone": owner.emergency_phone if owner else None,
    })


@router.get("/c/{code}", response_class=HTMLResponse)
@router.get("/C/{code}", response_class=HTMLResponse)
def public_page(code: str, request: Request, session: SessionDep) -> HTMLResponse:
    return _page(request, session, code, None)


@router.get("/c/{code}/{signature}", response_class=HTMLResponse)
@router.get("/C/{code}/{signature}", response_class=HTMLResponse)
def public_page_signed(
    code: str, signature: str, request: Request, session: SessionDep
) -> HTMLResponse:
    return _page(request, session, code, signature)
