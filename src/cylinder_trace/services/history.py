"""Reading a cylinder's history: newest first, cursor-paginated, filterable by kind."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, bindparam, select
from sqlmodel import Session, col

from ..db.engine import psycopg_text
from ..db.tables.registry import CylinderChain, CylinderEvent
from ..domain.errors import Invalid
from ..domain.lifecycle import EventKind

MAX_PAGE = 500


def encode_cursor(occurred_at: datetime, event_id: int) -> str:
    raw = f"{occurred_at.isoformat()}|{event_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, event_id = raw.split("|")
        return datetime.fromisoformat(when), int(event_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("The cursor is not one this service gave out", field="cursor",
                      reason="BAD_CURSOR") from exc


def check_kinds(kinds: list[str] | None) -> list[str]:
    known = {k.value for k in EventKind}
    unknown = [k for k in kinds or [] if k not in known]
    if unknown:
        raise Invalid(f"Unknown event kind(s): {', '.join(unknown)}", field="kind",
                      reason="UNKNOWN_EVENT_KIND", known=sorted(known))
    return list(kinds or [])


def history_page(
    session: Session,
    cylinder_id: int,
    *,
    kinds: list[str] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[Sequence[Any], str | None]:
    """One page of events, newest first; the cursor continues after the last one shown.

    The order (occurred_at DESC, id DESC) follows the primary key (cylinder_id, occurred_at, id),
    so each monthly partition answers from its index and the read stays flat as history grows.
    The rows are plain rows with the event's columns as attributes, not ORM objects: building,
    identity-mapping and tracking 51 entities that are only read cost more than the query.
    """
    kinds = check_kinds(kinds)
    limit, params = page_params(cylinder_id, kinds, limit, cursor)
    # The statement is built once per shape and run on the session's connection as Core: the
    # rows are read, not mapped, and building the query anew on every request was a tenth of
    # the page's CPU (docs/performance.md).
    conn = session.connection()
    rows = conn.execute(_page_sql(bool(kinds), bool(cursor), True), params).all()
    if len(rows) <= limit:
        rows = conn.execute(_page_sql(bool(kinds), bool(cursor), False), params).all()
    if rows:
        session.info[(_HEAD, cylinder_id)] = rows[0].chain_head
    return page_of(rows, limit)


async def history_page_async(conn: Any, cylinder_id: int, *, limit: int = 50,
                             cursor: str | None = None) -> tuple[Sequence[Any], str | None,
                                                                 str | None]:
    """``history_page`` without a kind filter on an async psycopg connection whose rows have
    named columns (the history page's fast path, api/routes/cylinders.py): the same
    statements, the same window first, the same page and cursor. Returns (rows, next cursor,
    chain head)."""
    limit, params = page_params(cylinder_id, [], limit, cursor)
    rows = await (await conn.execute(_page_text(bool(cursor), True), params)).fetchall()
    if len(rows) <= limit:
        rows = await (await conn.execute(_page_text(bool(cursor), False), params)).fetchall()
    if rows:
        head = rows[0].chain_head
    else:
        found = await (await conn.execute(_head_text(), {"cylinder_id": cylinder_id})).fetchone()
        head = found[0] if found else None
    page, next_cursor = page_of(rows, limit)
    return page, next_cursor, head


def page_params(cylinder_id: int, kinds: list[str], limit: int,
                cursor: str | None) -> tuple[int, dict[str, Any]]:
    """The page's size and the parameters of its statements (see ``_page_sql``)."""
    limit = max(1, min(limit, MAX_PAGE))
    params: dict[str, Any] = {"cylinder_id": cylinder_id, "n": limit + 1}
    if kinds:
        params["kinds"] = kinds
    if cursor:
        params["when"], params["event_id"] = decode_cursor(cursor)
    # First within the RECENT months before the page's start: a lower bound on occurred_at
    # leaves the older monthly partitions out of the plan (each one costs planning, locks and
    # an index descent, whether or not it holds this cylinder's events). A full page there is
    # the page: every event left out is older than all of them. Fewer rows, and the page is
    # read again without the bound.
    params["since"] = (params.get("when") or datetime.now(UTC)) - RECENT
    return limit, params


def page_of(rows: Sequence[Any], limit: int) -> tuple[Sequence[Any], str | None]:
    """The page out of its statement's rows (one more than the page, to know whether more
    follow), and the cursor after its last event."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(last.occurred_at, last.id or 0)


_HEAD = "history.chain_head"


# how far back the first try of a page reads (see history_page)
RECENT = timedelta(days=92)


@lru_cache(maxsize=8)
def _page_sql(with_kinds: bool, with_cursor: bool, recent: bool) -> Any:
    """One page's statement, newest first, with the chain head riding along as one more column
    (an uncorrelated sub-select, evaluated once: the page and its head come from one
    statement, one round trip fewer, and they agree). ``recent``: only events since
    ``:since``."""
    cylinder_id = bindparam("cylinder_id", type_=BigInteger)
    query = select(*CylinderEvent.__table__.columns,  # type: ignore[attr-defined]
                   _head_sql(cylinder_id).label("chain_head")).where(
        col(CylinderEvent.cylinder_id) == cylinder_id)
    if recent:
        query = query.where(col(CylinderEvent.occurred_at) >= bindparam("since"))
    if with_kinds:
        query = query.where(col(CylinderEvent.kind).in_(bindparam("kinds", expanding=True)))
    if with_cursor:
        when: Any = bindparam("when")
        event_id: Any = bindparam("event_id")
        query = query.where(
            (col(CylinderEvent.occurred_at) < when)
            | ((col(CylinderEvent.occurred_at) == when) & (col(CylinderEvent.id) < event_id))
        )
    return query.order_by(col(CylinderEvent.occurred_at).desc(),
                          col(CylinderEvent.id).desc()).limit(bindparam("n"))


@lru_cache(maxsize=4)
def _page_text(with_cursor: bool, recent: bool) -> str:
    """``_page_sql`` (no kind filter) as psycopg's own SQL text, for the async reader."""
    return psycopg_text(_page_sql(False, with_cursor, recent))  # values: page_params


@lru_cache(maxsize=1)
def _head_text() -> str:
    return psycopg_text(select(_head_sql(bindparam("cylinder_id", type_=BigInteger))))


def _head_sql(cylinder_id: Any) -> Any:
    # Every cylinder with events has its head row (written from its registration on, revision
    # 0021): no search of the events for their newest hash, a second walk of every partition.
    return select(col(CylinderChain.head)).where(
        col(CylinderChain.cylinder_id) == cylinder_id).correlate(None).scalar_subquery()


def chain_head(session: Session, cylinder_id: int) -> str | None:
    """The hash of the cylinder's newest event (the end of its chain): the one read with the
    history page just shown in this session, if any, else read now."""
    if (_HEAD, cylinder_id) in session.info:
        return session.info.pop((_HEAD, cylinder_id))
    return session.execute(select(_head_sql(cylinder_id))).scalar()
