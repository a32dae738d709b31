"""History read: the first page of a cylinder with 10,000 events, among many other events.

Run: .venv/bin/python benchmarks/history_read.py [--events 10000] [--background 2000000]
Prints p50/p99 of GET /api/v1/cylinders/{code}/history (first page of 50) over HTTP, and of
the same query in SQL alone. Uses DATABASE_URL when set, else the embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import time

import httpx
from _common import (
    SERVERS,
    admin_headers,
    backends_of,
    cpu_ticks,
    flush_ms,
    fresh_database,
    machine,
    percentile,
    served,
    worker_pids,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--background", type=int, default=2_000_000,
                    help="events of other cylinders, spread over the same months")
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    print(f"machine: {machine()}; {flush_ms()}")
    with fresh_database() as url, served(url) as base:
        headers = admin_headers(url, base)
        from cylinder_trace.domain.identifiers import credit_code_check

        body = "91500000MA0000002"
        e = httpx.post(f"{base}/api/v1/enterprises", headers=headers, json={
            "name": "基准燃气", "credit_code": body + credit_code_check(body),
            "region_code": "500103"}).json()
        c = httpx.post(f"{base}/api/v1/cylinders", headers=headers, json={
            "owner_enterprise_id": e["id"], "manufacturer": "m", "serial_number": "H-1",
            "model": "YSP-35.5", "manufacture_date": "2020-01-01"}).json()
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        started = time.perf_counter()
        with engine.begin() as conn:
            # 24 months of partitions behind us, then the events: one cylinder's 10,000 fills
            # and the background of other cylinders' events in the same months.
            conn.execute(text(
                "SELECT ct_ensure_event_partitions((date_trunc('month', now()) "
                "- interval '24 months')::date, 26)"))
            conn.execute(text(
                "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, payload) "
                "SELECT :cid, now() - (g * interval '1 hour') - interval '1 minute', 'filled', "
                "'station', jsonb_build_object('net_kg', 14.5, 'n', g) "
                "FROM generate_series(1, :n) g"), {"cid": c["id"], "n": args.events})
            # The background's own chains are not what is read here: the chain trigger is off
            # for its load only (it chains each event to the one before: minutes on this box).
            conn.execute(text("ALTER TABLE cylinder_event DISABLE TRIGGER cylinder_event_chain"))
            conn.execute(text(
                "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, payload) "
                "SELECT 1000000 + (g % 200000), now() - ((g % 17000) * interval '1 hour'), "
                "'filled', 'station', '{\"net_kg\": 14.5}' FROM generate_series(1, :n) g"),
                {"n": args.background})
            conn.execute(text("ALTER TABLE cylinder_event ENABLE TRIGGER cylinder_event_chain"))
        with engine.connect() as conn:
            conn.execute(text("ANALYZE cylinder_event"))
            conn.commit()
        print(f"loaded {args.events} + {args.background} events in "
              f"{time.perf_counter() - started:.1f} s")

        url_hist = f"{base}/api/v1/cylinders/{c['code']}/history"
        url_health = f"{base}/api/v1/health"
        workers = worker_pids(SERVERS[base])
        with httpx.Client(headers=headers) as client:
            for _ in range(50):
                client.get(url_hist)
                client.get(url_health)
            backends = backends_of(str(make_url(url).database))
            # Interleaved with GET /health (no login, one query), so that both see the same
            # machine: on a shared machine the gap between them says more than either alone.
            times, health = [], []
            ticks = cpu_ticks(workers), cpu_ticks(backends)
            for _ in range(args.requests):
                t0 = time.perf_counter()
                r = client.get(url_hist)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200 and len(r.json()["items"]) == 50
                t0 = time.perf_counter()
                client.get(url_health)
                health.append((time.perf_counter() - t0) * 1000)
            hz = os.sysconf("SC_CLK_TCK")
            cpu = [(cpu_ticks(p) - t) / hz / args.requests * 1000
                   for p, t in zip((workers, backends), ticks, strict=True)]
            second = client.get(url_hist, params={"cursor": r.json()["next_cursor"]})
            assert len(second.json()["items"]) == 50
        print(f"HTTP first page (50 of {args.events + 1}): p50 {percentile(times, 50):.2f} ms, "
              f"p99 {percentile(times, 99):.2f} ms over {args.requests} requests")
        print(f"  beside GET /api/v1/health in the same loop: p50 {percentile(health, 50):.2f} ms,"
              f" p99 {percentile(health, 99):.2f} ms")
        print(f"  CPU a request pair (history + health): service {cpu[0]:.2f} ms, PostgreSQL "
              f"{cpu[1]:.2f} ms")

        sql = text("SELECT * FROM cylinder_event WHERE cylinder_id = :cid "
                   "ORDER BY occurred_at DESC, id DESC LIMIT 51")
        sql_times = []
        with engine.connect() as conn:
            for _ in range(args.requests):
                t0 = time.perf_counter()
                conn.execute(sql, {"cid": c["id"]}).all()
                sql_times.append((time.perf_counter() - t0) * 1000)
            plan = conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) "
                                     "SELECT * FROM cylinder_event WHERE cylinder_id = :cid "
                                     "ORDER BY occurred_at DESC, id DESC LIMIT 51"),
                                {"cid": c["id"]}).scalars().all()
        print(f"SQL alone: p50 {percentile(sql_times, 50):.2f} ms, "
              f"p99 {percentile(sql_times, 99):.2f} ms")
        print("plan: " + " | ".join(p.strip() for p in plan if "Time" in p or "Append" in p))
        engine.dispose()


if __name__ == "__main__":
    main()
