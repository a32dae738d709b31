"""What the appliance's devices produce, and the small interfaces each driver keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ScanRead:
    text: str  # the code's text (AIM prefix stripped) or a tag id (upper-case hex)
    source: str  # scanner | hid | rfid | camera
    at: float  # time.monotonic() when read
    is_tag: bool = False
    symbology: str | None = None  # e.g. "]Q1" for QR


class ScanSource(Protocol):
    def read(self, timeout: float) -> ScanRead | None: ...  # None on timeout; never raises on noise
    def close(self) -> None: ...


@dataclass(frozen=True)
class Weight:
    kg: float
    stable: bool


class DeviceError(Exception):
    """A device did not answer, or answered wrongly: the interlock closes."""


class Scale(Protocol):
    def read_weight(self, timeout: float = 1.0) -> Weight: ...
    def close(self) -> None: ...


class Interlock(Protocol):
    def set(self, on: bool) -> None: ...  # writes, reads back; DeviceError on mismatch
    def is_on(self) -> bool: ...
    def close(self) -> None: ...
