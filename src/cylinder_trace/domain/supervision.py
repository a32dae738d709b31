"""Regulators' own inspections (监督检查) of stations, companies and delivery points, and major
hazards followed under the "five fixed" rule (五定). Pure.

The plans: 谁检查、谁签名、谁负责 (who checks signs and answers for it), photos in the system, a
deadline to rectify and a re-inspection (回头看); a major hazard has its responsible person,
measures, funds, deadline and contingency plan fixed before it can be closed out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .checklists import NON_RESIDENT_EXTRA, RESIDENT


class Subject(StrEnum):
    STATION = "station"  # 充装站
    ENTERPRISE = "enterprise"  # 燃气经营企业
    DELIVERY_POINT = "delivery_point"  # 用户（餐饮等）用气场所


STATION_ITEMS: dict[str, tuple[str, str]] = {
    "licence_displayed": ("气瓶充装许可证在有效期内并公示", "Filling licence in force and posted"),
    "operators_certified": ("充装人员持证上岗", "Fillers hold valid certificates"),
    "scan_interlock": ("充装前扫码识别、充装与识别联锁", "Scan before filling; scale interlocked"),
    "own_cylinders_only": ("未充装非自有产权、超期未检、报废气瓶",
                           "No others', overdue or scrapped cylinders filled"),
    "no_two_phase": ("未充装气液双相气瓶", "No two-phase cylinders filled"),
    "records_kept": ("充装记录完整可追溯", "Fill records complete and traceable"),
    "safety_equipment": ("消防器材、可燃气体报警装置完好", "Fire equipment and gas alarms working"),
}
ENTERPRISE_ITEMS: dict[str, tuple[str, str]] = {
    "operating_licence": ("燃气经营许可证有效，未超范围经营",
                          "Operating licence in force, within its area"),
    "real_name_sales": ("实名制销售，用户建档", "Real-name sales, customers on record"),
    "workers_certified": ("送气工持证，人车对应", "Delivery workers certified, bound to vehicles"),
    "vehicles_permitted": ("配送车辆具备危险货物运输资质", "Vehicles hold dangerous-goods permits"),
    "door_checks_done": ("随瓶入户安检并记录", "Door-step checks done and recorded"),
    "hazard_ledger": ("隐患台账完整并按期整改", "Hazard ledger complete, fixed on time"),
}
DELIVERY_POINT_ITEMS: dict[str, tuple[str, str]] = {**RESIDENT, **NON_RESIDENT_EXTRA}

ITEMS: dict[Subject, dict[str, tuple[str, str]]] = {
    Subject.STATION: STATION_ITEMS,
    Subject.ENTERPRISE: ENTERPRISE_ITEMS,
    Subject.DELIVERY_POINT: DELIVERY_POINT_ITEMS,
}


class VisitStatus(StrEnum):
    CLEAN = "clean"  # nothing found
    RECTIFYING = "rectifying"  # findings to fix by the deadline (限期整改)
    RECTIFIED = "rectified"  # a re-inspection found them fixed (复查合格)


@dataclass(frozen=True)
class Finding:
    item: str
    ok: bool
    note: str | None = None
    major: bool = False  # a major hazard (重大隐患): followed under 五定


def visit_status(findings: list[Finding]) -> VisitStatus:
    return VisitStatus.CLEAN if all(f.ok for f in findings) else VisitStatus.RECTIFYING


def unknown_items(subject: Subject, findings: list[Finding]) -> list[str]:
    return [f.item for f in findings if f.item not in ITEMS[subject]]


FIVE_FIXED: dict[str, tuple[str, str]] = {
    "responsible_person": ("整改责任人", "Responsible person"),
    "measures": ("整改措施", "Measures"),
    "funds_yuan": ("整改资金", "Funds"),
    "deadline": ("整改时限", "Deadline"),
    "contingency_plan": ("应急预案", "Contingency plan"),
}


def five_fixed_missing(values: dict[str, object]) -> list[str]:
    """Which of the five are not fixed yet (a major hazard closes only when none is missing)."""
    return [k for k in FIVE_FIXED if values.get(k) in (None, "")]
