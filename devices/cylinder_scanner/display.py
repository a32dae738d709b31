"""What the operator sees: a big ALLOW or DENY, every reason in Chinese and English."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from .client import Answer

GREEN, RED, YELLOW, RESET = "\033[42;97;1m", "\033[41;97;1m", "\033[33;1m", "\033[0m"


class Display:
    def __init__(self, out: TextIO | None = None, colour: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.colour = self.out.isatty() if colour is None else colour

    def _banner(self, text: str, style: str) -> None:
        line = f"  {text}  ".center(48)
        if self.colour:
            self.out.write(f"{style}{' ' * 48}\n{line}\n{' ' * 48}{RESET}\n")
        else:
            self.out.write(f"{'=' * 48}\n{line}\n{'=' * 48}\n")

    def answer(self, a: Answer) -> None:
        if a.allow:
            self._banner("ALLOW 允许充装", GREEN)
            c = a.cylinder or {}
            target, tare = c.get("max_fill_kg", "?"), c.get("tare_kg", "?")
            self.out.write(f"  {c.get('code', '')} {c.get('model', '')}  目标净重 target net "
                           f"{target} kg (皮重 tare {tare} kg)\n")
        else:
            self._banner("DENY 禁止充装", RED)
        for r in a.reasons:
            self.out.write(f"  ✗ {r.get('message_zh', '')} / {r.get('message_en', '')} "
                           f"[{r.get('code')}]\n")
        for w in a.warnings:
            self.out.write(f"  ! {w.get('message_zh', '')} / {w.get('message_en', '')}\n")
        self.out.flush()

    def status(self, zh: str, en: str, **extra: Any) -> None:
        tail = " ".join(f"{k}={v}" for k, v in extra.items())
        self.out.write(f"  {zh} / {en} {tail}\n")
        self.out.flush()
