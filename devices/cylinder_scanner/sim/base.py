"""A device simulator on a pseudo-terminal: the driver opens ``.path`` as a real serial port."""

from __future__ import annotations

import os
import select
import threading
import tty
from typing import Self


class PtySim:
    """Runs a thread that hands every byte the host writes to ``handle``; ``reply`` answers."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        tty.setraw(self.master)
        self.path = os.ttyname(self.slave)
        self.muted = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, daemon=True, name=type(self).__name__)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                self.tick()
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            with self._lock:
                self.handle(data)

    def handle(self, data: bytes) -> None:  # overridden: bytes from the host
        pass

    def tick(self) -> None:  # overridden: time passing (a scale's weight rising)
        pass

    def reply(self, data: bytes) -> None:
        if not self.muted:
            os.write(self.master, data)

    def mute(self, muted: bool = True) -> None:
        self.muted = muted

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
