"""Modbus RTU for the interlock relay: write single coil (0x05), read coils (0x01), write
multiple coils (0x0F, for the simulator) and exception answers. Pure.

Frames follow the Modbus Application Protocol 1.1b3 (6.1, 6.5, 6.11, 7) and the RTU framing of
Modbus over Serial Line 1.02; they are checked against frames pymodbus builds and answers of a
pymodbus server (tests/data/devices/modbus_vectors.json).
"""

from __future__ import annotations

from .crc import crc16_reflected

WRITE_SINGLE_COIL = 0x05
READ_COILS = 0x01
WRITE_MULTIPLE_COILS = 0x0F
EXCEPTION_BIT = 0x80

# Modbus Application Protocol 1.1b3, clause 7: exception codes
EXCEPTIONS = {
    0x01: "illegal function", 0x02: "illegal data address", 0x03: "illegal data value",
    0x04: "server device failure", 0x05: "acknowledge", 0x06: "server device busy",
    0x08: "memory parity error", 0x0A: "gateway path unavailable",
    0x0B: "gateway target device failed to respond",
}


def crc16_modbus(data: bytes) -> int:
    return crc16_reflected(data, 0xA001)


def with_crc(body: bytes) -> bytes:
    crc = crc16_modbus(body)
    return body + bytes([crc & 0xFF, crc >> 8])


def crc_ok(frame: bytes) -> bool:
    return len(frame) >= 4 and with_crc(frame[:-2]) == frame


def write_coil(address: int, coil: int, on: bool) -> bytes:
    return with_crc(bytes([address, WRITE_SINGLE_COIL, coil >> 8, coil & 0xFF,
                           0xFF if on else 0x00, 0x00]))


def read_coils(address: int, coil: int, count: int = 1) -> bytes:
    return with_crc(bytes([address, READ_COILS, coil >> 8, coil & 0xFF, count >> 8,
                           count & 0xFF]))


def read_coils_answer(address: int, bits: int, count: int = 1) -> bytes:
    """The answer to read coils: ``count`` states, the first coil in the lowest bit."""
    n = (count + 7) // 8
    return with_crc(bytes([address, READ_COILS, n]) + (bits & ((1 << count) - 1)).to_bytes(
        n, "little"))


def write_coils(address: int, coil: int, states: list[bool]) -> bytes:
    bits = sum(1 << i for i, on in enumerate(states) if on)
    n = (len(states) + 7) // 8
    return with_crc(bytes([address, WRITE_MULTIPLE_COILS, coil >> 8, coil & 0xFF,
                           len(states) >> 8, len(states) & 0xFF, n]) + bits.to_bytes(n, "little"))


def write_coils_answer(address: int, coil: int, count: int) -> bytes:
    return with_crc(bytes([address, WRITE_MULTIPLE_COILS, coil >> 8, coil & 0xFF, count >> 8,
                           count & 0xFF]))


def exception_answer(address: int, function: int, code: int) -> bytes:
    return with_crc(bytes([address, function | EXCEPTION_BIT, code]))


def exception_of(frame: bytes, address: int, function: int) -> int | None:
    """The exception code if ``frame`` starts with the device's exception answer to
    ``function`` (address, function + 0x80, code, CRC: five bytes), else None."""
    if len(frame) >= 5 and frame[0] == address and frame[1] == function | EXCEPTION_BIT \
            and crc_ok(frame[:5]):
        return frame[2]
    return None


def describe_exception(code: int) -> str:
    return f"Modbus exception {code:02X} ({EXCEPTIONS.get(code, 'unknown')})"


def parse_read_coils(frame: bytes, address: int) -> bool:
    """The first coil's state from a read-coils answer; ValueError if malformed."""
    if len(frame) != 6 or not crc_ok(frame) or frame[0] != address or frame[1] != READ_COILS \
            or frame[2] != 1:
        raise ValueError("malformed read-coils answer")
    return bool(frame[3] & 1)
