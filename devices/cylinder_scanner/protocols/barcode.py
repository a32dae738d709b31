"""Serial barcode scanners: text lines ended by CR, LF or CRLF, an optional AIM prefix.

Pure: bytes in, reads out. A driver feeds what the port gives, in any chunks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_AIM = re.compile(rb"^\][A-Za-z][0-9A-Za-z]")
MAX_LINE = 1024  # a line longer than any code is noise: dropped


@dataclass
class LineFramer:
    """Splits a byte stream into scans at CR/LF; strips and returns the AIM symbology id."""

    buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[tuple[str, str | None]]:
        self.buffer += data
        out: list[tuple[str, str | None]] = []
        while True:
            cut = next((i for i, b in enumerate(self.buffer) if b in (0x0D, 0x0A)), -1)
            if cut < 0:
                if len(self.buffer) > MAX_LINE:
                    self.buffer.clear()
                return out
            line = bytes(self.buffer[:cut])
            del self.buffer[: cut + 1]
            parsed = parse_line(line)
            if parsed is not None:
                out.append(parsed)


def parse_line(line: bytes) -> tuple[str, str | None] | None:
    """One line as (text, symbology), or None for an empty, binary or undecodable line."""
    symbology = None
    if m := _AIM.match(line):
        symbology = m.group(0).decode()
        line = line[m.end():]
    try:
        text = line.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    # GS (0x1D) is GS1's FNC1 between element strings: kept, the service reads the GRAI before it
    if not text or len(text) > MAX_LINE or not text.replace("\x1d", "").isprintable():
        return None
    return text, symbology


@dataclass
class Deduper:
    """Scanners repeat a code while it stays in view: one read per code per window."""

    window: float = 2.0
    last: dict[str, float] = field(default_factory=dict)

    def fresh(self, text: str, now: float) -> bool:
        seen = self.last.get(text)
        self.last = {k: t for k, t in self.last.items() if now - t < self.window}
        self.last[text] = now
        return seen is None or now - seen >= self.window
