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

    def __init__(self, address: int = 0, per_frame: int = 0) -> None:
        self.address = address
        self.tags: list[str] = []
        self.per_frame = per_frame  # > 0: answers of several frames (status 0x03, then 0x01)
        self.active = False  # active (scan) mode: pushes 0xEE reports unasked
        self.buffer = bytearray()
        super().__init__()

    def present(self, epc: str | list[str] | None) -> None:
        epcs = [epc] if isinstance(epc, str) else list(epc or [])
        self.tags = [e.upper() for e in epcs if e]

    def tick(self) -> None:
        if self.active:
            for epc in self.tags:
                self.reply(rfid_uhf.active_report(self.address, bytes.fromhex(epc)))

    def handle(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= 5:
            n = self.buffer[0] + 1
            if len(self.buffer) < n:
                return
            frame = bytes(self.buffer[:n])
            del self.buffer[:n]
            crc = rfid_uhf.crc16_mcrf4xx(frame[:-2])
            if frame[-2:] == bytes([crc & 0xFF, crc >> 8]) and frame[2] == rfid_uhf.INVENTORY \
                    and not self.active:  # scanning on its own, it answers no inventory
                self.reply(rfid_uhf.inventory_response(self.address, list(self.tags),
                                                       self.per_frame))


class RelaySim(PtySim):
    """A Modbus RTU relay module with ``coils`` coils; ``valve`` opens the filling valve.

    Like a real module (and pymodbus's server): it honours the coil address, answers read coils,
    write single coil (echo) and write multiple coils (0x0F), and answers an exception for an
    address out of range (02), a bad value (03) or another function (01)."""

    def __init__(self, address: int = 1, valve: int = 0, coils: int = 16) -> None:
        self.address = address
        self.valve = valve
        self.coils = [False] * coils
        self.history: list[bool] = []  # every write to the valve's coil
        self.buffer = bytearray()
        self.ignore_writes = False  # a broken relay: echoes but does not switch
        super().__init__()

    @property
    def coil(self) -> bool:
        return self.coils[self.valve] if self.valve < len(self.coils) else False

    def _frame_length(self) -> int | None:
        if len(self.buffer) < 2:
            return None
        if self.buffer[1] == modbus.WRITE_MULTIPLE_COILS:
            return 9 + self.buffer[6] if len(self.buffer) >= 7 else None
        return 8

    def handle(self, data: bytes) -> None:
        self.buffer += data
        while (n := self._frame_length()) is not None and len(self.buffer) >= n:
            frame = bytes(self.buffer[:n])
            if not modbus.crc_ok(frame) or frame[0] != self.address:
                del self.buffer[0]  # noise, or another device's frame: resynchronise
                continue
            del self.buffer[:n]
            self.reply(self._answer(frame))

    def _write(self, coil: int, on: bool) -> None:
        if not self.ignore_writes:
            self.coils[coil] = on
        if coil == self.valve:
            self.history.append(on)

    def _answer(self, frame: bytes) -> bytes:
        fn, start = frame[1], int.from_bytes(frame[2:4], "big")
        value = int.from_bytes(frame[4:6], "big")
        fail = lambda code: modbus.exception_answer(self.address, fn, code)  # noqa: E731
        if fn == modbus.WRITE_SINGLE_COIL:
            if value not in (0xFF00, 0x0000):
                return fail(0x03)
            if start >= len(self.coils):
                return fail(0x02)
            self._write(start, value == 0xFF00)
            return frame
        if fn in (modbus.READ_COILS, modbus.WRITE_MULTIPLE_COILS):
            if not 1 <= value <= 1968:
                return fail(0x03)
            if start + value > len(self.coils):
                return fail(0x02)
            if fn == modbus.READ_COILS:
                bits = sum(1 << i for i in range(value) if self.coils[start + i])
                return modbus.read_coils_answer(self.address, bits, value)
            states = int.from_bytes(frame[7:-2], "little")
            for i in range(value):
                self._write(start + i, bool(states >> i & 1))
            return modbus.write_coils_answer(self.address, start, value)
        return fail(0x01)


class ScaleSim(PtySim):
    """An MT-SICS scale. Linked to a relay, the weight rises while the valve is open."""

    def __init__(self, kg: float = 0.0) -> None:
        self.kg = kg
        self.stable = True
        self.rate = 0.0  # kg per second while the linked relay is on
        self.relay: RelaySim | None = None
        self.buffer = bytearray()
        self.streaming = False  # an indicator left in continuous output: we listen mid-line
        self.answer: bytes | None = None  # a fixed answer line (an error), instead of a weight
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
                answer = self.answer or mtsics.weight_answer(self.kg, self.stable and not flowing)
                # streaming: the host starts listening in the middle of a line already on the wire
                tail = mtsics.weight_answer(self.kg + 1.111, False)[7:] if self.streaming else b""
                self.reply(tail + answer)
