"""A serial / USB-CDC barcode scanner (or an HF reader typing tag ids as lines)."""

from __future__ import annotations

import time
from typing import Any

from ..protocols.barcode import Deduper, LineFramer
from ..types import ScanRead


class SerialScanner:
    def __init__(self, port: Any, *, source: str = "scanner", is_tag: bool = False,
                 dedup_window: float = 2.0) -> None:
        self.port = port
        self.source = source
        self.is_tag = is_tag
        self.framer = LineFramer()
        self.dedup = Deduper(dedup_window)
        self.pending: list[ScanRead] = []

    def read(self, timeout: float) -> ScanRead | None:
        deadline = time.monotonic() + timeout
        while not self.pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.port.timeout = min(left, 0.1)
            data = self.port.read(max(1, getattr(self.port, "in_waiting", 0) or 1))
            now = time.monotonic()
            for text, symbology in self.framer.feed(data):
                if self.dedup.fresh(text, now):
                    self.pending.append(ScanRead(
                        text.upper() if self.is_tag else text, self.source, now,
                        is_tag=self.is_tag, symbology=symbology))
        return self.pending.pop(0)

    def close(self) -> None:
        self.port.close()
