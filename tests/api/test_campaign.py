"""Campaign progress: a region declares each company's stock (底数); the service shows registered
against declared, tags, inspections in date, two-phase cylinders left, smart valves, door-step
checks, per company and district, ranked, as JSON, CSV and a page; each caller sees its scope."""

from __future__ import annotations

import csv
import io
from typing import Any

from cylinder_trace.services.registry import today
from tests.api.test_health_and_errors import assert_problem
from tests.factories import GOOD  # in service on any day the suite runs


def _world(world: Any) -> dict[str, Any]:
    a = world.enterprise(region_code="500103", name="甲燃气")
    b = world.enterprise(region_code="500105", name="=乙燃气")
    for i in range(4):
        world.cylinder(a["id"], rfid=f"E2000017{i:016X}", smart_valve_id=f"SV{i}", **GOOD)
    world.cylinder(b["id"], **GOOD)
    world.cylinder(b["id"], model="YSP-118-II", valve_type="two_phase", **GOOD)
    reg = world.user("regulator", region_codes=["500100"])
    for e, region, n in ((a, "500103", 5), (b, "500105", 4)):
        r = world.client.post(f"/api/v1/enterprises/{e['id']}/declared-stock",
                              json={"region_code": region, "declared_stock": n},
                              headers=reg["headers"])
        assert r.status_code == 201, r.text
    return {"a": a, "b": b, "reg": reg}


def test_progress_is_measured_against_the_declared_stock_and_ranked(world: Any) -> None:
    w = _world(world)
    body = world.client.get("/api/v1/campaign/progress", headers=w["reg"]["headers"]).json()
    assert body["month"] == f"{today():%Y-%m}"
    rows = {r["enterprise"]: r for r in body["rows"]}
    a, b = rows["甲燃气"], rows["=乙燃气"]
    assert (a["declared"], a["registered"], a["registered_pct"], a["tagged"],
            a["smart_valves"], a["two_phase_left"], a["rank"]) == (5, 4, 80.0, 4, 4, 0, 1)
    assert (b["declared"], b["registered"], b["registered_pct"], b["two_phase_left"],
            b["rank"]) == (4, 2, 50.0, 1, 2)
    assert {d["name"] for d in body["deadlines"]} == {"records", "door_checks"}
    # a newer declaration replaces the older one
    world.client.post(f"/api/v1/enterprises/{w['b']['id']}/declared-stock",
                      json={"region_code": "500105", "declared_stock": 2},
                      headers=w["reg"]["headers"])
    again = world.client.get("/api/v1/campaign/progress", headers=w["reg"]["headers"]).json()
    b2 = next(r for r in again["rows"] if r["enterprise"] == "=乙燃气")
    assert b2["registered_pct"] == 100.0 and b2["rank"] == 1  # all of its declared stock


def test_each_caller_sees_its_scope_and_only_regulators_declare(world: Any) -> None:
    w = _world(world)
    admin = world.user("enterprise_admin", w["a"]["id"])
    mine = world.client.get("/api/v1/campaign/progress", headers=admin["headers"]).json()
    assert [r["enterprise"] for r in mine["rows"]] == ["甲燃气"]
    far = world.user("regulator", region_codes=["310000"])
    assert world.client.get("/api/v1/campaign/progress",
                            headers=far["headers"]).json()["rows"] == []
    r = world.client.post(f"/api/v1/enterprises/{w['a']['id']}/declared-stock",
                          json={"region_code": "500103", "declared_stock": 1},
                          headers=admin["headers"])
    assert assert_problem(r, 403)["reason"] == "ROLE_NOT_ALLOWED"
    r = world.client.post(f"/api/v1/enterprises/{w['a']['id']}/declared-stock",
                          json={"region_code": "500103", "declared_stock": 1},
                          headers=far["headers"])
    assert_problem(r, 404)
    assert_problem(world.client.get("/api/v1/campaign/progress", params={"month": "2999-01"},
                                    headers=w["reg"]["headers"]), 422)


def test_the_ranking_exports_as_csv_without_formulas(world: Any) -> None:
    w = _world(world)
    r = world.client.get("/api/v1/campaign/progress.csv", headers=w["reg"]["headers"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert [x["rank"] for x in rows] == ["1", "2"]
    assert rows[1]["enterprise"] == "'=乙燃气"  # a name that starts a formula is neutralised


def test_the_printable_page_ranks_the_companies(world: Any) -> None:
    w = _world(world)
    token = world.client.post("/api/v1/auth/token", data={
        "username": w["reg"]["username"], "password": "correct-horse-battery"}).json()
    world.client.cookies.set("ct_session", token["access_token"])
    try:
        page = world.client.get("/campaign")
        assert page.status_code == 200 and "专项整治进度通报" in page.text
        assert page.text.index("甲燃气") < page.text.index("=乙燃气")
        assert "@media print" in page.text
        assert world.client.get("/campaign.csv").status_code == 200
    finally:
        world.client.cookies.clear()
