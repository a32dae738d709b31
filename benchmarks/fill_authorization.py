"""Fill authorizations per second and p99 at 32 connections, beside a bare JSON echo floor.

Run: .venv/bin/python benchmarks/fill_authorization.py [--cylinders 1000000] [--duration 20]
Loads the cylinders with COPY into a fresh database, serves the app with 2 uvicorn workers, and
drives it with wrk (apt-get install wrk) on loopback: first POST /api/v1/echo (the HTTP floor of
the same server), then POST /api/v1/fill-authorizations scanning random signed labels. Prints
req/s, p99 and the ratio (goal: >= 33 % of the floor, p99 < 25 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from _common import admin_headers, fresh_database, licensed_station, machine, served


def load_cylinders(url: str, owner: str, n: int) -> list[str]:
    """COPY n cylinders owned by ``owner``; returns their codes."""
    from cylinder_trace.domain.codes import make_code

    conninfo = url.replace("postgresql+psycopg://", "postgresql://", 1)
    codes = []
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute("SELECT setval(pg_get_serial_sequence('cylinder', 'id'), %s)", (n + 10,))
        with cur.copy(
            "COPY cylinder (id, code, owner_enterprise_id, region_code, manufacturer, "
            "serial_number, model, water_capacity_l, tare_kg, max_fill_kg, manufacture_date, "
            "design_life_years, valve_type, smart_valve_id, refurbished, status, seized, "
            "recalled, filled, last_inspection_date, last_inspection_result, "
            "next_inspection_due) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                code = make_code("CT", i)
                codes.append(code)
                copy.write_row((i, code, owner, "500103", "bench", f"B{i:09d}", "YSP-35.5",
                                35.5, 16.0, 14.9, "2022-01-01", 8, "single_phase", None, False,
                                "active", False, False, False, "2024-01-01", "pass",
                                "2028-01-01"))
        conn.commit()
        cur.execute("ANALYZE cylinder")
    return codes


def wrk(url: str, script: Path, duration: int, connections: int = 32) -> tuple[float, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    assert m, out
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    dist = re.search(r"Latency Distribution\s+(.*?)\n\s*\d+ requests", out, re.S)
    if dist and os.environ.get("BENCH_VERBOSE"):
        print("  latency: " + " ".join(dist.group(1).split()))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx responses")
    return rps, p99


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cylinders", type=int, default=1_000_000)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--labels", type=int, default=100_000, help="distinct labels scanned")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk (make bench installs it as root)")
    os.environ["CYLINDER_TRACE_BENCH_ECHO"] = "true"
    os.environ["CYLINDER_TRACE_AUTHORIZATION_TTL_SECONDS"] = "3600"
    print(f"machine: {machine()}")

    with fresh_database() as url, served(url, workers=2) as base:
        headers = admin_headers(url, base)
        eid, key = licensed_station(base, headers, 3)
        started = time.perf_counter()
        codes = load_cylinders(url, eid, args.cylinders)
        print(f"loaded {args.cylinders:,} cylinders in {time.perf_counter() - started:.1f} s")

        from cylinder_trace.domain.codes import qr_text, signing_keys

        signer = signing_keys("", os.environ["CYLINDER_TRACE_SECRET_KEY"])[0]
        rnd = random.Random(5)
        labels = [qr_text("http://127.0.0.1:8000", c, signer)
                  for c in rnd.sample(codes, min(args.labels, len(codes)))]
        probe = httpx.post(f"{base}/api/v1/fill-authorizations", headers={"X-API-Key": key},
                           json={"scan": labels[0]}).json()
        assert probe["decision"] == "allow", probe
        with tempfile.TemporaryDirectory() as tmp:
            echo = Path(tmp) / "echo.lua"
            echo.write_text(
                'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.body = \'{{"scan": "{labels[0]}"}}\'\n')
            fill = Path(tmp) / "fill.lua"
            table = ",".join(f'"{x}"' for x in labels)
            fill.write_text(
                f"local labels = {{{table}}}\n"
                'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f'wrk.headers["X-API-Key"] = "{key}"\n'
                "math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))\n"
                "request = function()\n"
                '  local body = \'{"scan": "\' .. labels[math.random(#labels)] .. \'"}\'\n'
                "  return wrk.format(nil, nil, nil, body)\nend\n")
            # (no Lua `response` callback: it makes wrk parse every body and wrk becomes the
            # bottleneck; non-2xx answers are counted by wrk itself)
            wrk(f"{base}/api/v1/echo", echo, 3)  # warm up both workers
            wrk(f"{base}/api/v1/fill-authorizations", fill, 3)
            echo_rps, echo_p99 = wrk(f"{base}/api/v1/echo", echo, args.duration)
            fill_rps, fill_p99 = wrk(f"{base}/api/v1/fill-authorizations", fill, args.duration)
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
            events = conn.execute("SELECT count(*) FROM cylinder_event").fetchone()
        print(f"echo floor:           {echo_rps:8.0f} req/s, p99 {echo_p99:6.2f} ms")
        print(f"fill authorizations:  {fill_rps:8.0f} req/s, p99 {fill_p99:6.2f} ms "
              f"({events[0] if events else 0:,} decision events written)")
        ratio = fill_rps / echo_rps
        print(f"ratio: {ratio:.1%} of the floor (goal >= 33%), p99 goal < 25 ms: "
              f"{'OK' if ratio >= 0.33 and fill_p99 < 25 else 'MISSED'}")


if __name__ == "__main__":
    main()
