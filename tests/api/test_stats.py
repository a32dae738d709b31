"""Statistics endpoints: counts by state and enterprise, fills and refusals per day, top deny
reasons — within the caller's scope."""

from __future__ import annotations

from typing import Any

from tests.factories import GOOD  # in service on any day the suite runs


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


TALLY = """SELECT owner_enterprise_id, region_code, status, seized, recalled, failed, due,
           sum(n) FROM (SELECT * FROM stat_cylinder UNION ALL SELECT * FROM stat_cylinder_delta) t
           GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7"""
DIRECT = """SELECT owner_enterprise_id, region_code, status, seized, recalled,
            coalesce(last_inspection_result = 'fail', false),
            coalesce(next_inspection_due, DATE '9999-12-31'), count(*)
            FROM cylinder GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7"""
FILLS = """SELECT day, kind, reason, enterprise_id, region_code, sum(n) FROM (SELECT * FROM
           stat_fill UNION ALL SELECT * FROM stat_fill_delta) f GROUP BY 1, 2, 3, 4, 5
           ORDER BY 1, 2, 3, 4, 5"""


def test_tallies_follow_every_write_and_survive_compaction(world: Any, engine: Any) -> None:
    """The summary tables equal a direct count after inserts, state changes of every counted
    column, deletes and refusals — before and after the compact_stats job folds them."""
    from sqlalchemy import text

    from cylinder_trace.jobs import run_job

    cq, gd = world.enterprise("500103"), world.enterprise("440106")
    key = world.api_key(world.station(cq["id"])["id"])
    made = [world.cylinder(cq["id"], **GOOD) for _ in range(4)]
    made.append(world.cylinder(gd["id"], model="YSP-118-II", **GOOD))
    for c in made:
        world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=key)
    with engine.begin() as conn:
        conn.execute(text("UPDATE cylinder SET seized = true WHERE code = :c"),
                     {"c": made[0]["code"]})
        conn.execute(text("UPDATE cylinder SET status = 'scrapped' WHERE code = :c"),
                     {"c": made[1]["code"]})
        conn.execute(text("UPDATE cylinder SET last_inspection_result = 'fail', "
                          "next_inspection_due = NULL WHERE code = :c"), {"c": made[2]["code"]})
        conn.execute(text("UPDATE cylinder SET owner_enterprise_id = :e, region_code = '440106'"
                          " WHERE code = :c"), {"c": made[3]["code"], "e": gd["id"]})
        conn.execute(text("UPDATE cylinder SET filled = true"))  # counted columns unchanged
    with engine.connect() as conn:
        direct = conn.execute(text(DIRECT)).all()
        assert conn.execute(text(TALLY)).all() == direct
        fills = conn.execute(text(FILLS)).all()
        assert sum(r[5] for r in fills if r[1] == "filled") == 0
        assert sum(r[5] for r in fills if r[1] == "fill_denied") == 1
        assert {"TWO_PHASE_VALVE"} < {r[2] for r in fills if r[1] == "reason"}  # and foreign
    run_job("compact_stats")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM stat_cylinder_delta")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM stat_fill_delta")).scalar() == 0
        assert conn.execute(text(TALLY)).all() == direct
        assert conn.execute(text(FILLS)).all() == fills
        assert conn.execute(text("SELECT count(*) FROM stat_cylinder WHERE n = 0")).scalar() == 0
    totals = world.client.get("/api/v1/stats/cylinders", headers=world.admin).json()["totals"]
    assert totals == {"total": 5, "in_service": 2, "overdue": 0, "due_30_days": 0,
                      "failed": 1, "recalled": 0, "seized": 1, "scrapped": 1}
