"""The rectification campaign measured against its own targets (pure): each company's progress in
a district against the stock the region declared (底数), and the monthly ranking the plans ask
for (每月排名、通报). The deadlines are the plans' (settings: they differ by city)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date


@dataclass(frozen=True)
class Progress:
    enterprise_id: str
    enterprise_name: str
    region_code: str
    declared: int | None  # the region's count (底数); None until declared
    registered: int  # with an electronic record (建档) and a code
    tagged: int  # with an RFID tag bound
    inspected: int  # in date and not failed
    two_phase_left: int  # 气液双相 cylinders not yet scrapped or converted
    smart_valves: int
    door_checks: int  # deliveries with the door-step check recorded, in the month
    rank: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def registered_ratio(self) -> float | None:
        """Registered against declared; None where nothing is declared yet."""
        if not self.declared:
            return None
        return min(1.0, self.registered / self.declared)

    @property
    def inspected_ratio(self) -> float | None:
        return self.inspected / self.registered if self.registered else None


def ranked(rows: list[Progress]) -> list[Progress]:
    """Best first: most of the declared stock registered, then fewest two-phase cylinders left,
    then most in-date inspections; companies without a declared stock rank last (the region
    has not counted them yet), ties share a rank."""
    def key(p: Progress) -> tuple[float, int, float]:
        return (-(p.registered_ratio if p.registered_ratio is not None else -1.0),
                p.two_phase_left, -(p.inspected_ratio or 0.0))

    out: list[Progress] = []
    previous: tuple[float, int, float] | None = None
    for i, p in enumerate(sorted(rows, key=lambda r: (key(r), r.enterprise_name))):
        rank = out[-1].rank if previous == key(p) else i + 1
        out.append(replace(p, rank=rank))
        previous = key(p)
    return out


@dataclass(frozen=True)
class Deadline:
    name: str
    label_zh: str
    label_en: str
    due: date

    def passed(self, today: date) -> bool:
        return today > self.due


LABELS: dict[str, tuple[str, str]] = {
    "records": ("电子化档案建档完成", "Electronic records for every cylinder"),
    "door_checks": ("入户安检和配送信息化", "Door-step checks and delivery recorded in the system"),
    "two_phase": ("气液双相气瓶清零", "No two-phase cylinder left in use"),
}


def deadlines(settings: dict[str, str]) -> list[Deadline]:
    out = []
    for name, due in sorted(settings.items(), key=lambda kv: kv[1]):
        zh, en = LABELS.get(name, (name, name))
        out.append(Deadline(name, zh, en, date.fromisoformat(due)))
    return out
