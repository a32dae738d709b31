"""The filling valve's interlock: a Modbus RTU coil, written then read back.

A small driver over pyserial rather than pymodbus: two function codes, byte-exact, and no
extra dependency on the appliance; the frames are tested against devices.md's literals and the
driver against pymodbus's own RTU server on a pseudo-terminal (tests/devices).
"""

from __future__ import annotations

import time
from typing import Any

from .protocols import modbus
from .types import DeviceError


class ModbusRelay:
    def __init__(self, port: Any, address: int = 1, coil: int = 0, timeout: float = 0.5) -> None:
        self.port, self.address, self.coil, self.timeout = port, address, coil, timeout

    def _exchange(self, frame: bytes, answer_len: int) -> bytes:
        self.port.reset_input_buffer()
        self.port.write(frame)
        deadline = time.monotonic() + self.timeout
        got = bytearray()
        while len(got) < answer_len and time.monotonic() < deadline:
            self.port.timeout = 0.05
            got += self.port.read(answer_len - len(got))
            # An exception answer is shorter than the one awaited: it is the device's error,
            # known at once, not silence to be waited out until the deadline.
            if (code := modbus.exception_of(bytes(got), self.address, frame[1])) is not None:
                raise DeviceError(f"the relay refused the command: "
                                  f"{modbus.describe_exception(code)}")
        if len(got) < answer_len:
            raise DeviceError("the relay does not answer")
        return bytes(got)

    def set(self, on: bool) -> None:
        frame = modbus.write_coil(self.address, self.coil, on)
        if self._exchange(frame, 8) != frame:
            raise DeviceError("the relay's echo does not match the command")
        if self.is_on() != on:
            raise DeviceError("the relay did not switch (read-back differs)")

    def is_on(self) -> bool:
        answer = self._exchange(modbus.read_coils(self.address, self.coil), 6)
        try:
            return modbus.parse_read_coils(answer, self.address)
        except ValueError as exc:
            raise DeviceError(str(exc)) from exc

    def close(self) -> None:
        self.port.close()
