"""The CF-RU5102 / "UHFReader18" serial protocol (devices.md), byte for byte. Pure.

Command ``Len Adr Cmd Data CRC-LSB CRC-MSB``; response ``Len Adr reCmd Status Data CRC``;
CRC-16/MCRF4XX (reflected 0x8408, init 0xFFFF, no final XOR) over Len..Data, LSB first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .crc import crc16_reflected

INVENTORY = 0x01
ACTIVE_REPORT = 0xEE  # a tag report pushed by a reader in active (scan) mode, unasked
STATUS_DONE, STATUS_TIMEOUT, STATUS_MORE, STATUS_FULL, STATUS_NO_TAG = 0x01, 0x02, 0x03, 0x04, 0xFB
# An inventory answer with STATUS_MORE is followed by further frames; these statuses end it.
FINAL_STATUSES = frozenset({STATUS_DONE, STATUS_TIMEOUT, STATUS_FULL, STATUS_NO_TAG})
ACTIVE_MODE_HELP = ("the RFID reader is in active (scan) mode and pushes 0xEE tag reports "
                    "without being asked; switch it to answer mode (work mode, command 0x35, or "
                    "the vendor's setup tool): its pushed reports are not read as tags")


def crc16_mcrf4xx(data: bytes) -> int:
    return crc16_reflected(data, 0x8408)


def command(address: int, cmd: int, data: bytes = b"") -> bytes:
    body = bytes([4 + len(data), address, cmd]) + data
    crc = crc16_mcrf4xx(body)
    return body + bytes([crc & 0xFF, crc >> 8])


def inventory(address: int = 0xFF) -> bytes:
    return command(address, INVENTORY)


@dataclass(frozen=True)
class Response:
    address: int
    command: int
    status: int
    data: bytes


@dataclass
class ResponseFramer:
    """Finds valid frames in a stream: the earliest complete frame whose CRC holds wins, and
    everything before it is garbage. A length byte from noise cannot stall the stream."""

    buffer: bytearray = field(default_factory=bytearray)
    max_buffer: int = 1024

    def feed(self, data: bytes) -> list[Response]:
        self.buffer += data
        out = []
        while (found := self._first_frame()) is not None:
            start, total = found
            frame = bytes(self.buffer[start : start + total])
            out.append(Response(frame[1], frame[2], frame[3], frame[4:-2]))
            del self.buffer[: start + total]
        if len(self.buffer) > self.max_buffer:
            del self.buffer[: len(self.buffer) - 256]
        return out

    def _first_frame(self) -> tuple[int, int] | None:
        buf = self.buffer
        for start in range(len(buf) - 5):
            total = buf[start] + 1
            if buf[start] < 5 or start + total > len(buf):
                continue
            crc = crc16_mcrf4xx(bytes(buf[start : start + total - 2]))
            if buf[start + total - 2] == crc & 0xFF and buf[start + total - 1] == crc >> 8:
                return start, total
        return None


def tags_of(response: Response) -> list[str] | None:
    """The EPCs (upper-case hex) of an inventory answer; [] for no tag; None if malformed."""
    if response.command != INVENTORY:
        return None
    if response.status == STATUS_NO_TAG:
        return []
    if response.status not in (STATUS_DONE, STATUS_TIMEOUT, STATUS_MORE, STATUS_FULL):
        return None
    data = response.data
    if not data:
        return None
    count, i, tags = data[0], 1, []
    for _ in range(count):
        if i >= len(data):
            return None
        n = data[i]
        epc = data[i + 1 : i + 1 + n]
        if n == 0 or len(epc) != n:
            return None
        tags.append(epc.hex().upper())
        i += 1 + n
    return tags if i == len(data) else None


def inventory_response(address: int, epcs: list[str], per_frame: int = 0) -> bytes:
    """What a reader answers (for the simulator): with ``per_frame``, several frames of at most
    that many tags, each but the last with status 0x03 (more frames follow)."""
    if not epcs:
        return _frame(address, INVENTORY, STATUS_NO_TAG, b"")
    size = per_frame or len(epcs)
    chunks = [epcs[i:i + size] for i in range(0, len(epcs), size)]
    out = b""
    for n, chunk in enumerate(chunks):
        data = bytes([len(chunk)])
        for epc in chunk:
            raw = bytes.fromhex(epc)
            data += bytes([len(raw)]) + raw
        out += _frame(address, INVENTORY, STATUS_MORE if n < len(chunks) - 1 else STATUS_DONE,
                      data)
    return out


def active_report(address: int, payload: bytes) -> bytes:
    """A 0xEE report as an HW-VX / UHFReader18 in active mode pushes it (for the simulator)."""
    return _frame(address, ACTIVE_REPORT, 0x00, payload)


def _frame(address: int, cmd: int, status: int, data: bytes) -> bytes:
    body = bytes([5 + len(data), address, cmd, status]) + data
    crc = crc16_mcrf4xx(body)
    return body + bytes([crc & 0xFF, crc >> 8])
