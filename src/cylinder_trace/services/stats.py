"""Statistics for regulators and companies: cylinders by state, fills and refusals per day, the
top refusal reasons — always within the caller's scope."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from ..auth import ENTERPRISE_ROLES, Principal, Role
from ..domain.identifiers import region_prefix

Rows = list[dict[str, Any]]


def _scope(principal: Principal, region_col: str,
           enterprise_col: str) -> tuple[str, dict[str, Any]]:
    if principal.role == Role.PLATFORM_ADMIN:
        return "true", {}
    if principal.role in ENTERPRISE_ROLES:
        return f"{enterprise_col} = :scope_e", {"scope_e": principal.enterprise_id}
    prefixes = [region_prefix(r) + "%" for r in principal.region_codes]
    if not prefixes:
        return "false", {}
    return f"{region_col} LIKE ANY(:scope_r)", {"scope_r": prefixes}


def cylinders(session: Session, principal: Principal, today: date,
              region: str | None = None) -> dict[str, Any]:
    where, params = _scope(principal, "c.region_code", "c.owner_enterprise_id")
    if region:
        where += " AND c.region_code LIKE :region"
        params["region"] = region_prefix(region) + "%"
    params.update(today=today, soon=today + timedelta(days=30))
    rows = session.execute(text(f"""
        SELECT c.owner_enterprise_id, e.name, count(*) AS total,
          count(*) FILTER (WHERE c.status = 'active' AND NOT c.seized AND NOT c.recalled
                             AND c.next_inspection_due >= :today
                             AND c.last_inspection_result IS DISTINCT FROM 'fail') AS in_service,
          count(*) FILTER (WHERE c.status = 'active' AND c.next_inspection_due < :today)
            AS overdue,
          count(*) FILTER (WHERE c.status = 'active' AND c.next_inspection_due >= :today
                             AND c.next_inspection_due <= :soon) AS due_30_days,
          count(*) FILTER (WHERE c.status = 'active' AND c.last_inspection_result = 'fail')
            AS failed,
          count(*) FILTER (WHERE c.recalled AND c.status = 'active') AS recalled,
          count(*) FILTER (WHERE c.seized AND c.status = 'active') AS seized,
          count(*) FILTER (WHERE c.status = 'scrapped') AS scrapped
        FROM cylinder c JOIN enterprise e ON e.id = c.owner_enterprise_id
        WHERE {where} GROUP BY 1, 2 ORDER BY 3 DESC"""), params).mappings().all()  # noqa: S608
    keys = ("total", "in_service", "overdue", "due_30_days", "failed", "recalled", "seized",
            "scrapped")
    totals = {k: sum(int(r[k]) for r in rows) for k in keys}
    return {"totals": totals, "by_enterprise": [
        {"enterprise_id": str(r["owner_enterprise_id"]), "name": r["name"],
         **{k: int(r[k]) for k in keys}} for r in rows]}


def fills_per_day(session: Session, principal: Principal, today: date, days: int) -> Rows:
    where, params = _scope(principal, "s.region_code", "s.enterprise_id")
    params.update(since=today - timedelta(days=days - 1))
    rows = session.execute(text(f"""
        SELECT (ev.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS day,
          count(*) FILTER (WHERE ev.kind = 'filled') AS fills,
          count(*) FILTER (WHERE ev.kind = 'fill_denied') AS denied
        FROM cylinder_event ev JOIN station s ON s.id = ev.station_id
        WHERE ev.kind IN ('filled', 'fill_denied') AND ev.occurred_at >= :since AND {where}
        GROUP BY 1 ORDER BY 1"""), params).mappings().all()  # noqa: S608
    return [{"day": r["day"].isoformat(), "fills": r["fills"], "denied": r["denied"]}
            for r in rows]


def deny_reasons(session: Session, principal: Principal, today: date, days: int) -> Rows:
    where, params = _scope(principal, "s.region_code", "s.enterprise_id")
    params.update(since=today - timedelta(days=days - 1))
    rows = session.execute(text(f"""
        SELECT reason, count(*) AS n
        FROM cylinder_event ev JOIN station s ON s.id = ev.station_id,
             jsonb_array_elements_text(ev.payload -> 'reasons') AS reason
        WHERE ev.kind = 'fill_denied' AND ev.occurred_at >= :since AND {where}
        GROUP BY 1 ORDER BY 2 DESC LIMIT 20"""), params).all()  # noqa: S608
    from ..domain.reasons import MESSAGES

    return [{"code": code, "count": n, "message_zh": MESSAGES.get(code, ("", ""))[0],
             "message_en": MESSAGES.get(code, ("", ""))[1]} for code, n in rows]
