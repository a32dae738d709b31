"""Scheduled jobs against the real database at chosen clock times; notifications delivered to a
real HTTP receiver exactly once from its point of view."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.db.tables.lifecycle import Hazard
from cylinder_trace.jobs import JOBS, run_job
from tests.api.test_health_and_errors import assert_problem

# Noon in Asia/Shanghai today: the jobs run at this injected time, and every date the tests give
# is relative to it, so the suite means the same on any day.
NOON = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC).replace(hour=4)
TODAY = NOON.date()


def day(offset: int) -> str:
    """An ISO date `offset` days from today."""
    return (TODAY + timedelta(days=offset)).isoformat()


def years_ago(years: int, offset: int = 0) -> str:
    """An ISO date `years` years before today, moved by `offset` days."""
    then = TODAY.replace(year=TODAY.year - years, day=min(TODAY.day, 28))
    return (then + timedelta(days=offset)).isoformat()


def job_result(name: str, now: datetime) -> dict[str, Any]:
    """What one run of the job returned (a run that failed returns nothing)."""
    run = run_job(name, now=now)
    assert run.result is not None, (run.status, run.error)
    return run.result


def notes(kind: str) -> list[dict[str, Any]]:
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT enterprise_id::text, region_code, payload FROM "
                                 "notification WHERE kind = :k ORDER BY created_at"), {"k": kind})
        return [{"enterprise_id": e, "region_code": r, "payload": p} for e, r, p in rows]


def test_inspection_digest_once_per_enterprise_and_day(world: Any) -> None:
    a, b = world.enterprise(), world.enterprise()
    base = {"manufacture_date": years_ago(6), "last_inspection_date": years_ago(2)}
    world.cylinder(a["id"], next_inspection_due=day(-5), **base)  # overdue
    world.cylinder(a["id"], next_inspection_due=day(15), **base)  # due within 30 days
    world.cylinder(a["id"], next_inspection_due=day(188), **base)  # later
    world.cylinder(b["id"], next_inspection_due=day(188), **base)
    run = run_job("inspection_digest", now=NOON)
    assert run.status == "ok" and run.result == {"cylinders": 2, "notifications": 1}
    [note] = notes("inspection_due")
    assert note["enterprise_id"] == a["id"] and note["payload"]["count"] == 2
    assert {i["overdue"] for i in note["payload"]["items"]} == {True, False}
    assert run_job("inspection_digest", now=NOON + timedelta(hours=3)).result == {
        "cylinders": 2, "notifications": 0}
    assert job_result("inspection_digest", NOON + timedelta(days=1))["notifications"] == 1
    # a regulator of the region sees it; another enterprise does not
    reg = world.user("regulator", region_codes=["500000"])
    seen = world.client.get("/api/v1/notifications", headers=reg["headers"]).json()
    assert {n["kind"] for n in seen} == {"inspection_due"}
    other = world.user("enterprise_admin", b["id"])
    assert world.client.get("/api/v1/notifications", headers=other["headers"]).json() == []


def test_credentials_service_life_and_hazard_digests(world: Any) -> None:
    e = world.enterprise(filling_licence={"number": "TS9", "valid_from": years_ago(5),
                                          "valid_until": day(6), "status": "valid"})
    world.user("delivery_worker", e["id"], certificate={"number": "SQ-1",
                                                        "valid_until": day(-24)})
    # 8 years of design life end in 46 days: within the 90-day warning
    world.cylinder(e["id"], manufacture_date=years_ago(8, 46), last_inspection_date=years_ago(3))
    assert run_job("credentials_digest", now=NOON).result == {"items": 2, "notifications": 1}
    whats = {i["what"].split(":")[0] for i in notes("credentials_expiring")[0]["payload"]["items"]}
    assert whats == {"filling_licence", "certificate"}
    assert run_job("service_life_digest", now=NOON).result == {"cylinders": 1, "notifications": 1}
    cust = world.client.post("/api/v1/customers", headers=world.admin, json={
        "enterprise_id": e["id"], "kind": "non_resident", "name": "川菜馆",
        "id_number": "91500000MA00000000", "phone": "13800138000", "address": "x",
        "contract": {"number": "HT", "valid_until": "2099-01-01"}}).json()
    assert run_job("non_resident_check_digest", now=NOON).result == {
        "customers": 1, "notifications": 1}
    with Session(get_engine()) as session:
        session.add(Hazard(enterprise_id=uuid.UUID(e["id"]), region_code="500103",
                           customer_id=uuid.UUID(cust["id"]), item="hose_ok", owner="川菜馆",
                           deadline=TODAY - timedelta(days=5)))
        session.commit()
    assert run_job("hazards_overdue_digest", now=NOON).result == {
        "hazards": 1, "notifications": 2}
    assert [n["region_code"] for n in notes("hazards_overdue_region")] == ["500103"]


def test_expired_authorizations_are_closed_and_partitions_made(world: Any) -> None:
    e = world.enterprise()
    s = world.station(e["id"])
    c = world.cylinder(e["id"], manufacture_date=years_ago(4), last_inspection_date=years_ago(2))
    a = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=world.api_key(s["id"])).json()
    assert a["decision"] == "allow"
    assert run_job("expire_authorizations").result == {"expired": 0}
    later = datetime.now(UTC) + timedelta(hours=1)
    assert run_job("expire_authorizations", now=later).result == {"expired": 1}
    assert run_job("create_partitions").status == "ok"


def test_a_job_runs_once_across_instances(world: Any, database_url: str) -> None:
    other = create_engine(database_url)
    with other.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(hashtextextended('job:inspection_digest', 7))"))
        assert run_job("inspection_digest", now=NOON).status == "skipped"
        conn.execute(text("SELECT pg_advisory_unlock_all()"))
    other.dispose()
    assert run_job("inspection_digest", now=NOON).status == "ok"


class Receiver:
    """A webhook receiver on localhost that de-duplicates on the notification id."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, Any]] = []
        self.signatures: list[tuple[bytes, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.signatures.append((body, self.headers["X-CylinderTrace-Signature"]))
                receiver.received.append(json.loads(body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def unique_ids(self) -> set[str]:
        return {r["id"] for r in self.received}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def _due_digest(world: Any, hook_url: str) -> tuple[dict[str, Any], str]:
    e = world.enterprise()
    admin = world.user("enterprise_admin", e["id"])
    r = world.client.post("/api/v1/webhooks", json={"url": hook_url}, headers=admin["headers"])
    assert r.status_code == 201, r.text
    world.cylinder(e["id"], manufacture_date=years_ago(6), last_inspection_date=years_ago(2),
                   next_inspection_due=day(-5))
    assert job_result("inspection_digest", NOON)["notifications"] == 1
    return e, r.json()["secret"]


def test_delivery_is_signed_and_a_crash_after_sending_is_deduplicated(
    world: Any, receiver: Receiver
) -> None:
    _, secret = _due_digest(world, receiver.url)

    def crash() -> None:
        raise RuntimeError("power cut between send and commit")

    crashed = run_job("deliver_notifications", now=NOON, after_send=crash)
    assert crashed.status == "error" and len(receiver.received) == 1
    run = run_job("deliver_notifications", now=NOON)
    assert run.result == {"delivered": 1, "retry": 0, "dead": 0}
    assert len(receiver.received) == 2 and len(receiver.unique_ids) == 1
    body, signature = receiver.signatures[-1]
    assert signature == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert job_result("deliver_notifications", NOON)["delivered"] == 0


def test_failed_deliveries_back_off_then_dead_letter(world: Any) -> None:
    failing = Receiver(status=500)
    try:
        _due_digest(world, failing.url)
        now = NOON
        results = []
        for _ in range(12):
            results.append(job_result("deliver_notifications", now))
            now += timedelta(days=1)
        assert results[0] == {"delivered": 0, "retry": 1, "dead": 0}
        assert sum(r["dead"] for r in results) == 1
        assert len(failing.received) == 8  # webhook_max_attempts
        with get_engine().connect() as conn:
            status, attempts, error = conn.execute(text(
                "SELECT status, attempts, last_error FROM notification_delivery")).one()
        assert (status, attempts, error) == ("dead", 8, "HTTP 500")
        # backoff: right after a failure nothing is due
        assert job_result("deliver_notifications", now)["retry"] == 0
    finally:
        failing.server.shutdown()


def test_jobs_endpoint_for_platform_admins(world: Any) -> None:
    run_job("create_partitions")
    r = world.client.get("/api/v1/jobs", headers=world.admin)
    assert r.status_code == 200
    by_name = {j["name"]: j for j in r.json()}
    assert set(by_name) == set(JOBS)
    assert by_name["create_partitions"]["last_status"] == "ok"
    assert by_name["inspection_digest"]["next_run"] is not None
    ran = world.client.post("/api/v1/jobs/expire_authorizations/run", headers=world.admin)
    assert ran.json()["last_status"] == "ok"
    e = world.enterprise()
    admin = world.user("enterprise_admin", e["id"])
    assert_problem(world.client.get("/api/v1/jobs", headers=admin["headers"]), 403)


def test_a_seizure_notifies_the_owner_in_the_same_transaction(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"])
    reg = world.user("regulator", region_codes=["500000"])
    r = world.client.post(f"/api/v1/cylinders/{c['code']}/seizure", json={"reason": "查处"},
                          headers=reg["headers"])
    assert r.status_code == 200
    admin = world.user("enterprise_admin", e["id"])
    seen = world.client.get("/api/v1/notifications", headers=admin["headers"]).json()
    assert [n["kind"] for n in seen] == ["cylinder_seized"]
    assert seen[0]["payload"] == {"code": c["code"], "reason": "查处"}
