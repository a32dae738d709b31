"""A camera as a code source: frames from OpenCV, decoded by the cascade, de-duplicated."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..decode import Decoder
from ..protocols.barcode import Deduper
from ..types import ScanRead


class CameraSource:
    def __init__(self, frames: Iterator[np.ndarray] | Callable[[], np.ndarray | None],
                 decoder: Decoder | None = None, dedup_window: float = 3.0,
                 release: Callable[[], Any] | None = None) -> None:
        self._next = frames if callable(frames) else (lambda it=frames: next(it, None))
        self.decoder = decoder or Decoder()
        self.dedup = Deduper(dedup_window)
        self._release = release

    @classmethod
    def open(cls, device: str | int) -> CameraSource:
        import cv2

        cap = cv2.VideoCapture(int(device) if str(device).isdigit() else device)
        if not cap.isOpened():
            raise RuntimeError(f"cannot open camera {device}")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, 1280)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, 720)

        def grab() -> np.ndarray | None:
            ok, frame = cap.read()
            return frame if ok else None

        return cls(grab, release=cap.release)

    def read(self, timeout: float) -> ScanRead | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = self._next()
            if frame is None:
                return None
            now = time.monotonic()
            for text in self.decoder.decode(frame):
                if self.dedup.fresh(text, now):
                    # zxing-cpp says which QR it was (]Q3: GS1); other stages cannot tell
                    symbology = getattr(text, "symbology", None) or "]Q1"
                    return ScanRead(str(text), "camera", now, symbology=symbology)
        return None

    def close(self) -> None:
        if self._release is not None:
            self._release()
