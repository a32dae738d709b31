"""CRC-16, reflected, initial 0xFFFF, no final XOR: the one loop behind CRC-16/MODBUS (Modbus RTU,
polynomial 0xA001) and CRC-16/MCRF4XX (the UHF reader, 0x8408). Pure."""

from __future__ import annotations


def crc16_reflected(data: bytes, poly: int) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc
