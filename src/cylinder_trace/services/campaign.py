"""Campaign progress (专项整治进度): each company and district against the stock the region
declared (底数) — registered, tagged, inspected in date, two-phase cylinders left, smart valves,
door-step checks in the month — ranked monthly (每月排名通报), within the caller's scope."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from ..config import get_settings
from ..db.scope import visible_sql
from ..db.tables.accounts import Enterprise
from ..db.tables.supervision import StockDeclaration
from ..domain import campaign as rules
from ..domain.access import Action
from ..domain.cells import csv_row
from ..domain.errors import Invalid, NotFound
from ..domain.identifiers import is_valid_region_code
from ..domain.principal import Principal, require_allowed
from . import audit, registry

PROGRESS_SQL = """
WITH c AS (
  SELECT owner_enterprise_id AS eid, region_code,
    count(*) AS registered,
    count(*) FILTER (WHERE rfid IS NOT NULL) AS tagged,
    count(*) FILTER (WHERE next_inspection_due >= :today
                     AND coalesce(last_inspection_result, '') <> 'fail') AS inspected,
    count(*) FILTER (WHERE valve_type = 'two_phase') AS two_phase_left,
    count(*) FILTER (WHERE smart_valve_id IS NOT NULL) AS smart_valves
  FROM cylinder WHERE status <> 'scrapped' AND created_at < :until AND {c_scope}
  GROUP BY 1, 2),
d AS (
  SELECT DISTINCT ON (enterprise_id, region_code) enterprise_id AS eid, region_code,
         declared_stock
  FROM stock_declaration WHERE created_at < :until AND {d_scope}
  ORDER BY enterprise_id, region_code, created_at DESC),
k AS (
  SELECT dl.enterprise_id AS eid, cu.region_code, count(*) AS door_checks
  FROM delivery dl JOIN customer cu ON cu.id = dl.customer_id
  WHERE dl.status = 'delivered' AND dl.safety_check IS NOT NULL
    AND dl.delivered_at >= :since AND dl.delivered_at < :until AND {k_scope}
  GROUP BY 1, 2)
SELECT e.id::text AS eid, e.name, coalesce(c.region_code, d.region_code) AS region_code,
       d.declared_stock, coalesce(c.registered, 0) AS registered,
       coalesce(c.tagged, 0) AS tagged, coalesce(c.inspected, 0) AS inspected,
       coalesce(c.two_phase_left, 0) AS two_phase_left,
       coalesce(c.smart_valves, 0) AS smart_valves, coalesce(k.door_checks, 0) AS door_checks
FROM c FULL JOIN d ON d.eid = c.eid AND d.region_code = c.region_code
JOIN enterprise e ON e.id = coalesce(c.eid, d.eid)
LEFT JOIN k ON k.eid = e.id AND k.region_code = coalesce(c.region_code, d.region_code)
"""


def month_bounds(month: str | None) -> tuple[date, datetime, datetime]:
    """The month asked for (YYYY-MM, this month when absent): its first day and its bounds as
    instants in the configured time zone; a month that has not ended ends now."""
    zone = ZoneInfo(get_settings().timezone)
    today = registry.today()
    try:
        first = date.fromisoformat(f"{month}-01") if month else today.replace(day=1)
    except ValueError as exc:
        raise Invalid("month is YYYY-MM", reason="BAD_MONTH") from exc
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    if first > today:
        raise Invalid("That month has not begun", reason="BAD_MONTH")
    since = datetime.combine(first, time.min, zone)
    until = min(datetime.combine(nxt, time.min, zone), datetime.now(UTC))
    return first, since, until


def progress(session: Session, principal: Principal,
             month: str | None = None) -> tuple[date, list[rules.Progress]]:
    first, since, until = month_bounds(month)
    scopes, params = {}, {}
    for name, region_col, enterprise_col in (("c_scope", "region_code", "owner_enterprise_id"),
                                             ("d_scope", "region_code", "enterprise_id"),
                                             ("k_scope", "cu.region_code", "dl.enterprise_id")):
        scopes[name], p = visible_sql(principal, enterprise_col, region_col, name=name)
        params.update(p)
    # the month's end (or today) is the day inspections are judged on
    judged = min(registry.today(), until.astimezone(ZoneInfo(get_settings().timezone)).date())
    params.update({"today": judged, "since": since, "until": until})
    rows = session.execute(text(PROGRESS_SQL.format(**scopes)), params).mappings().all()
    return first, rules.ranked([rules.Progress(
        enterprise_id=r["eid"], enterprise_name=r["name"], region_code=r["region_code"],
        declared=r["declared_stock"], registered=r["registered"], tagged=r["tagged"],
        inspected=r["inspected"], two_phase_left=r["two_phase_left"],
        smart_valves=r["smart_valves"], door_checks=r["door_checks"]) for r in rows])


def declare(session: Session, principal: Principal, enterprise_id: uuid.UUID, region_code: str,
            declared_stock: int, declared_on: date | None = None) -> StockDeclaration:
    """A regulator over the district (or the platform) declares a company's stock there."""
    require_allowed(principal, Action.DECLARE_STOCK)
    if not is_valid_region_code(region_code) or declared_stock < 0:
        raise Invalid("A six-digit district and a count of zero or more", reason="BAD_STOCK")
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound("No such enterprise")
    principal.require_sees(None, region_code)
    row = StockDeclaration(enterprise_id=enterprise.id, region_code=region_code,
                           declared_stock=declared_stock,
                           declared_on=declared_on or registry.today(), actor=principal.actor)
    session.add(row)
    audit.record(session, principal, "campaign.declare_stock", "enterprise", enterprise.id,
                 enterprise_id=enterprise.id, region_code=region_code,
                 after={"declared_stock": declared_stock, "declared_on": row.declared_on})
    session.flush()
    session.refresh(row)
    return row


COLUMNS = ("rank", "enterprise", "region_code", "declared", "registered", "registered_pct",
           "tagged", "inspected", "two_phase_left", "smart_valves", "door_checks")


def as_row(p: rules.Progress) -> dict[str, Any]:
    ratio = p.registered_ratio
    return {"rank": p.rank, "enterprise": p.enterprise_name, "region_code": p.region_code,
            "declared": p.declared, "registered": p.registered,
            "registered_pct": None if ratio is None else round(100 * ratio, 1),
            "tagged": p.tagged, "inspected": p.inspected, "two_phase_left": p.two_phase_left,
            "smart_valves": p.smart_valves, "door_checks": p.door_checks,
            "enterprise_id": p.enterprise_id}


def as_csv(rows: list[rules.Progress]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for p in rows:
        r = as_row(p)
        # company names come from the companies: never let a cell start a spreadsheet formula
        writer.writerow(csv_row(r[c] for c in COLUMNS))
    return "\ufeff" + out.getvalue()
