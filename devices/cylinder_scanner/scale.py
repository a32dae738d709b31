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
        self.port.reset_input_buffer()
        self.port.write(mtsics.SEND_WEIGHT)
        deadline = time.monotonic() + timeout
        line = bytearray()
        while time.monotonic() < deadline:
            self.port.timeout = 0.05
            chunk = self.port.read(64)
            line += chunk
            if b"\n" in line:
                text = bytes(line).split(b"\n", 1)[0].decode("ascii", "replace")
                return mtsics.parse_weight(text)
            if len(line) > 256:
                raise DeviceError("scale sends noise")
        raise DeviceError("the scale does not answer")

    def close(self) -> None:
        self.port.close()
