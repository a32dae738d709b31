"""Simulators of the four devices of devices.md, speaking the same bytes."""

from __future__ import annotations

import time

from ..protocols import modbus, mtsics, rfid_uhf
from .base import PtySim


class ScannerSim(PtySim):
    """A serial barcode scanner: ``send`` types a code followed by the terminator."""

    def __init__(self, terminator: bytes = b"\r") -> None:
        self.terminator = terminator
        super().__init__()

    def send(self, text: str, aim: str | None = None) -> None:
        self.reply((aim or "").encode() + text.encode() + self.terminator)

    def send_raw(self, data: bytes) -> None:
        self.reply(data)


class RfidSim(PtySim):
    """A CF-RU5102 reader: answers inventory commands with the tag in the field, if any."""

    def __init__(self, address: int = 0) -> None:
        self.address = address
        self.tags: list[str] = []
        self.buffer = bytearray()
        super().__init__()

    def present(self, epc: str | None) -> None:
        self.tags = [epc.upper()] if epc else []

    def handle(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 5:
            n = self.buffer[0] + 1
            if len(self.buffer) < n:
                return
            frame = bytes(self.buffer[:n])
            del self.buffer[:n]
            crc = rfid_uhf.crc16_mcrf4xx(frame[:-2])
            if frame[-2:] == bytes([crc & 0xFF, crc >> 8]) and frame[2] == rfid_uhf.INVENTORY:
                self.reply(rfid_uhf.inventory_response(self.address, list(self.tags)))


class RelaySim(PtySim):
    """A Modbus RTU relay module: coil 0 opens the filling valve; echoes writes."""

    def __init__(self, address: int = 1) -> None:
        self.address = address
        self.coil = False
        self.history: list[bool] = []
        self.buffer = bytearray()
        self.ignore_writes = False  # a broken relay: echoes but does not switch
        super().__init__()

    def handle(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 8:
            frame = bytes(self.buffer[:8])
            if not modbus.crc_ok(frame) or frame[0] != self.address:
                del self.buffer[0]
                continue
            del self.buffer[:8]
            if frame[1] == modbus.WRITE_SINGLE_COIL:
                on = frame[4] == 0xFF
                if not self.ignore_writes:
                    self.coil = on
                self.history.append(on)
                self.reply(frame)
            elif frame[1] == modbus.READ_COILS:
                self.reply(modbus.read_coils_answer(self.address, int(self.coil)))


class ScaleSim(PtySim):
    """An MT-SICS scale. Linked to a relay, the weight rises while the valve is open."""

    def __init__(self, kg: float = 0.0) -> None:
        self.kg = kg
        self.stable = True
        self.rate = 0.0  # kg per second while the linked relay is on
        self.relay: RelaySim | None = None
        self.buffer = bytearray()
        self._last = time.monotonic()
        super().__init__()

    def set(self, kg: float, stable: bool = True) -> None:
        self.kg, self.stable = kg, stable

    def link(self, relay: RelaySim, rate_kg_s: float) -> None:
        self.relay, self.rate = relay, rate_kg_s

    def tick(self) -> None:
        now = time.monotonic()
        if self.relay is not None and self.relay.coil:
            self.kg += self.rate * (now - self._last)
        self._last = now

    def handle(self, data: bytes) -> None:
        self.tick()
        self.buffer += data
        while b"\n" in self.buffer:
            line, _, rest = bytes(self.buffer).partition(b"\n")
            self.buffer = bytearray(rest)
            cmd = line.strip()
            if cmd in (b"SI", b"S"):
                flowing = self.relay is not None and self.relay.coil and self.rate > 0
                self.reply(mtsics.weight_answer(self.kg, self.stable and not flowing))
