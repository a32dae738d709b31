"""Modbus RTU for the interlock relay: write single coil (0x05), read coils (0x01). Pure."""

from __future__ import annotations

WRITE_SINGLE_COIL = 0x05
READ_COILS = 0x01


def crc16_modbus(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


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


def read_coils_answer(address: int, bits: int) -> bytes:
    return with_crc(bytes([address, READ_COILS, 1, bits & 0xFF]))


def parse_read_coils(frame: bytes, address: int) -> bool:
    """The first coil's state from a read-coils answer; ValueError if malformed."""
    if len(frame) != 6 or not crc_ok(frame) or frame[0] != address or frame[1] != READ_COILS \
            or frame[2] != 1:
        raise ValueError("malformed read-coils answer")
    return bool(frame[3] & 1)
