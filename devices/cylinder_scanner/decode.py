"""Decoding QR codes from camera frames: a cascade, fastest and most robust first.

zxing-cpp (a self-contained wheel) on the whole frame decodes most frames in ~5 ms. When it
fails, the code is usually small and blurred: the cascade finds the region with the densest
edges (a quarter-scale gradient map), crops it, upscales and sharpens it, and tries zxing-cpp
there (a few ms, not the 20+ of the whole frame). pyzbar (needs libzbar0) and OpenCV's
detector are slower last resorts, off by default on the live path (``thorough=True`` adds
them). Measured on the generated degraded set: benchmarks/camera_decode.py.
"""

from __future__ import annotations

import ctypes.util
import logging
from collections.abc import Callable

import cv2
import numpy as np
import zxingcpp

log = logging.getLogger(__name__)

Stage = Callable[[np.ndarray], list[str]]
_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


class Decoded(str):
    """A decoded text that keeps its AIM symbology identifier (ISO/IEC 18004 annex F: ``]Q1``
    a QR code, ``]Q3`` a GS1 QR code), as a serial scanner sends it before the text."""

    symbology: str | None

    def __new__(cls, text: str, symbology: str | None = None) -> Decoded:
        obj = super().__new__(cls, text)
        obj.symbology = symbology
        return obj


def zxing(img: np.ndarray) -> list[str]:
    # Plain text: a GS1 QR reads as its raw element string with FNC1 as GS (0x1D), exactly
    # what a serial scanner sends after ]Q3, not zxing-cpp's default "(8003)…" rendering.
    return [Decoded(r.text, r.symbology_identifier or None)
            for r in zxingcpp.read_barcodes(img, formats=_QR, text_mode=zxingcpp.TextMode.Plain)
            if r.valid]


def sharpen(img: np.ndarray, amount: float = 3.0, sigma: float = 3.0) -> np.ndarray:
    return cv2.addWeighted(img, amount, cv2.GaussianBlur(img, (0, 0), sigma), 1 - amount, 0)


def upscale(img: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


def regions(img: np.ndarray, size: int = 360, count: int = 2) -> list[np.ndarray]:
    """Crops around the places with the densest edges (a QR code is all edges)."""
    small = cv2.resize(img, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    energy = cv2.boxFilter(grad.astype(np.float32), -1, (15, 15))
    h, w = img.shape[:2]
    size = min(size, h, w)
    out = []
    for _ in range(count):
        _, peak, _, (x, y) = cv2.minMaxLoc(energy)
        if peak <= 0:
            break
        x0 = int(min(max(x * 4 - size // 2, 0), w - size))
        y0 = int(min(max(y * 4 - size // 2, 0), h - size))
        out.append(img[y0:y0 + size, x0:x0 + size])
        cv2.rectangle(energy, (x - size // 8, y - size // 8), (x + size // 8, y + size // 8),
                      0.0, -1)  # the next crop looks elsewhere
    return out


def zxing_regions(img: np.ndarray) -> list[str]:
    for i, crop in enumerate(regions(img)):
        variants = ((3, True), (2, True), (3, False), (2, False)) if i == 0 else ((3, True),)
        for factor, sharp in variants:
            big = upscale(crop, factor)
            found = zxing(sharpen(big) if sharp else big)
            if found:
                return found
    return []


def zxing_sharpened(img: np.ndarray) -> list[str]:
    return zxing(sharpen(img, 3.0, 1.5))


def pyzbar_stage() -> Stage | None:
    if ctypes.util.find_library("zbar") is None:
        log.info("libzbar0 is not installed: the pyzbar stage is off (zxing-cpp decodes)")
        return None
    from pyzbar import pyzbar

    def decode(img: np.ndarray) -> list[str]:
        return [d.data.decode("utf-8", "replace") for d in
                pyzbar.decode(img, symbols=[pyzbar.ZBarSymbol.QRCODE])]

    return decode


def opencv_stage() -> Stage:
    detector = cv2.QRCodeDetectorAruco()

    def decode(img: np.ndarray) -> list[str]:
        ok, texts, *_ = detector.detectAndDecodeMulti(img)
        return [t for t in texts if t] if ok else []

    return decode


class Decoder:
    """Runs the stages in order and stops at the first that reads something."""

    def __init__(self, thorough: bool = False) -> None:
        self.stages: list[tuple[str, Stage]] = [
            ("zxing", zxing), ("zxing_regions", zxing_regions),
            ("zxing_sharpened", zxing_sharpened),
        ]
        if thorough:
            if (pz := pyzbar_stage()) is not None:
                self.stages.append(("pyzbar", pz))
            self.stages.append(("opencv", opencv_stage()))

    def decode(self, frame: np.ndarray) -> list[str]:
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        for _, stage in self.stages:
            found = stage(grey)
            if found:
                return found
        return []
