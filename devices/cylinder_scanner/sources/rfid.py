"""A UHF RFID reader on a serial port (CF-RU5102 protocol), with reconnect after unplugging."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ..protocols import rfid_uhf
from ..protocols.barcode import Deduper
from ..types import ScanRead

log = logging.getLogger(__name__)


class RfidReader:
    def __init__(self, open_port: Callable[[], Any], *, address: int = 0xFF,
                 answer_timeout: float = 0.3, dedup_window: float = 2.0) -> None:
        self.open_port = open_port  # called again after the port disappears
        self.address = address
        self.answer_timeout = answer_timeout
        self.port: Any = None
        self.dedup = Deduper(dedup_window)
        self.active_mode = False  # set once the reader was seen pushing 0xEE reports

    def _inventory(self) -> list[str]:
        if self.port is None:
            self.port = self.open_port()
        framer = rfid_uhf.ResponseFramer()
        self.port.reset_input_buffer()
        self.port.write(rfid_uhf.inventory(self.address))
        deadline = time.monotonic() + self.answer_timeout
        tags: list[str] = []
        while time.monotonic() < deadline:
            self.port.timeout = 0.05
            for response in framer.feed(self.port.read(64)):
                if response.command == rfid_uhf.ACTIVE_REPORT:
                    self._in_active_mode()
                    continue
                found = rfid_uhf.tags_of(response)
                if found is None:
                    continue
                tags += found
                if response.status in rfid_uhf.FINAL_STATUSES:
                    return tags  # status 0x03: more frames of this answer follow
        return tags

    def _in_active_mode(self) -> None:
        # The layout of the pushed report's payload differs between reader firmwares (flags,
        # antenna and padding around the EPC), so its bytes are not taken as a tag id: a wrong
        # id would name another cylinder. The station is told what to change instead.
        if not self.active_mode:
            log.error("%s", rfid_uhf.ACTIVE_MODE_HELP)
        self.active_mode = True

    def read(self, timeout: float) -> ScanRead | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                tags = self._inventory()
            except (OSError, Exception) as exc:  # serial.SerialException is an OSError subclass
                log.warning("RFID reader lost (%s); reconnecting", type(exc).__name__)
                self._drop()
                time.sleep(0.1)
                continue
            now = time.monotonic()
            for tag in tags:
                if self.dedup.fresh(tag, now):
                    return ScanRead(tag, "rfid", now, is_tag=True)
            time.sleep(0.05)
        return None

    def _drop(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except OSError:
                pass
        self.port = None

    def close(self) -> None:
        self._drop()
