"""MT-SICS weight answers (``S S     14.852 kg``). Pure."""

from __future__ import annotations

import re

from ..types import DeviceError, Weight

SEND_WEIGHT = b"SI\r\n"  # the weight now, stable or not
SEND_STABLE = b"S\r\n"

_ANSWER = re.compile(r"^S\s+([SD])\s+(-?\d+(?:\.\d+)?)\s+(kg|g)$")


def parse_weight(line: str) -> Weight:
    """One answer line as a Weight; busy, over/under range and garbage raise DeviceError."""
    line = line.strip()
    m = _ANSWER.match(line)
    if m:
        kg = float(m.group(2)) / (1000 if m.group(3) == "g" else 1)
        return Weight(kg=kg, stable=m.group(1) == "S")
    if line in ("S I", "SI I"):
        raise DeviceError("scale busy (S I)")
    if line in ("S +", "S -"):
        raise DeviceError(f"scale out of range ({line})")
    raise DeviceError(f"unexpected scale answer {line[:40]!r}")


def weight_answer(kg: float, stable: bool) -> bytes:
    """What a scale sends (for the simulator)."""
    return f"S {'S' if stable else 'D'} {kg:10.3f} kg\r\n".encode()
