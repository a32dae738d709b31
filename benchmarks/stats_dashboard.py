"""Dashboard statistics on a province-sized data set: 1,000,000 cylinders, 20,000,000 events.

Run: .venv/bin/python benchmarks/stats_dashboard.py [--cylinders 1000000] [--events 20000000]
Loads 100 enterprises with 20 stations each over 20 districts, the cylinders (COPY) and a year of
events (INSERT … SELECT; the hash-chain trigger is switched off for the load only — it chains
each event to the one before and would take an hour here; the statistics triggers stay on),
then times each statistics endpoint and the whole dashboard page over HTTP, as the platform
admin (everything), a regional regulator and a company, before and after the compact_stats job.
Uses DATABASE_URL when set, else the embedded PostgreSQL. Goal: every query < 200 ms.
"""

from __future__ import annotations

import argparse
import time
import uuid

import httpx
import psycopg
from _common import ADMIN_PASSWORD, admin_headers, fresh_database, machine, percentile, served

DISTRICTS = [f"5001{i:02d}" for i in range(1, 17)] + ["440103", "440104", "440105", "440106"]
REASONS = ["INSPECTION_OVERDUE", "TWO_PHASE_VALVE", "NOT_OWNER", "SERVICE_LIFE_EXCEEDED",
           "SEIZED", "UNREGISTERED"]


def load(conninfo: str, cylinders: int, events: int) -> list[str]:
    from cylinder_trace.domain.codes import make_code
    from cylinder_trace.domain.identifiers import credit_code_check

    enterprises = []
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        for i in range(100):
            body = f"91500000MB{i:07d}"
            eid = uuid.uuid4()
            region = DISTRICTS[i % len(DISTRICTS)]
            cur.execute("INSERT INTO enterprise (id, name, credit_code, region_code) "
                        "VALUES (%s, %s, %s, %s)",
                        (eid, f"燃气公司{i:03d}", body + credit_code_check(body), region))
            for s in range(20):
                cur.execute("INSERT INTO station (id, enterprise_id, name, region_code, address, "
                            "locked) VALUES (%s, %s, %s, %s, %s, false)",
                            (uuid.uuid4(), eid, f"站{i}-{s}", region, ""))
            enterprises.append((eid, region))
        t0 = time.perf_counter()
        with cur.copy(
            "COPY cylinder (id, code, owner_enterprise_id, region_code, manufacturer, "
            "serial_number, model, water_capacity_l, tare_kg, max_fill_kg, manufacture_date, "
            "design_life_years, valve_type, refurbished, status, seized, recalled, filled, "
            "last_inspection_date, last_inspection_result, next_inspection_due) FROM STDIN"
        ) as copy:
            for i in range(1, cylinders + 1):
                eid, region = enterprises[i % 100]
                due = f"{2025 + i % 5}-{1 + i % 12:02d}-{1 + i % 28:02d}"
                status = "scrapped" if i % 50 == 0 else "active"
                copy.write_row((i, make_code("CT", i), eid, region, "bench", f"S{i:09d}",
                                "YSP-35.5", 35.5, 16.0, 14.9, "2021-01-01", 8, "single_phase",
                                False, status, i % 997 == 0, i % 1009 == 0, False, "2022-01-01",
                                "fail" if i % 211 == 0 else "pass", due))
        conn.commit()
        print(f"  {cylinders:,} cylinders in {time.perf_counter() - t0:.1f} s")
        cur.execute("SELECT ct_ensure_event_partitions((date_trunc('month', now()) "
                    "- interval '13 months')::date, 15)")
        cur.execute("ALTER TABLE cylinder_event DISABLE TRIGGER cylinder_event_chain")
        conn.commit()
        t0 = time.perf_counter()
        step = 1_000_000
        for start in range(0, events, step):
            n = min(step, events - start)
            # a year of events, every cylinder, the stations of its owner; one in 20 a refusal
            cur.execute("""
                WITH s AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM station)
                INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind,
                                            station_id, enterprise_id, payload)
                SELECT 1 + (g * 7919) %% %(c)s, now() - (g %% 525600) * interval '1 minute',
                       k.kind, 'station', st.id, st.enterprise_id,
                       CASE WHEN k.kind = 'fill_denied' THEN jsonb_build_object('reasons',
                            jsonb_build_array((%(reasons)s::text[])[1 + g %% 6]))
                            ELSE '{}'::jsonb END
                FROM generate_series(%(a)s::bigint, %(b)s::bigint) g CROSS JOIN s
                CROSS JOIN LATERAL (SELECT CASE WHEN g %% 20 = 0 THEN 'fill_denied'
                    WHEN g %% 20 < 9 THEN 'filled' WHEN g %% 20 < 17 THEN 'fill_authorized'
                    ELSE 'delivered' END AS kind) k
                JOIN station st ON st.id = s.ids[1 + (g %% s.n)::int]""",
                        {"c": cylinders, "a": start + 1, "b": start + n, "reasons": REASONS})
            conn.commit()
            print(f"  {start + n:,} events, {time.perf_counter() - t0:.0f} s", flush=True)
        cur.execute("ALTER TABLE cylinder_event ENABLE TRIGGER cylinder_event_chain")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM ANALYZE")
    return [str(e) for e, _ in enterprises]


def timed(client: httpx.Client, path: str, n: int) -> tuple[float, float]:
    for _ in range(3):
        client.get(path).raise_for_status()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50), percentile(times, 99)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cylinders", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=20_000_000)
    ap.add_argument("--requests", type=int, default=50)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    with fresh_database() as url:
        conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
        t0 = time.perf_counter()
        enterprises = load(conninfo, args.cylinders, args.events)
        print(f"loaded in {time.perf_counter() - t0:.0f} s")
        with served(url) as base:
            admin = admin_headers(url, base)
            users = {"platform admin": admin}
            for name, body in (
                    ("regulator 500000", {"role": "regulator", "region_codes": ["500000"]}),
                    ("regulator 500103", {"role": "regulator", "region_codes": ["500103"]}),
                    ("company", {"role": "enterprise_admin", "enterprise_id": enterprises[3]})):
                uname = name.replace(" ", "-")
                httpx.post(f"{base}/api/v1/users", headers=admin, json={
                    "username": uname, "password": ADMIN_PASSWORD, **body}).raise_for_status()
                tok = httpx.post(f"{base}/api/v1/auth/token", data={
                    "username": uname, "password": ADMIN_PASSWORD}).json()["access_token"]
                users[name] = {"Authorization": f"Bearer {tok}"}
            paths = ["/api/v1/stats/cylinders", "/api/v1/stats/fills-per-day",
                     "/api/v1/stats/deny-reasons"]
            with psycopg.connect(conninfo) as conn:
                t0 = time.perf_counter()
                conn.execute("SELECT ct_compact_stats()")
                print(f"compact_stats after the bulk load: {time.perf_counter() - t0:.1f} s")
            for phase in ("compacted", "plus one minute of live deltas"):
                if phase != "compacted":
                    # what the minute between two compact_stats runs leaves at the measured
                    # fill-authorization rate (~2,600/s in batches of ~16): 10,000 statements
                    t0 = time.perf_counter()
                    with psycopg.connect(conninfo) as conn:
                        # the chain trigger off again: it is not what is measured here
                        conn.execute("ALTER TABLE cylinder_event DISABLE TRIGGER "
                                     "cylinder_event_chain")
                        conn.execute("""DO $$ BEGIN FOR i IN 1..10000 LOOP
                            INSERT INTO cylinder_event (cylinder_id, occurred_at, kind,
                                actor_kind, station_id, enterprise_id, payload)
                            SELECT 1 + (i * 16 + g) % 1000000, now(), CASE WHEN g = 0 THEN
                                'fill_denied' ELSE 'filled' END, 'station', st.id,
                                st.enterprise_id, CASE WHEN g = 0 THEN
                                '{"reasons": ["INSPECTION_OVERDUE"]}'::jsonb ELSE '{}' END
                            FROM generate_series(0, 15) g JOIN LATERAL (SELECT id,
                                enterprise_id FROM station OFFSET i % 2000 LIMIT 1) st ON true;
                            END LOOP; END $$""")
                        conn.execute("ALTER TABLE cylinder_event ENABLE TRIGGER "
                                     "cylinder_event_chain")
                        deltas = conn.execute(
                            "SELECT count(*) FROM stat_fill_delta").fetchone()
                    print(f"160,000 live events in {time.perf_counter() - t0:.1f} s, "
                          f"{deltas[0] if deltas else 0:,} delta rows")
                print(f"== {phase}")
                for who, headers in users.items():
                    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                        for path in paths:
                            p50, p99 = timed(client, path, args.requests)
                            print(f"{who:18} {path:30} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
                with httpx.Client(base_url=base, timeout=60) as client:
                    client.post("/login", data={"username": "regulator-500000",
                                                "password": ADMIN_PASSWORD})
                    for page in ("/dashboard", "/feed"):
                        p50, p99 = timed(client, page, args.requests)
                        print(f"{'regulator 500000':18} {page + ' (page)':30} "
                              f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")


if __name__ == "__main__":
    main()
