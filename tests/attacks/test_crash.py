"""Crash safety: the service is SIGKILLed in the middle of authorizations and fills, then
restarted. Every acknowledged fill is there, none twice, a retried fill is recorded once, and no
authorization stays open past its expiry."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from cylinder_trace.db.engine import get_engine
from cylinder_trace.jobs import run_job
from tests.factories import GOOD

TTL = 3


def start(port: int, database_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url,
           "CYLINDER_TRACE_SCHEDULER_ENABLED": "false",
           "CYLINDER_TRACE_AUTHORIZATION_TTL_SECONDS": str(TTL),
           "CYLINDER_TRACE_PUBLIC_BASE_URL": "https://ct.example.cn"}
    proc = subprocess.Popen([sys.executable, "-m", "cylinder_trace", "serve", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the service did not start")


def test_sigkill_mid_load_loses_nothing_acknowledged(world: Any, database_url: str) -> None:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    cylinders = [world.cylinder(e["id"], **GOOD) for _ in range(40)]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    proc = start(port, database_url)
    acknowledged: list[str] = []
    unanswered: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()

    def drive(batch: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=base, headers=key, timeout=2) as http:
            for c in batch:
                try:
                    a = http.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]})
                except httpx.HTTPError:
                    return
                if a.json().get("decision") != "allow":
                    continue
                body = {"authorization_id": a.json()["authorization_id"], "net_kg": 14.0}
                try:
                    r = http.post("/api/v1/fills", json=body,
                                  headers={"Idempotency-Key": body["authorization_id"]})
                except httpx.HTTPError:
                    with lock:
                        unanswered.append((body["authorization_id"], body))
                    return
                if r.status_code == 201:
                    with lock:
                        acknowledged.append(body["authorization_id"])

    threads = [threading.Thread(target=drive, args=(cylinders[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    while len(acknowledged) < 8:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no flush: the power is cut
    for t in threads:
        t.join(timeout=10)
    proc.wait(timeout=10)

    proc = start(port, database_url)
    try:
        # the appliance retries what was never answered, with the same key: recorded once
        with httpx.Client(base_url=base, headers=key, timeout=5) as http:
            for auth_id, body in unanswered:
                r = http.post("/api/v1/fills", json=body, headers={"Idempotency-Key": auth_id})
                assert r.status_code in (201, 409), r.text
                if r.status_code == 201:
                    acknowledged.append(auth_id)
        with get_engine().connect() as conn:
            rows: dict[str, int] = dict(conn.execute(text(
                "SELECT authorization_id::text, count(*) FROM fill GROUP BY 1")).all())
            used = conn.execute(text(
                "SELECT count(*) FROM fill_authorization WHERE status = 'used'")).scalar()
        assert set(acknowledged) <= set(rows), "an acknowledged fill is missing"
        assert all(n == 1 for n in rows.values()), "a fill was recorded twice"
        assert used == len(rows)
        # nothing stays open past its expiry once the sweep has run after the restart
        run_job("expire_authorizations", now=datetime.now(UTC) + timedelta(seconds=TTL + 1))
        with get_engine().connect() as conn:
            stale = conn.execute(text(
                "SELECT count(*) FROM fill_authorization WHERE status = 'open' "
                "AND expires_at <= now()")).scalar()
        assert stale == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
