"""Searching the registry, within the caller's scope: filters and keyset pagination."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from ..db.scope import visible
from ..db.tables.registry import Cylinder
from ..domain.cells import csv_row
from ..domain.errors import Invalid
from ..domain.identifiers import region_prefix
from ..domain.models_spec import lookup
from ..domain.principal import Principal

MAX_PAGE = 500


@dataclass(frozen=True)
class CylinderQuery:
    owner: uuid.UUID | None = None
    region: str | None = None
    status: str | None = None  # active | scrapped
    model: str | None = None
    valve_type: str | None = None
    seized: bool | None = None
    recalled: bool | None = None
    overdue: bool | None = None
    due_within_days: int | None = None
    location_kind: str | None = None
    q: str | None = None  # code or manufacturer serial, exact


def scope_clause(principal: Principal) -> Any:
    """The cylinders the caller may see (its owner and its region), as a WHERE clause."""
    return visible(principal, col(Cylinder.owner_enterprise_id), col(Cylinder.region_code))


def matching(principal: Principal, q: CylinderQuery, today: date) -> Any:
    """The WHERE conditions of a search, within the caller's scope."""
    query = select(Cylinder).where(scope_clause(principal))
    if q.owner is not None:
        query = query.where(col(Cylinder.owner_enterprise_id) == q.owner)
    if q.region:
        query = query.where(col(Cylinder.region_code).startswith(region_prefix(q.region)))
    if q.status:
        if q.status not in ("active", "scrapped"):
            raise Invalid("status is active or scrapped", field="status", reason="BAD_FILTER")
        query = query.where(col(Cylinder.status) == q.status)
    if q.model:
        spec = lookup(q.model)
        query = query.where(col(Cylinder.model) == (spec.name if spec else q.model.upper()))
    if q.valve_type:
        query = query.where(col(Cylinder.valve_type) == q.valve_type)
    if q.seized is not None:
        query = query.where(col(Cylinder.seized) == q.seized)
    if q.recalled is not None:
        query = query.where(col(Cylinder.recalled) == q.recalled)
    if q.location_kind:
        query = query.where(col(Cylinder.location_kind) == q.location_kind)
    if q.overdue is not None:
        due = col(Cylinder.next_inspection_due)
        overdue = (col(Cylinder.status) == "active") & (due < today)
        query = query.where(overdue if q.overdue else ~overdue | due.is_(None))
    if q.due_within_days is not None:
        if not 0 <= q.due_within_days <= 3660:
            raise Invalid("due_within_days is 0-3660", field="due_within_days",
                          reason="BAD_FILTER")
        query = query.where(
            col(Cylinder.status) == "active",
            col(Cylinder.next_inspection_due) >= today,
            col(Cylinder.next_inspection_due) <= today + timedelta(days=q.due_within_days),
        )
    if q.q:
        term = q.q.strip()
        query = query.where(or_(col(Cylinder.code) == term.upper(),
                                col(Cylinder.serial_number) == term))
    return query


def search(
    session: Session, principal: Principal, q: CylinderQuery, today: date, *,
    limit: int = 50, after_id: int | None = None,
) -> tuple[list[Cylinder], int | None]:
    """One page of matching cylinders, by id; the second value is the next page's cursor."""
    limit = max(1, min(limit, MAX_PAGE))
    query = matching(principal, q, today)
    if after_id is not None:
        query = query.where(col(Cylinder.id) > after_id)
    rows = list(session.exec(query.order_by(col(Cylinder.id)).limit(limit + 1)).all())
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None


def count(session: Session, principal: Principal, q: CylinderQuery, today: date) -> int:
    """How many cylinders a search matches (the export's progress bar needs the total)."""
    sub = matching(principal, q, today).with_only_columns(col(Cylinder.id)).subquery()
    return int(session.exec(select(func.count()).select_from(sub)).one())


CSV_COLUMNS = ("code", "owner_enterprise_id", "region_code", "model", "manufacturer",
               "serial_number", "manufacture_date", "status", "seized", "recalled",
               "next_inspection_due", "location_kind")


def csv_stream(principal: Principal, q: CylinderQuery, today: date) -> Iterator[str]:
    """A search result as CSV, page by page on its own session (the request's session closes
    before a long stream ends): any size, constant memory."""
    from ..db.engine import get_engine

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buf.getvalue()  # Excel opens UTF-8 with a BOM
    after: int | None = None
    with Session(get_engine()) as own:
        while True:
            page, after = search(own, principal, q, today, limit=MAX_PAGE, after_id=after)
            buf.seek(0)
            buf.truncate()
            for c in page:
                writer.writerow(csv_row(getattr(c, name) for name in CSV_COLUMNS))
            yield buf.getvalue()
            if after is None:
                return
