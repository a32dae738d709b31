"""Camera decode rate and frames per second on a generated degraded set (fixed seed).

Run: .venv/bin/python benchmarks/camera_decode.py [--frames 200] [--seed 2026]
One core (OpenCV threads = 1); 1280x720 grey frames: small, blurred, rotated, perspective,
low-contrast codes. Goal: >= 85 % decoded at >= 60 frames per second.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2
from _common import machine

from cylinder_scanner import decode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test frames live in tests/
from tests.devices.framegen import Frame, frames


def measure(name: str, fn: decode.Stage, sample: list[Frame]) -> None:
    hits = 0
    started = time.perf_counter()
    for f in sample:
        hits += f.text in fn(f.image)
    per = (time.perf_counter() - started) / len(sample)
    print(f"{name:28s} {hits / len(sample):6.1%} decoded  {per * 1000:7.1f} ms/frame  "
          f"{1 / per:7.0f} fps")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    print(f"machine: {machine()}")
    sample = list(frames(args.frames, seed=args.seed))
    print(f"{len(sample)} frames 1280x720, seed {args.seed}")
    measure("zxing-cpp alone", decode.zxing, sample)
    pz = decode.pyzbar_stage()
    if pz is not None:
        measure("pyzbar alone", pz, sample)
    measure("opencv aruco alone", decode.opencv_stage(), sample)
    measure("cascade (live path)", decode.Decoder().decode, sample)
    measure("cascade + pyzbar + opencv", decode.Decoder(thorough=True).decode, sample)


if __name__ == "__main__":
    main()
