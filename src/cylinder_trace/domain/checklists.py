"""The door-step safety checklists (入户安检 / 随瓶安检) named in the rectification plans."""

from __future__ import annotations

# item id -> (zh, en). Residents get the first list; non-residents (restaurants) both.
RESIDENT: dict[str, tuple[str, str]] = {
    "hose_ok": ("软管完好、未老化、长度不超过2米且两端卡箍紧固",
                "Hose intact, not aged, at most 2 m, clamped at both ends"),
    "no_tee_or_wall_hose": ("无三通，软管未穿墙、楼板、门窗",
                            "No tee joints; no hose through walls, floors, doors or windows"),
    "standard_regulator": ("使用合格减压阀（非可调压）", "A standard (non-adjustable) regulator"),
    "flame_out_protection": ("灶具有熄火保护装置", "The stove has flame-out protection"),
    "no_leak": ("无漏气", "No leak"),
    "cylinder_placement": ("气瓶直立放置，远离热源明火，不在卧室",
                           "Cylinder upright, away from heat and open flame, not in a bedroom"),
    "gas_detector": ("按要求安装燃气报警器", "Gas detector installed where required"),
}
NON_RESIDENT_EXTRA: dict[str, tuple[str, str]] = {
    "no_basement": ("气瓶未存放在地下室或半地下室", "No cylinders in a basement or semi-basement"),
    "cylinder_room": ("存量超过100公斤设置专用气瓶间",
                      "More than 100 kg stored: a dedicated cylinder room"),
    "in_use_spare_apart": ("在用与备用气瓶分开存放", "In-use and spare cylinders kept apart"),
    "detector_and_shutoff": ("可燃气体报警器和紧急切断阀安装并正常工作",
                             "Combustible gas detector and emergency shut-off valve working"),
    "no_two_phase": ("未使用50公斤气液双相气瓶", "No 50 kg gas-liquid two-phase cylinders"),
    "contract_in_force": ("用气合同有效", "A supply contract in force"),
    "staff_trained": ("员工经过安全培训", "Staff trained"),
}


def checklist(kind: str) -> dict[str, tuple[str, str]]:
    """The checklist for a customer kind (resident | non_resident)."""
    return RESIDENT if kind == "resident" else {**RESIDENT, **NON_RESIDENT_EXTRA}
