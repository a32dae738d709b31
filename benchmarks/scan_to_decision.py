"""Scan-to-decision latency through the appliance: a simulated serial scanner sends a label,
the appliance's driver reads it and asks the real service; time until the answer is shown.

Run: .venv/bin/python benchmarks/scan_to_decision.py [--scans 300]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time

import serial
from _common import admin_headers, fresh_database, licensed_station, machine, percentile, served
from fill_authorization import load_cylinders

from cylinder_scanner.client import ServiceClient
from cylinder_scanner.display import Display
from cylinder_scanner.sim.devices import ScannerSim
from cylinder_scanner.sources.serial_scanner import SerialScanner


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scans", type=int, default=300)
    args = ap.parse_args()
    print(f"machine: {machine()}")
    from cylinder_trace.domain.codes import qr_text, signing_keys

    with fresh_database() as url, served(url, workers=1) as base:
        headers = admin_headers(url, base)
        eid, key = licensed_station(base, headers, 4)
        codes = load_cylinders(url, eid, 10_000)
        signer = signing_keys("", os.environ["CYLINDER_TRACE_SECRET_KEY"])[0]
        labels = [qr_text("http://127.0.0.1:8000", c, signer)
                  for c in random.Random(3).sample(codes, args.scans)]
        client = ServiceClient(base, key)
        display = Display(io.StringIO(), colour=False)
        times = []
        with ScannerSim(b"\r\n") as sim:
            scanner = SerialScanner(serial.Serial(sim.path, 9600, timeout=0.05),
                                    dedup_window=0.0)
            for label in labels:
                started = time.perf_counter()
                sim.send(label, aim="]Q1")
                read = scanner.read(2.0)
                assert read is not None
                answer = client.authorize(read.text)
                display.answer(answer)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.allow, answer
        print(f"scan to decision (9600-baud pty + HTTP): p50 {percentile(times, 50):.1f} ms, "
              f"p99 {percentile(times, 99):.1f} ms ({len(times)} scans)")


if __name__ == "__main__":
    main()
