"""Fill authorization, the hot path: raw SQL on an async psycopg pool, batched.

Each worker gathers the requests that arrive while a batch is in flight and sends them together:
one statement reads every request's facts (station key, station, enterprise, cylinder, tag,
operator, open authorization), the pure rules decide each one, one statement writes every
decision (authorizations, events, unknown scans). Two round trips per batch, not per request
(perf-notes.md). Each request still gets its own decision, answered only after the write
committed; one open authorization per cylinder is kept by the partial unique index even when two
scans of one cylinder share a batch (ON CONFLICT DO NOTHING: the loser is told FILL_IN_PROGRESS).
A batch smaller than the one before lingers a moment for the scans on their way back
(settings.fill_batch_linger_ms).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool

from ..adapters.security import api_key_hash
from ..config import get_settings
from ..db.engine import session_options
from ..db.facts import cylinder_facts, licence
from ..domain import codes
from ..domain.policy import RegionPolicy, policy_for
from ..domain.reasons import ReasonCode, as_dict
from ..domain.rules import (
    Decision,
    FillFacts,
    OperatorFacts,
    StationFacts,
    authorize_fill,
    scan_accepted,
)
from ..observe import DECISIONS
from . import registry

log = logging.getLogger(__name__)

FACTS_SQL = """
SELECT r.n, k.station_id, s.enterprise_id, s.locked, s.region_code,
       s.filling_licence_status AS station_licence_status,
       s.filling_licence_valid_from AS station_licence_valid_from,
       s.filling_licence_valid_until AS station_licence_valid_until,
       e.filling_licence_status AS enterprise_licence_status,
       e.filling_licence_valid_from AS enterprise_licence_valid_from,
       e.filling_licence_valid_until AS enterprise_licence_valid_until,
       -- the cylinder's columns under their own names: facts.cylinder_facts reads them
       c.id, c.code, c.owner_enterprise_id, c.status, c.seized, c.recalled, c.manufacture_date,
       c.design_life_years, c.valve_type, c.refurbished, c.next_inspection_due,
       c.last_inspection_result, c.last_inspection_date, c.smart_valve_id, c.rfid,
       c.entrusted_to_enterprise_id, c.entrusted_until, c.location_kind, c.model, c.tare_kg,
       c.max_fill_kg, t.id AS tag_cylinder_id, u.id AS operator_id,
       u.enterprise_id AS operator_enterprise_id, u.active AS operator_active,
       u.certificate_valid_until AS operator_certificate_valid_until,
       a.id AS open_id, a.station_id AS open_station_id, a.expires_at AS open_expires_at
FROM json_to_recordset(%(rows)s::json)
     AS r(n int, key_hash text, code text, external text, tag text, badge text)
LEFT JOIN api_key k ON k.key_hash = r.key_hash AND k.revoked_at IS NULL AND k.disabled_at IS NULL
LEFT JOIN station s ON s.id = k.station_id
LEFT JOIN enterprise e ON e.id = s.enterprise_id
LEFT JOIN cylinder t ON t.rfid = r.tag
LEFT JOIN LATERAL (
    SELECT * FROM cylinder WHERE code = r.code
    UNION ALL SELECT * FROM cylinder WHERE r.code IS NULL AND external_code = r.external
    UNION ALL SELECT * FROM cylinder WHERE r.code IS NULL AND r.external IS NULL AND id = t.id
    LIMIT 1
) c ON true
LEFT JOIN app_user u ON u.badge = r.badge
LEFT JOIN fill_authorization a ON a.cylinder_id = c.id AND a.status = 'open'
ORDER BY r.n
"""

EXPIRE_SQL = """
UPDATE fill_authorization SET status = 'expired', closed_at = %(now)s
WHERE id = ANY(%(ids)s::uuid[]) AND status = 'open'
"""

_WRITE = """
WITH d AS (
    SELECT * FROM json_to_recordset(%(rows)s::json)
        AS d(n int, cylinder_id bigint, station_id uuid, enterprise_id uuid, allow bool,
             auth_id uuid, reuse bool, operator_id uuid, payload jsonb, scan text, tag text,
             reason text, detail text)
), ins AS (
    INSERT INTO fill_authorization (id, cylinder_id, station_id, operator_id, status,
                                    created_at, expires_at)
    SELECT auth_id, cylinder_id, station_id, operator_id, 'open', %(now)s, %(expires)s
    FROM d WHERE allow AND NOT reuse
    ON CONFLICT (cylinder_id) WHERE status = 'open' DO NOTHING
    RETURNING id
), res AS (
    SELECT d.*, (d.allow AND (d.reuse OR i.id IS NOT NULL)) AS granted
    FROM d LEFT JOIN ins i ON i.id = d.auth_id
), ev AS (
    INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, actor_id,
                                station_id, enterprise_id, payload)
    SELECT cylinder_id, %(now)s,
           CASE WHEN granted THEN 'fill_authorized' ELSE 'fill_denied' END,
           'station', station_id::text, station_id, enterprise_id,
           CASE WHEN granted THEN payload || jsonb_build_object('authorization_id', auth_id)
                WHEN allow THEN jsonb_set(payload, '{reasons}', '["FILL_IN_PROGRESS"]')
                ELSE payload END
    FROM res WHERE cylinder_id IS NOT NULL
    ORDER BY cylinder_id  -- the chain trigger locks each cylinder: one order, no deadlocks
){unregistered}
SELECT n, granted FROM res ORDER BY n
"""
# A batch whose scans all named a cylinder leaves the unknown scans' insert out: its statistics
# trigger runs once per statement, rows or none (0.1-0.2 ms a batch, docs/performance.md).
WRITE_SQL = _WRITE.replace("{unregistered}", """, un AS (
    INSERT INTO unregistered_scan (station_id, scanned_at, scan, rfid, reason, detail)
    SELECT station_id, %(now)s, left(scan, 512), tag, reason, detail
    FROM res WHERE cylinder_id IS NULL
)""")
WRITE_KNOWN_SQL = _WRITE.replace("{unregistered}", "")


@dataclass(frozen=True)
class ScanRequest:
    key_hash: str
    scan: str
    rfid: str | None
    operator: str | None


@dataclass
class _Work:
    request: ScanRequest
    parsed: codes.ParsedScan | None
    tag: str | None
    future: asyncio.Future[dict[str, Any] | None]
    # filled in by the batch
    decision: Decision | None = None
    station_id: uuid.UUID | None = None
    enterprise_id: uuid.UUID | None = None
    cylinder_id: int | None = None
    auth_id: uuid.UUID | None = None
    reuse_expires: datetime | None = None
    operator_id: uuid.UUID | None = None
    cylinder: dict[str, Any] | None = None
    granted: bool = False


class Authorizer:
    """One per worker process: owns the async pool and the batch queue."""

    def __init__(self, conninfo: str) -> None:
        settings = get_settings()
        self.pool: AsyncConnectionPool = AsyncConnectionPool(
            conninfo, min_size=1, max_size=settings.fill_pool_size, open=False,
            # The statements are prepared after a few runs; a generic plan saves planning the
            # lateral look-ups on every batch (measured: 1.24 -> 0.44 ms for one request).
            kwargs={"autocommit": True,
                    "options": session_options("-c plan_cache_mode=force_generic_plan")},
        )
        self.ttl = timedelta(seconds=settings.authorization_ttl_seconds)
        self.batch_max = settings.fill_batch_max
        self.linger = settings.fill_batch_linger_ms / 1000
        self.last_batch = 0
        self.zone = ZoneInfo(settings.timezone)
        self.policies = settings.region_policies
        self.queue: list[_Work] = []
        # Batches in flight at once: while one waits on PostgreSQL the next one gathers.
        self.max_inflight = max(1, settings.fill_pool_size - 1)
        self.inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def authorize(self, request: ScanRequest) -> dict[str, Any] | None:
        """The answer of the contract, or None when the key is unknown or revoked."""
        if "\x00" in f"{request.scan}{request.rfid}{request.operator}":
            # PostgreSQL text cannot hold NUL; such a scan is garbage, recorded as such
            request = ScanRequest(request.key_hash, request.scan.replace("\x00", "\ufffd"),
                                  (request.rfid or "").replace("\x00", "\ufffd") or None,
                                  (request.operator or "").replace("\x00", "\ufffd") or None)
        parsed = registry.parse(request.scan) if request.scan else None
        tag = codes.normalize_tag_id(request.rfid) if request.rfid else None
        loop = asyncio.get_running_loop()
        work = _Work(request, parsed, tag, loop.create_future())
        self.queue.append(work)
        if self.inflight < self.max_inflight:
            self.inflight += 1
            task = loop.create_task(self._drain())
            self._tasks.add(task)  # tasks are weakly referenced: keep each until it ends
            task.add_done_callback(self._tasks.discard)
        return await work.future

    async def _drain(self) -> None:
        try:
            await asyncio.sleep(0)  # let the requests that arrived together join this batch
            while self.queue:
                if self.linger and len(self.queue) < self.last_batch:
                    # Fewer scans than the last batch had: those it answered are coming back.
                    # Waiting for them makes batches of about every connection at once, not
                    # two halves taking turns (the statements' and psycopg's cost per batch
                    # spread over twice the scans).
                    await asyncio.sleep(self.linger)
                batch, self.queue = self.queue[: self.batch_max], self.queue[self.batch_max :]
                self.last_batch = len(batch)
                try:
                    await self._run(batch)
                except Exception:
                    log.exception("fill authorization batch of %d failed", len(batch))
                    # One bad request must not fail the others: each goes again on its own.
                    for w in batch:
                        if w.future.done():
                            continue
                        try:
                            await self._run([w])
                        except Exception as exc:
                            if not w.future.done():
                                w.future.set_exception(exc)
        finally:
            self.inflight -= 1

    async def _run(self, batch: list[_Work]) -> None:
        now = datetime.now(UTC)
        today = now.astimezone(self.zone).date()
        # One JSON parameter per batch: cheaper to encode than a dozen typed arrays.
        params = {"rows": _json([{
            "n": i, "key_hash": w.request.key_hash,
            "code": w.parsed.code if w.parsed and w.parsed.error !=
            codes.ScanError.BAD_CHECK_CHARACTER else None,
            "external": w.parsed.external if w.parsed else None,
            "tag": w.tag, "badge": w.request.operator,
        } for i, w in enumerate(batch, start=1)])}
        async with self.pool.connection() as conn:
            # named rows: each request's facts are read by column name (_decide)
            facts = conn.cursor(row_factory=namedtuple_row)
            rows = await (await facts.execute(FACTS_SQL, params)).fetchall()
            expire: list[uuid.UUID] = []
            stations: dict[uuid.UUID, tuple[StationFacts, RegionPolicy]] = {}
            decided = [w for w, row in zip(batch, rows, strict=True)
                       if self._decide(w, row, now, today, expire, stations)]
            if expire:
                await conn.execute(EXPIRE_SQL, {"ids": expire, "now": now})
            results: list[Any] = []
            if decided:
                sql = WRITE_SQL if any(w.cylinder_id is None for w in decided) \
                    else WRITE_KNOWN_SQL
                cur = await conn.execute(sql, self._write_params(decided, now))
                results = await cur.fetchall()
        for w, (_, granted) in zip(decided, results, strict=True):
            w.granted = bool(granted)
        for w in batch:
            if not w.future.done():
                w.future.set_result(self._answer(w, now) if w.station_id else None)

    def _decide(self, w: _Work, row: Any, now: datetime, today: date,
                expire: list[uuid.UUID],
                stations: dict[uuid.UUID, tuple[StationFacts, RegionPolicy]]) -> bool:
        """Decide one request from its row of FACTS_SQL (a named tuple, by column name).
        ``stations``: the station's facts and policy, read from the first of the batch's rows
        that names it (the same columns of the same statement in every such row)."""
        if row.station_id is None:
            return False  # unknown or revoked key: 401, nothing written
        w.station_id, w.enterprise_id = row.station_id, row.enterprise_id
        known = stations.get(row.station_id)
        if known is None:
            known = stations[row.station_id] = (StationFacts(
                id=row.station_id, enterprise_id=row.enterprise_id, locked=row.locked,
                enterprise_licence=licence(row, "enterprise_licence"),
                station_licence=licence(row, "station_licence")
                if row.station_licence_status else None,
            ), policy_for(row.region_code, self.policies))
        station, policy = known
        cylinder = None
        if row.id is not None:
            w.cylinder_id = row.id
            w.cylinder = {"code": row.code, "model": row.model, "tare_kg": row.tare_kg,
                          "max_fill_kg": row.max_fill_kg}
            cylinder = cylinder_facts(row)
        accepted = scan_accepted(w.parsed, tag_read=w.tag is not None,
                                 tag_confirms=w.tag is not None and row.tag_cylinder_id == row.id)
        operator = None
        if w.request.operator:
            operator = OperatorFacts(known=row.operator_id is not None,
                                     enterprise_id=row.operator_enterprise_id,
                                     active=bool(row.operator_active),
                                     certificate_valid_until=row.operator_certificate_valid_until)
            w.operator_id = row.operator_id
        open_id, open_station = row.open_id, row.open_station_id
        open_live = open_id is not None and row.open_expires_at > now
        if open_id is not None and not open_live:
            expire.append(open_id)
        facts = FillFacts(
            station=station, cylinder=cylinder, scan_accepted=accepted,
            tag_read=w.tag is not None, tag_cylinder_id=row.tag_cylinder_id, operator=operator,
            open_elsewhere=open_live and open_station != row.station_id,
        )
        w.decision = authorize_fill(facts, policy, today)
        if open_live and open_station == row.station_id:
            if w.decision.allow:
                w.auth_id, w.reuse_expires = open_id, row.open_expires_at
            else:
                expire.append(open_id)  # a deny now closes this station's earlier one
        if w.decision.allow and w.auth_id is None:
            w.auth_id = uuid.uuid4()
        return True

    def _write_params(self, decided: list[_Work], now: datetime) -> dict[str, Any]:
        rows = []
        for i, w in enumerate(decided, start=1):
            d = w.decision
            assert d is not None
            p = w.parsed
            # (UUIDs and the codes' enums as they are: orjson writes them, faster than str())
            rows.append({
                "n": i, "cylinder_id": w.cylinder_id, "station_id": w.station_id,
                "enterprise_id": w.enterprise_id, "allow": d.allow, "auth_id": w.auth_id,
                "reuse": w.reuse_expires is not None, "operator_id": w.operator_id,
                "payload": {
                    "reasons": d.reasons, "warnings": d.warnings,
                    "scan_form": p.form if p else None, "scan_error": p.error if p else None,
                    "rfid": w.tag, "operator_id": w.operator_id,
                },
                "scan": w.request.scan, "tag": w.tag, "reason": ReasonCode.UNREGISTERED,
                "detail": (p.detail if p else "tag not bound to any cylinder")[:200],
            })
        return {"rows": _json(rows), "now": now, "expires": now + self.ttl}

    def _answer(self, w: _Work, now: datetime) -> dict[str, Any]:
        d = w.decision
        assert d is not None
        reasons = list(d.reasons)
        if d.allow and not w.granted:
            reasons = [ReasonCode.FILL_IN_PROGRESS]  # lost the race for the open authorization
        expires = w.reuse_expires or now + self.ttl
        for label in [str(r) for r in reasons] or [""]:
            DECISIONS.labels("allow" if w.granted else "deny", label).inc()
        return {
            "decision": "allow" if w.granted else "deny",
            "reasons": [as_dict(r) for r in reasons],
            "warnings": [as_dict(x) for x in d.warnings],
            "authorization_id": str(w.auth_id) if w.granted else None,
            "expires_at": expires.isoformat() if w.granted else None,
            "cylinder": w.cylinder,
            "scan": {
                "form": str(w.parsed.form) if w.parsed and w.parsed.form else None,
                "error": str(w.parsed.error) if w.parsed and w.parsed.error else None,
                "detail": w.parsed.detail if w.parsed else None,
            },
        }


def _json(value: Any) -> str:
    # a batch's one JSON parameter (text: psycopg would send bytes as bytea)
    return orjson.dumps(value).decode()


def key_hash(key: str) -> str:
    return api_key_hash(key)
