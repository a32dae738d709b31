"""The appliance's durable queue of fill records owed to the service.

An append-only JSON-lines journal: a record is fsynced before the fill is reported to anyone,
and marked done only after the service has it. After a power cut the journal is read back (a
torn last line is ignored) and whatever is not done is sent again with the same
Idempotency-Key, so the service records it exactly once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Outbox:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._pending: dict[str, dict[str, Any]] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a power cut: its record was never acknowledged
            if entry.get("op") == "add":
                self._pending[entry["id"]] = entry["record"]
            elif entry.get("op") == "done":
                self._pending.pop(entry["id"], None)

    def _append(self, entry: dict[str, Any]) -> None:
        new = not self.path.exists()
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if new:  # the file's directory entry must survive a power cut too
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    def add(self, key: str, record: dict[str, Any]) -> None:
        self._append({"op": "add", "id": key, "record": record})
        self._pending[key] = record

    def done(self, key: str) -> None:
        self._append({"op": "done", "id": key})
        self._pending.pop(key, None)
        if not self._pending:
            self._compact()

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        return list(self._pending.items())

    def _compact(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
