"""One-time codes to customers' phones through a pluggable provider.

The default provider only logs that a code went out, to a masked number; an SMS gateway is an
adapter with the same ``send`` method, chosen by ``settings.message_provider``.
"""

from __future__ import annotations

import logging
from typing import Protocol

from ..config import get_settings
from .pii import mask_phone

log = logging.getLogger(__name__)


class MessageProvider(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingProvider:
    """Development and tests: remembers what was sent in memory; logs only the masked number."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        del self.sent[:-100]
        log.info("one-time code sent to %s", mask_phone(phone))


_provider: MessageProvider | None = None


def provider() -> MessageProvider:
    global _provider
    if _provider is None:
        name = get_settings().message_provider
        if name != "log":
            raise RuntimeError(f"unknown message provider {name!r} (only 'log' is built in)")
        _provider = LoggingProvider()
    return _provider
