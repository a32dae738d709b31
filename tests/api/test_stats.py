"""Statistics endpoints: counts by state and enterprise, fills and refusals per day, top deny
reasons — within the caller's scope."""

from __future__ import annotations

from typing import Any

GOOD = {"manufacture_date": "2022-03-01", "last_inspection_date": "2024-03-01"}


def test_stats_count_what_happened_in_the_regulators_region(world: Any) -> None:
    cq, gd = world.enterprise("500103"), world.enterprise("440106")
    key = world.api_key(world.station(cq["id"])["id"])
    ok = world.cylinder(cq["id"], **GOOD)
    world.cylinder(cq["id"], manufacture_date="2020-01-01", last_inspection_date="2021-01-01",
                   next_inspection_due="2023-01-01")
    two_phase = world.cylinder(cq["id"], model="YSP-118-II", **GOOD)
    world.cylinder(gd["id"], **GOOD)
    a = world.client.post("/api/v1/fill-authorizations", json={"scan": ok["qr_text"]},
                          headers=key).json()
    world.client.post("/api/v1/fills", headers=key,
                      json={"authorization_id": a["authorization_id"], "net_kg": 14})
    world.client.post("/api/v1/fill-authorizations", json={"scan": two_phase["qr_text"]},
                      headers=key)
    reg = world.user("regulator", region_codes=["500000"])
    h = reg["headers"]
    totals = world.client.get("/api/v1/stats/cylinders", headers=h).json()["totals"]
    assert totals["total"] == 3 and totals["overdue"] == 1 and totals["in_service"] == 2
    per_day = world.client.get("/api/v1/stats/fills-per-day", headers=h).json()
    assert sum(d["fills"] for d in per_day) == 1 and sum(d["denied"] for d in per_day) == 1
    reasons = world.client.get("/api/v1/stats/deny-reasons", headers=h).json()
    assert reasons[0]["code"] == "TWO_PHASE_VALVE" and reasons[0]["message_zh"]
    far = world.user("regulator", region_codes=["440000"])
    assert world.client.get("/api/v1/stats/cylinders",
                            headers=far["headers"]).json()["totals"]["total"] == 1
    assert world.client.get("/api/v1/stats/deny-reasons", headers=far["headers"]).json() == []
