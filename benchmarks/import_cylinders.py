"""Bulk CSV import: 100,000 rows through POST /api/v1/cylinders/import (goal: under 10 s).

Run: .venv/bin/python benchmarks/import_cylinders.py [--rows 100000] [--runs 3]
Uses DATABASE_URL when set, else the embedded PostgreSQL; a fresh database each time.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta

import httpx
from _common import admin_headers, fresh_database, machine, served

MODELS = ["YSP-12", "YSP-35.5", "YSP-35.5", "YSP-35.5", "YSP-118", "YSP-4.7"]


def make_csv(rows: int, seed: int = 7) -> bytes:
    rnd = random.Random(seed)
    lines = ["manufacturer,serial_number,model,manufacture_date,rfid,tare_kg,"
             "last_inspection_date"]
    start = date(2012, 1, 1)
    for n in range(rows):
        made = start + timedelta(days=rnd.randrange(0, 4500))
        inspected = made + timedelta(days=rnd.randrange(0, 1400))
        tag = f"E280{n:020X}" if n % 3 == 0 else ""
        lines.append(
            f"百工钢瓶厂,BG{n:09d},{rnd.choice(MODELS)},{made},{tag},"
            f"{14 + rnd.random() * 3:.1f},{min(inspected, date(2026, 11, 1))}"
        )
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data = make_csv(args.rows)
    print(f"machine: {machine()}")
    print(f"file: {args.rows} rows, {len(data) / 1e6:.1f} MB")
    results = []
    for run in range(1, args.runs + 1):
        with fresh_database() as url, served(url) as base:
            headers = admin_headers(url, base)
            r = httpx.post(f"{base}/api/v1/enterprises", headers=headers, json={
                "name": "基准燃气", "credit_code": _credit(), "region_code": "500103"})
            r.raise_for_status()
            owner = r.json()["id"]
            started = time.perf_counter()
            r = httpx.post(f"{base}/api/v1/cylinders/import?owner_enterprise_id={owner}",
                           content=data, headers={**headers, "Content-Type": "text/csv"},
                           timeout=300)
            elapsed = time.perf_counter() - started
            r.raise_for_status()
            report = r.json()
            assert report["imported"] == args.rows, report["errors"][:5]
            results.append(elapsed)
            print(f"run {run}: {args.rows} rows in {elapsed:.2f} s wall "
                  f"({args.rows / elapsed:,.0f} rows/s; service-side {report['seconds']:.2f} s)")
    best = min(results)
    print(f"best: {best:.2f} s for {args.rows} rows (goal < 10 s): "
          f"{'OK' if best < 10 else 'MISSED'}")


def _credit() -> str:
    from cylinder_trace.domain.identifiers import credit_code_check

    body = "91500000MA0000001"
    return body + credit_code_check(body)


if __name__ == "__main__":
    main()
