"""Walking the hash chains: every event's hash is recomputed from its content and its
predecessor's hash; a row edited, deleted or inserted behind the service's back shows up."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import Session


@dataclass
class Report:
    events: int = 0
    cylinders: int = 0
    audit_entries: int = 0
    problems: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, cylinder_id: int | None = None) -> Report:
    where = "WHERE e.cylinder_id = :cid" if cylinder_id is not None else ""
    params = {"cid": cylinder_id}
    report = Report()
    report.events, report.cylinders = session.execute(text(
        f"SELECT count(*), count(DISTINCT cylinder_id) FROM cylinder_event e {where}"),  # noqa: S608
        params).one()
    # 1. content: the stored hash is the hash of what the row says now
    for cid, eid, kind in session.execute(text(
        "SELECT cylinder_id, id, kind FROM cylinder_event e "  # noqa: S608
        f"{where} {'AND' if where else 'WHERE'} e.hash IS DISTINCT FROM ct_event_hash("
        "e.prev_hash, e.cylinder_id, e.occurred_at, e.kind, e.actor_kind, e.actor_id, "
        "e.station_id, e.enterprise_id, e.payload)"), params):
        report.problems.append({"cylinder_id": cid, "event_id": eid, "kind": kind,
                                "problem": "CONTENT_CHANGED"})
    # 2. links: each event names a predecessor that exists (or is the chain's first)
    for cid, eid in session.execute(text(
        "SELECT e.cylinder_id, e.id FROM cylinder_event e "  # noqa: S608
        f"{where} {'AND' if where else 'WHERE'} (e.prev_hash IS NULL) <> (e.kind = 'registered') "
        "OR (e.prev_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cylinder_event p WHERE "
        "p.cylinder_id = e.cylinder_id AND p.hash = e.prev_hash))"), params):
        report.problems.append({"cylinder_id": cid, "event_id": eid,
                                "problem": "BROKEN_LINK"})
    # 3. forks: two events claiming the same predecessor (one was inserted or replayed)
    for cid, prev, n in session.execute(text(
        "SELECT cylinder_id, prev_hash, count(*) FROM cylinder_event e "  # noqa: S608
        f"{where} GROUP BY cylinder_id, prev_hash HAVING count(*) > 1"), params):
        report.problems.append({"cylinder_id": cid, "prev_hash": prev, "events": n,
                                "problem": "FORK"})
    # 4. head: the cylinder's recorded head is the end of its chain (an event deleted at the
    #    end of a chain shows here)
    head_where = "WHERE c.cylinder_id = :cid AND" if cylinder_id is not None else "WHERE"
    for (cid,) in session.execute(text(
        f"SELECT c.cylinder_id FROM cylinder_chain c {head_where} c.head IS NOT NULL "  # noqa: S608
        "AND NOT EXISTS (SELECT 1 FROM cylinder_event e WHERE e.cylinder_id = c.cylinder_id "
        "AND e.hash = c.head)"), params):
        report.problems.append({"cylinder_id": cid, "problem": "HEAD_MISSING"})
    if cylinder_id is None:
        verify_audit(session, report)
    return report


def verify_audit(session: Session, report: Report) -> None:
    """The audit trail is one chain: each entry's hash is recomputed, each links to the entry
    before it, none is forked, and the head is its last entry."""
    report.audit_entries = session.execute(text("SELECT count(*) FROM audit_entry")).scalar_one()
    for (eid,) in session.execute(text(
            "SELECT id FROM audit_entry a WHERE a.hash IS DISTINCT FROM ct_audit_hash(a.prev_hash, "
            "a.id, a.at, a.actor, a.actor_role, a.action, a.subject_kind, a.subject_id, "
            "a.enterprise_id, a.region_code, a.before, a.after) ORDER BY id")):
        report.problems.append({"audit_entry": eid, "problem": "CONTENT_CHANGED"})
    for (eid,) in session.execute(text(
            "SELECT a.id FROM audit_entry a WHERE (a.prev_hash IS NULL AND a.id <> (SELECT "
            "min(id) FROM audit_entry)) OR (a.prev_hash IS NOT NULL AND NOT EXISTS (SELECT 1 "
            "FROM audit_entry p WHERE p.hash = a.prev_hash AND p.id < a.id)) ORDER BY id")):
        report.problems.append({"audit_entry": eid, "problem": "BROKEN_LINK"})
    for prev, n in session.execute(text(
            "SELECT prev_hash, count(*) FROM audit_entry GROUP BY prev_hash HAVING count(*) > 1")):
        report.problems.append({"audit_prev_hash": prev, "entries": n, "problem": "FORK"})
    if session.execute(text(
            "SELECT 1 FROM audit_chain c WHERE c.head IS NOT NULL AND c.head IS DISTINCT FROM "
            "(SELECT hash FROM audit_entry ORDER BY id DESC LIMIT 1)")).first():
        report.problems.append({"audit": "head", "problem": "HEAD_MISSING"})
