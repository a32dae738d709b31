"""MT-SICS weight answers (``S S     14.852 kg``) and the error answers, by name. Pure.

Layout and answers as in the MT-SICS Reference Manual (level 0: S, SI, SIR; general error
answers ES, ET, EL) and checked against answers captured from real balances
(tests/data/devices/mtsics_vectors.json). A unit we do not speak (lb, t, ...) is refused, never
read as kilograms.
"""

from __future__ import annotations

import re

from ..types import DeviceError, Weight

SEND_WEIGHT = b"SI\r\n"  # the weight now, stable or not
SEND_STABLE = b"S\r\n"

_ANSWER = re.compile(r"^S\s+([SD])\s+(-?\d+(?:\.\d+)?)\s+(kg|g)$")
_WEIGH_ERROR = re.compile(r"^S\s+S\s+Error\s+(\d+)([a-z]?)$")
_ANY_ANSWER = re.compile(r"^(?:[A-Z][A-Z0-9]*\s+[A-Z+\-](?:\s.*)?|E[STL])$")

# MT-SICS answers that are not a weight, and what they mean
ERRORS = {
    "ES": "syntax error: the scale did not recognise the command",
    "ET": "transmission error: the scale received a garbled command (parity, break)",
    "EL": "logical error: the scale cannot execute the command now",
    "S I": "command not executable: the scale is busy (taring, or not stable in time)",
    "SI I": "command not executable: the scale is busy",
    "S L": "logical error: the command was understood but not executable (bad parameter)",
    "S +": "overload: the weight is above the scale's range",
    "S -": "underload: the weight is below the scale's range (pan removed?)",
}


def parse_weight(line: str) -> Weight:
    """One answer line as a Weight; every other answer raises DeviceError naming it."""
    line = line.strip()
    m = _ANSWER.match(line)
    if m:
        kg = float(m.group(2)) / (1000 if m.group(3) == "g" else 1)
        return Weight(kg=kg, stable=m.group(1) == "S")
    normal = " ".join(line.split())
    if normal in ERRORS:
        raise DeviceError(f"scale: {ERRORS[normal]} ({normal})")
    if m := _WEIGH_ERROR.match(normal):
        raise DeviceError(f"scale: weighing-module error {m.group(1)}{m.group(2)} ({normal})")
    raise DeviceError(f"unexpected scale answer {line[:40]!r}")


def is_answer(line: str) -> bool:
    """Whether a line has the shape of a whole MT-SICS answer (command id, status), as opposed
    to the tail of a line that was being sent before we listened."""
    line = " ".join(line.split())
    return bool(_ANSWER.match(line) or _ANY_ANSWER.match(line))


def weight_answer(kg: float, stable: bool) -> bytes:
    """What a scale sends (for the simulator)."""
    return f"S {'S' if stable else 'D'} {kg:10.3f} kg\r\n".encode()
