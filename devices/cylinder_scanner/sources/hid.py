"""USB HID keyboard-wedge scanners on Linux (evdev), decoded for the US keyboard layout.

The driver takes an event source (an ``evdev.InputDevice``, grabbed so the keystrokes do not
reach the console, or any iterable of (type, code, value) for tests).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from ..types import ScanRead

EV_KEY = 1
KEY_ENTER, KEY_KPENTER, KEY_LEFTSHIFT, KEY_RIGHTSHIFT = 28, 96, 42, 54

# Linux input key codes → (plain, shifted) characters, US layout.
KEYMAP: dict[int, tuple[str, str]] = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"), 7: ("6", "^"),
    8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"), 12: ("-", "_"),
    13: ("=", "+"), 16: ("q", "Q"), 17: ("w", "W"), 18: ("e", "E"), 19: ("r", "R"),
    20: ("t", "T"), 21: ("y", "Y"), 22: ("u", "U"), 23: ("i", "I"), 24: ("o", "O"),
    25: ("p", "P"), 26: ("[", "{"), 27: ("]", "}"), 30: ("a", "A"), 31: ("s", "S"),
    32: ("d", "D"), 33: ("f", "F"), 34: ("g", "G"), 35: ("h", "H"), 36: ("j", "J"),
    37: ("k", "K"), 38: ("l", "L"), 39: (";", ":"), 40: ("'", '"'), 41: ("`", "~"),
    43: ("\\", "|"), 44: ("z", "Z"), 45: ("x", "X"), 46: ("c", "C"), 47: ("v", "V"),
    48: ("b", "B"), 49: ("n", "N"), 50: ("m", "M"), 51: (",", "<"), 52: (".", ">"),
    53: ("/", "?"), 57: (" ", " "),
}


def decode_keys(events: Iterable[tuple[int, int, int]]) -> Iterator[str]:
    """Key events (type, code, value: 1 down, 0 up, 2 repeat) → the lines typed."""
    shift = False
    line: list[str] = []
    for etype, code, value in events:
        if etype != EV_KEY:
            continue
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            shift = value != 0
            continue
        if value != 1:
            continue
        if code in (KEY_ENTER, KEY_KPENTER):
            if line:
                yield "".join(line)
            line = []
        elif code in KEYMAP:
            line.append(KEYMAP[code][1 if shift else 0])


def events_for(text: str) -> list[tuple[int, int, int]]:
    """The key events a wedge scanner sends for a text (for tests and the simulator)."""
    reverse = {ch: (code, i == 1) for code, pair in KEYMAP.items() for i, ch in enumerate(pair)}
    out = []
    for ch in text:
        code, shifted = reverse[ch]
        if shifted:
            out.append((EV_KEY, KEY_LEFTSHIFT, 1))
        out += [(EV_KEY, code, 1), (EV_KEY, code, 0)]
        if shifted:
            out.append((EV_KEY, KEY_LEFTSHIFT, 0))
    return [*out, (EV_KEY, KEY_ENTER, 1), (EV_KEY, KEY_ENTER, 0)]


class HidScanner:
    def __init__(self, events: Iterable[tuple[int, int, int]]) -> None:
        self.lines = decode_keys(events)

    @classmethod
    def open(cls, path: str) -> HidScanner:
        try:
            import evdev
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise RuntimeError("HID scanners need the 'evdev' package (Linux only)") from exc
        device: Any = evdev.InputDevice(path)
        device.grab()  # keystrokes go to us, not to the console
        return cls((e.type, e.code, e.value) for e in device.read_loop())

    def read(self, timeout: float) -> ScanRead | None:
        line = next(self.lines, None)
        return ScanRead(line, "hid", time.monotonic()) if line else None

    def close(self) -> None:
        pass
