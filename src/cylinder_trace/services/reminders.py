"""The scheduled reminders and sweeps: each a function of (session, now) returning what it did.

Digests are one notification per enterprise (or region) and day: running a job twice on one
day writes nothing new (the outbox's (kind, dedupe_key) is unique).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

from ..config import get_settings
from ..domain import models_spec
from ..domain.policy import RegionPolicy, policy_for
from .events import ensure_partitions
from .notifications import notify


def local_day(now: datetime) -> date:
    return now.astimezone(ZoneInfo(get_settings().timezone)).date()


def _digest(session: Session, kind: str, now: datetime, rows: list[Any], title_zh: str,
            title_en: str) -> int:
    """One notification per enterprise for the rows grouped by their first column."""
    by_enterprise: dict[Any, list[dict[str, Any]]] = {}
    regions: dict[Any, str] = {}
    for row in rows:
        eid, region, *rest = row
        regions[eid] = region
        by_enterprise.setdefault(eid, []).append(dict(zip(row._fields[2:], rest, strict=True)))
    written = 0
    day = local_day(now)
    for eid, items in by_enterprise.items():
        written += notify(session, kind, f"{eid}:{day}", enterprise_id=eid,
                          region_code=regions[eid], title_zh=f"{title_zh}（{len(items)}）",
                          title_en=f"{title_en} ({len(items)})",
                          payload={"day": day.isoformat(), "count": len(items),
                                   "items": items[:500]}, now=now)
    return written


def _widest(window: str) -> int:
    """The longest warning window any region uses (the query's bound; rows are then kept by
    their own region's window)."""
    policies = get_settings().region_policies
    return max(getattr(p, window) for p in
               [RegionPolicy(), *(policy_for(prefix, policies) for prefix in policies)])


def _in_window(rows: list[Any], day: date, column: str, window: str) -> list[Any]:
    """The rows whose date (``column``, ISO text) falls within their region's window."""
    policies = get_settings().region_policies
    return [r for r in rows if date.fromisoformat(getattr(r, column)) <= day + timedelta(
        days=getattr(policy_for(r.region_code, policies), window))]


def inspection_digest(session: Session, now: datetime) -> dict[str, Any]:
    """Overdue and due within the region's window (30 days by default), per enterprise,
    daily."""
    day = local_day(now)
    rows = session.execute(text(
        "SELECT owner_enterprise_id AS enterprise_id, region_code, code, "
        "next_inspection_due::text AS due, next_inspection_due < :day AS overdue "
        "FROM cylinder WHERE status = 'active' AND next_inspection_due <= :until "
        "ORDER BY owner_enterprise_id, next_inspection_due"),
        {"day": day, "until": day + timedelta(days=_widest("due_soon_days"))}).all()
    rows = _in_window(list(rows), day, "due", "due_soon_days")
    n = _digest(session, "inspection_due", now, rows, "气瓶检验到期提醒",
                "Cylinder inspections overdue or due soon")
    return {"cylinders": len(rows), "notifications": n}


def service_life_digest(session: Session, now: datetime) -> dict[str, Any]:
    """Design service life ending within the region's window (90 days by default). The design
    life is the recorded one, else the standard's by manufacture date (models_spec: 8 years
    from GB 5842-2006, 15 before)."""
    day = local_day(now)
    rows = session.execute(text(
        "SELECT owner_enterprise_id AS enterprise_id, region_code, code, ends::text AS ends "
        "FROM (SELECT *, (manufacture_date + make_interval(years => coalesce(design_life_years, "
        "CASE WHEN manufacture_date >= :std_from THEN :life ELSE :life_before END)))::date "
        "AS ends FROM cylinder WHERE status = 'active') c "
        "WHERE ends >= :day AND ends <= :until ORDER BY owner_enterprise_id, ends"),
        {"day": day, "until": day + timedelta(days=_widest("life_ending_days")),
         "std_from": models_spec.GB5842_2006_FROM, "life": models_spec.DESIGN_LIFE_YEARS,
         "life_before": models_spec.DESIGN_LIFE_YEARS_BEFORE}).all()
    rows = _in_window(list(rows), day, "ends", "life_ending_days")
    n = _digest(session, "service_life_ending", now, rows, "气瓶设计使用年限即将到期",
                "Cylinder service life ending")
    return {"cylinders": len(rows), "notifications": n}


def credentials_digest(session: Session, now: datetime) -> dict[str, Any]:
    """Licences, operator and worker certificates, vehicle permits expiring or expired."""
    day = local_day(now)
    until = day + timedelta(days=get_settings().expiry_warning_days)
    rows = session.execute(text(
        "SELECT e.id AS enterprise_id, e.region_code, 'filling_licence' AS what, "
        "e.filling_licence_number AS number, e.filling_licence_valid_until::text AS valid_until "
        "FROM enterprise e WHERE e.filling_licence_valid_until <= :until "
        "UNION ALL SELECT e.id, e.region_code, 'operating_licence', e.operating_licence_number, "
        "e.operating_licence_valid_until::text FROM enterprise e "
        "WHERE e.operating_licence_valid_until <= :until "
        "UNION ALL SELECT s.enterprise_id, s.region_code, 'station_licence:' || s.name, "
        "s.filling_licence_number, s.filling_licence_valid_until::text FROM station s "
        "WHERE s.filling_licence_valid_until <= :until "
        "UNION ALL SELECT u.enterprise_id, e.region_code, 'certificate:' || u.username, "
        "u.certificate_number, u.certificate_valid_until::text FROM app_user u "
        "JOIN enterprise e ON e.id = u.enterprise_id WHERE u.active "
        "AND u.certificate_valid_until <= :until "
        "UNION ALL SELECT v.enterprise_id, e.region_code, 'vehicle_permit:' || v.plate, "
        "v.permit_number, v.permit_valid_until::text FROM vehicle v "
        "JOIN enterprise e ON e.id = v.enterprise_id WHERE v.permit_valid_until <= :until "
        "ORDER BY 1, 5"), {"until": until}).all()
    n = _digest(session, "credentials_expiring", now, list(rows), "证照即将到期或已过期",
                "Licences, certificates or permits expiring")
    return {"items": len(rows), "notifications": n}


def non_resident_check_digest(session: Session, now: datetime) -> dict[str, Any]:
    """Non-resident customers (restaurants) without a safety check in the last month."""
    rows = session.execute(text(
        "SELECT c.enterprise_id, c.region_code, c.id::text AS customer_id, c.name "
        "FROM customer c WHERE c.kind = 'non_resident' AND NOT EXISTS (SELECT 1 FROM delivery d "
        "WHERE d.customer_id = c.id AND d.status = 'delivered' AND d.safety_check IS NOT NULL "
        "AND d.delivered_at >= :since) ORDER BY c.enterprise_id, c.name"),
        {"since": now - timedelta(days=30)}).all()
    n = _digest(session, "non_resident_check_due", now, list(rows), "非居民用户月度安检未完成",
                "Non-resident customers without a safety check this month")
    return {"customers": len(rows), "notifications": n}


def hazards_overdue_digest(session: Session, now: datetime) -> dict[str, Any]:
    """Open hazards past their deadline: to the enterprise, and to the region's regulators."""
    day = local_day(now)
    rows = session.execute(text(
        "SELECT enterprise_id, region_code, id::text AS hazard_id, item, deadline::text "
        "FROM hazard WHERE status = 'open' AND deadline < :day ORDER BY enterprise_id, deadline"),
        {"day": day}).all()
    n = _digest(session, "hazards_overdue", now, list(rows), "隐患整改逾期",
                "Hazards past their deadline")
    by_region: dict[str, int] = {}
    for row in rows:
        by_region[row.region_code] = by_region.get(row.region_code, 0) + 1
    for region, count in by_region.items():
        n += notify(session, "hazards_overdue_region", f"{region}:{day}", enterprise_id=None,
                    region_code=region, title_zh=f"辖区隐患整改逾期（{count}）",
                    title_en=f"Hazards past their deadline in the region ({count})",
                    payload={"day": day.isoformat(), "count": count}, now=now)
    return {"hazards": len(rows), "notifications": n}


def expire_authorizations(session: Session, now: datetime) -> dict[str, Any]:
    """Close fill authorizations left open past their expiry."""
    result = session.execute(text(
        "UPDATE fill_authorization SET status = 'expired', closed_at = :now "
        "WHERE status = 'open' AND expires_at <= :now"), {"now": now})
    return {"expired": getattr(result, "rowcount", 0)}


def create_partitions(session: Session, now: datetime) -> dict[str, Any]:
    """Monthly event partitions, three months ahead."""
    return {"created": ensure_partitions(session, 3)}
