"""Statistics for regulators and companies: cylinders by state, fills and refusals per day, the
top refusal reasons — always within the caller's scope.

They read the summary tables of migration 0007 (tally + not yet compacted deltas), never the
cylinder or event tables: a province-sized data set answers in milliseconds."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ..db.scope import visible_sql
from ..domain.identifiers import region_prefix
from ..domain.principal import Principal

Rows = list[dict[str, Any]]


def scope_sql(principal: Principal, region_col: str,
              enterprise_col: str) -> tuple[str, dict[str, Any]]:
    """What the caller may see over the named columns (scope.visible_sql, argument order of
    the callers that predate it)."""
    return visible_sql(principal, enterprise_col, region_col)


def cylinders(session: Session, principal: Principal, today: date,
              region: str | None = None,
              enterprise_id: uuid.UUID | None = None) -> dict[str, Any]:
    where, params = visible_sql(principal, "c.owner_enterprise_id", "c.region_code")
    if enterprise_id is not None:
        where += " AND c.owner_enterprise_id = :one_e"
        params["one_e"] = enterprise_id
    if region:
        where += " AND c.region_code LIKE :region"
        params["region"] = region_prefix(region) + "%"
    params.update(today=today, soon=today + timedelta(days=30))
    rows = session.execute(text(f"""
        SELECT c.owner_enterprise_id, e.name, sum(n) AS total,
          sum(n) FILTER (WHERE c.status = 'active' AND NOT c.seized AND NOT c.recalled
                         AND c.due >= :today AND NOT c.failed) AS in_service,
          sum(n) FILTER (WHERE c.status = 'active' AND c.due < :today) AS overdue,
          sum(n) FILTER (WHERE c.status = 'active' AND c.due >= :today AND c.due <= :soon)
            AS due_30_days,
          sum(n) FILTER (WHERE c.status = 'active' AND c.failed) AS failed,
          sum(n) FILTER (WHERE c.recalled AND c.status = 'active') AS recalled,
          sum(n) FILTER (WHERE c.seized AND c.status = 'active') AS seized,
          sum(n) FILTER (WHERE c.status = 'scrapped') AS scrapped
        FROM (SELECT * FROM stat_cylinder UNION ALL SELECT * FROM stat_cylinder_delta) c
        JOIN enterprise e ON e.id = c.owner_enterprise_id
        WHERE {where} GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 3 DESC"""),  # noqa: S608
        params).mappings().all()
    keys = ("total", "in_service", "overdue", "due_30_days", "failed", "recalled", "seized",
            "scrapped")
    totals = {k: sum(int(r[k] or 0) for r in rows) for k in keys}
    return {"totals": totals, "by_enterprise": [
        {"enterprise_id": str(r["owner_enterprise_id"]), "name": r["name"],
         **{k: int(r[k] or 0) for k in keys}} for r in rows]}


def fills_per_day(session: Session, principal: Principal, today: date, days: int) -> Rows:
    where, params = visible_sql(principal, "f.enterprise_id", "f.region_code")
    params.update(since=today - timedelta(days=days - 1))
    rows = session.execute(text(f"""
        SELECT f.day, coalesce(sum(n) FILTER (WHERE f.kind = 'filled'), 0) AS fills,
          coalesce(sum(n) FILTER (WHERE f.kind = 'fill_denied'), 0) AS denied
        FROM (SELECT * FROM stat_fill UNION ALL SELECT * FROM stat_fill_delta) f
        WHERE f.kind IN ('filled', 'fill_denied') AND f.day >= :since AND {where}
        GROUP BY 1 ORDER BY 1"""), params).mappings().all()  # noqa: S608
    return [{"day": r["day"].isoformat(), "fills": int(r["fills"]), "denied": int(r["denied"])}
            for r in rows]


def deny_reasons(session: Session, principal: Principal, today: date, days: int) -> Rows:
    where, params = visible_sql(principal, "f.enterprise_id", "f.region_code")
    params.update(since=today - timedelta(days=days - 1))
    rows = session.execute(text(f"""
        SELECT f.reason, sum(n) AS n
        FROM (SELECT * FROM stat_fill UNION ALL SELECT * FROM stat_fill_delta) f
        WHERE f.kind = 'reason' AND f.day >= :since AND {where}
        GROUP BY 1 HAVING sum(n) > 0 ORDER BY 2 DESC, 1 LIMIT 20"""),  # noqa: S608
        params).all()
    from ..domain.reasons import MESSAGES

    return [{"code": code, "count": int(n), "message_zh": MESSAGES.get(code, ("", ""))[0],
             "message_en": MESSAGES.get(code, ("", ""))[1]} for code, n in rows]


def compact(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Fold the delta rows into the tallies (the compact_stats job; any time is safe)."""
    return {"folded": int(session.execute(text("SELECT ct_compact_stats()")).scalar_one())}
