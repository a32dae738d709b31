"""Regulators' inspections inside the system: signed with a real name, findings by item, photos,
a deadline and a re-inspection; a major hazard is closed out only by a regulator and only once
its five are fixed (五定); the company inspected reads its visits, others nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cylinder_trace.services.registry import today
from tests.api.test_health_and_errors import assert_problem
from tests.api.test_reports import png

URL = "/api/v1/supervision/visits"


def _visit(world: Any, reg: dict[str, Any], e: dict[str, Any], s: dict[str, Any],
           **extra: Any) -> Any:
    body = {"subject": "station", "enterprise_id": e["id"], "station_id": s["id"],
            "visited_on": str(today()), "inspector_name": "陈检查", "signed": True,
            "findings": [{"item": "scan_interlock", "ok": True},
                         {"item": "own_cylinders_only", "ok": False, "major": True,
                          "note": "现场发现3只非自有产权气瓶待充"},
                         {"item": "records_kept", "ok": False, "note": "充装记录缺失"}],
            "rectify_by": str(today() + timedelta(days=15)), **extra}
    return world.client.post(URL, json=body, headers=reg["headers"])


def test_a_signed_visit_records_findings_and_the_company_is_told(world: Any) -> None:
    e, other = world.enterprise(), world.enterprise()
    s = world.station(e["id"])
    reg = world.user("regulator", region_codes=["500000"])
    r = _visit(world, reg, e, s)
    assert r.status_code == 201, r.text
    v = r.json()
    assert v["status"] == "rectifying" and v["inspector_name"] == "陈检查" and v["signed_at"]
    [hazard] = v["major_hazards"]
    assert hazard["item"] == "own_cylinders_only" and hazard["status"] == "open"
    admin = world.user("enterprise_admin", e["id"])
    mine = world.client.get(URL, headers=admin["headers"]).json()
    assert [x["id"] for x in mine] == [v["id"]]
    notes = world.client.get("/api/v1/notifications", headers=admin["headers"]).json()
    assert "supervision_rectify" in {n["kind"] for n in notes}
    stranger = world.user("enterprise_admin", other["id"])
    assert world.client.get(URL, headers=stranger["headers"]).json() == []
    assert_problem(world.client.get(f"{URL}/{v['id']}", headers=stranger["headers"]), 404)
    # the company does not inspect itself
    assert _visit(world, admin, e, s).status_code == 403


def test_an_unsigned_undated_or_unknown_visit_is_refused(world: Any) -> None:
    e = world.enterprise()
    s = world.station(e["id"])
    reg = world.user("regulator", region_codes=["500000"])
    for extra, reason in (({"signed": False}, "UNSIGNED"),
                          ({"rectify_by": None}, "RECTIFY_BY"),
                          ({"visited_on": str(today() + timedelta(days=1))}, "VISIT_DATE"),
                          ({"findings": [{"item": "made_up", "ok": True}]}, "FINDINGS")):
        assert assert_problem(_visit(world, reg, e, s, **extra), 422)["reason"] == reason
    far = world.user("regulator", region_codes=["310000"])
    assert_problem(_visit(world, far, e, s), 404)


def test_photos_are_added_by_the_inspector_who_signed(world: Any) -> None:
    e = world.enterprise()
    s = world.station(e["id"])
    reg = world.user("regulator", region_codes=["500000"])
    v = _visit(world, reg, e, s).json()
    photos = f"{URL}/{v['id']}/photos"
    ok = world.client.post(photos, files={"photo": ("a.png", png(), "image/png")},
                           headers=reg["headers"])
    assert ok.status_code == 201, ok.text
    bad = world.client.post(photos, files={"photo": ("a.png", b"<svg/>", "image/png")},
                            headers=reg["headers"])
    assert assert_problem(bad, 422)["reason"] == "PHOTO_TYPE"
    colleague = world.user("regulator", region_codes=["500000"])
    assert_problem(world.client.post(photos, files={"photo": ("a.png", png(), "image/png")},
                                     headers=colleague["headers"]), 403)
    got = world.client.get(f"{photos}/{ok.json()['id']}", headers=reg["headers"])
    assert got.status_code == 200 and got.content == png()


def test_a_major_hazard_closes_only_by_a_regulator_once_its_five_are_fixed(world: Any) -> None:
    e = world.enterprise()
    s = world.station(e["id"])
    reg = world.user("regulator", region_codes=["500000"])
    admin = world.user("enterprise_admin", e["id"])
    [hazard] = _visit(world, reg, e, s).json()["major_hazards"]
    base = f"/api/v1/supervision/major-hazards/{hazard['id']}"
    early = assert_problem(world.client.post(f"{base}/close", json={"note": "已整改"},
                                             headers=reg["headers"]), 409)
    assert early["reason"] == "FIVE_FIXED_MISSING" and len(early["missing"]) == 5
    five = {"responsible_person": "张经理", "measures": "清退非自有气瓶，扫码联锁",
            "funds_yuan": 20000, "deadline": str(today() + timedelta(days=10)),
            "contingency_plan": "应急预案已备案"}
    fixed = world.client.post(f"{base}/five-fixed", json=five, headers=admin["headers"])
    assert fixed.status_code == 200 and fixed.json()["funds_yuan"] == 20000
    assert_problem(world.client.post(f"{base}/close", json={"note": "自行销号"},
                                     headers=admin["headers"]), 403)
    closed = world.client.post(f"{base}/close", json={"note": "复查合格，予以销号"},
                               headers=reg["headers"])
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert_problem(world.client.post(f"{base}/five-fixed", json=five,
                                     headers=admin["headers"]), 409)


def test_a_clean_reinspection_closes_the_visit_it_follows(world: Any) -> None:
    e = world.enterprise()
    s = world.station(e["id"])
    reg = world.user("regulator", region_codes=["500000"])
    first = _visit(world, reg, e, s).json()
    clean = _visit(world, reg, e, s, reinspection_of=first["id"], rectify_by=None,
                   findings=[{"item": "own_cylinders_only", "ok": True},
                             {"item": "records_kept", "ok": True}])
    assert clean.status_code == 201 and clean.json()["status"] == "clean"
    again = world.client.get(f"{URL}/{first['id']}", headers=reg["headers"]).json()
    assert again["status"] == "rectified" and again["reinspected_by_visit"] == clean.json()["id"]
    assert assert_problem(_visit(world, reg, e, s, reinspection_of=first["id"]),
                          409)["reason"] == "REINSPECTION"
