"""The filling scale over MT-SICS: the appliance asks, the scale answers."""

from __future__ import annotations

import time
from typing import Any

from .protocols import mtsics
from .types import DeviceError, Weight


class MtSicsScale:
    def __init__(self, port: Any) -> None:
        self.port = port

    def read_weight(self, timeout: float = 1.0) -> Weight:
        """The weight from the first whole answer line. An indicator left streaming (SIR, or
        continuous output) may be mid-line when we start listening: the bytes before the first
        line boundary are that line's tail, not an answer, and are skipped."""
        self.port.reset_input_buffer()
        self.port.write(mtsics.SEND_WEIGHT)
        deadline = time.monotonic() + timeout
        buffer = bytearray()
        first = True
        while time.monotonic() < deadline:
            self.port.timeout = 0.05
            buffer += self.port.read(64)
            while b"\n" in buffer:
                raw, _, rest = bytes(buffer).partition(b"\n")
                buffer = bytearray(rest)
                line = raw.decode("ascii", "replace").strip()
                if first and not mtsics.is_answer(line):
                    first = False
                    continue  # the tail of a line sent before we listened
                if line:
                    return mtsics.parse_weight(line)
            if len(buffer) > 256:
                raise DeviceError("scale sends noise")
        raise DeviceError("the scale does not answer")

    def close(self) -> None:
        self.port.close()
