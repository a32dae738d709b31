"""Regulators change licences inside the system: a suspended or revoked filling licence refuses
the next fill at once, a revoked operating licence stops dispatch, a later effective day waits for
its day; the company is told, reads the history and the enforcement against it, and lifts none."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from cylinder_trace.jobs import run_job
from cylinder_trace.services.registry import today
from tests.api.test_health_and_errors import assert_problem
from tests.api.test_lifecycle import GOOD, co, customer, full_cylinder

_ = co


def authorize(world: Any, key: dict[str, str], qr: str) -> dict[str, Any]:
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": qr}, headers=key)
    assert r.status_code == 200, r.text
    body = dict(r.json())
    if body["authorization_id"]:  # leave no authorization open for the next attempt
        world.client.post("/api/v1/fills", headers=key, json={
            "authorization_id": body["authorization_id"], "net_kg": 14.0})
    return body


def codes(answer: dict[str, Any]) -> set[str]:
    return {r["code"] for r in answer["reasons"]}


def notes(world: Any, headers: dict[str, str]) -> list[str]:
    return [n["kind"] for n in world.client.get("/api/v1/notifications", headers=headers).json()]


def test_a_suspended_station_licence_refuses_the_next_fill_and_only_a_regulator_lifts_it(
    world: Any,
) -> None:
    e = world.enterprise()
    s = world.station(e["id"], filling_licence={"number": "TS-S1", "valid_from": "2020-01-01",
                                                "valid_until": "2099-01-01"})
    key = world.api_key(s["id"])
    c = world.cylinder(e["id"], **GOOD)
    assert authorize(world, key, c["qr_text"])["decision"] == "allow"
    reg = world.user("regulator", region_codes=["500100"])
    url = f"/api/v1/stations/{s['id']}/licences/filling/changes"
    r = world.client.post(url, json={"action": "suspend", "reason": "充装记录造假"},
                          headers=reg["headers"])
    assert r.status_code == 201, r.text
    assert r.json()["status_before"] == "valid" and r.json()["status_after"] == "suspended"
    assert r.json()["applied_at"] is not None
    denied = authorize(world, key, c["qr_text"])
    assert denied["decision"] == "deny" and codes(denied) == {"STATION_NOT_LICENSED"}
    # the company is told, and cannot lift it; a regulator elsewhere does not even see it
    admin = world.user("enterprise_admin", e["id"])
    assert "licence_changed" in notes(world, admin["headers"])
    lift = {"action": "reinstate", "reason": "已整改"}
    assert_problem(world.client.post(url, json=lift, headers=admin["headers"]), 403)
    far = world.user("regulator", region_codes=["310000"])
    assert_problem(world.client.post(url, json=lift, headers=far["headers"]), 404)
    assert authorize(world, key, c["qr_text"])["decision"] == "deny"
    assert world.client.post(url, json=lift, headers=reg["headers"]).status_code == 201
    assert authorize(world, key, c["qr_text"])["decision"] == "allow"
    history = world.client.get(f"/api/v1/enterprises/{e['id']}/licence-changes",
                               headers=admin["headers"]).json()
    assert [h["action"] for h in history] == ["reinstate", "suspend"]


def test_a_revoked_filling_licence_is_final_until_a_new_one_is_issued(world: Any) -> None:
    e = world.enterprise()
    s = world.station(e["id"])
    key = world.api_key(s["id"])
    c = world.cylinder(e["id"], **GOOD)
    reg = world.user("regulator", region_codes=["500000"])
    url = f"/api/v1/enterprises/{e['id']}/licences/filling/changes"
    assert world.client.post(url, json={"action": "revoke", "reason": "违法充装"},
                             headers=reg["headers"]).status_code == 201
    assert codes(authorize(world, key, c["qr_text"])) == {"STATION_NOT_LICENSED"}
    body = assert_problem(world.client.post(url, json={"action": "reinstate", "reason": "整改"},
                                            headers=reg["headers"]), 409)
    assert body["reason"] == "LICENCE_STATE"
    assert_problem(world.client.post(url, json={"action": "renew", "reason": "重新核发"},
                                     headers=reg["headers"]), 409)
    until = (today() + timedelta(days=3 * 365)).isoformat()
    renewed = world.client.post(url, headers=reg["headers"], json={
        "action": "renew", "reason": "重新核发", "number": "TS-NEW-1", "valid_until": until})
    assert renewed.status_code == 201, renewed.text
    assert authorize(world, key, c["qr_text"])["decision"] == "allow"
    got = world.client.get(f"/api/v1/enterprises/{e['id']}", headers=reg["headers"]).json()
    assert got["filling_licence"]["number"] == "TS-NEW-1"


def test_a_change_dated_later_waits_for_its_day(world: Any) -> None:
    e = world.enterprise()
    s = world.station(e["id"])
    key = world.api_key(s["id"])
    c = world.cylinder(e["id"], **GOOD)
    reg = world.user("regulator", region_codes=["500000"])
    on = today() + timedelta(days=2)
    r = world.client.post(f"/api/v1/enterprises/{e['id']}/licences/filling/changes",
                          headers=reg["headers"], json={
                              "action": "suspend", "reason": "限期整改", "effective_on": str(on)})
    assert r.status_code == 201 and r.json()["applied_at"] is None
    now = datetime.now(UTC)
    assert run_job("apply_licence_changes", now=now).result == {"applied": 0, "skipped": 0}
    assert authorize(world, key, c["qr_text"])["decision"] == "allow"
    later = run_job("apply_licence_changes", now=now + timedelta(days=3))
    assert later.result == {"applied": 1, "skipped": 0}
    assert codes(authorize(world, key, c["qr_text"])) == {"STATION_NOT_LICENSED"}
    back = world.client.post(f"/api/v1/enterprises/{e['id']}/licences/filling/changes",
                             headers=reg["headers"], json={
                                 "action": "suspend", "reason": "整改",
                                 "effective_on": str(today() - timedelta(days=1))})
    assert assert_problem(back, 422)["reason"] == "LICENCE_BACKDATED"


def test_two_suspensions_at_once_make_one_change(world: Any) -> None:
    e = world.enterprise()
    reg = world.user("regulator", region_codes=["500000"])
    url = f"/api/v1/enterprises/{e['id']}/licences/filling/changes"
    answers: list[int] = []

    def suspend() -> None:
        answers.append(world.client.post(url, json={"action": "suspend", "reason": "整改"},
                                         headers=reg["headers"]).status_code)

    threads = [threading.Thread(target=suspend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 409, 409, 409]


def test_a_revoked_operating_licence_stops_dispatch(world: Any, co: Any) -> None:
    eid = co["e"]["id"]
    cust = customer(world, co)
    c = full_cylinder(world, co)
    market = world.user("regulator", region_codes=["500000"])
    refused = world.client.post(f"/api/v1/enterprises/{eid}/licences/operating/changes",
                                headers=market["headers"], json={"action": "revoke",
                                                                 "reason": "超范围经营"})
    assert assert_problem(refused, 403)["reason"] == "DEPARTMENT_NOT_ALLOWED"
    reg = world.user("regulator", region_codes=["500000"], department="housing")
    r = world.client.post(f"/api/v1/enterprises/{eid}/licences/operating/changes",
                          headers=reg["headers"], json={
                              "action": "renew", "reason": "核发", "number": "JY-1",
                              "valid_until": str(today() + timedelta(days=400))})
    assert r.status_code == 201, r.text
    assert world.client.post(f"/api/v1/enterprises/{eid}/licences/operating/changes",
                             headers=reg["headers"],
                             json={"action": "revoke", "reason": "超范围经营"}).status_code == 201
    d = world.client.post("/api/v1/deliveries", headers=co["admin"]["headers"], json={
        "worker_id": co["worker"]["id"], "vehicle_id": co["vehicle"]["id"],
        "customer_id": cust["id"], "codes": [c["code"]]})
    body = assert_problem(d, 409)
    assert "OPERATING_LICENCE_NOT_VALID" in {p["code"] for p in body["problems"]}


def test_enforcement_is_recorded_by_regulators_and_read_by_the_company(world: Any) -> None:
    e, other = world.enterprise(), world.enterprise()
    reg = world.user("regulator", region_codes=["500000"])
    admin = world.user("enterprise_admin", e["id"])
    url = f"/api/v1/enterprises/{e['id']}/enforcement"
    penalty = {"kind": "penalty", "decided_on": str(today()), "reason": "充装非自有产权气瓶",
               "document_number": "渝市监罚〔2026〕1号", "amount_yuan": 50000}
    assert world.client.post(url, json=penalty, headers=reg["headers"]).status_code == 201
    summons = {"kind": "summons", "decided_on": str(today()), "reason": "约谈主要负责人"}
    assert world.client.post(url, json=summons, headers=reg["headers"]).status_code == 201
    seen = world.client.get(url, headers=admin["headers"]).json()
    assert {r["kind"] for r in seen} == {"penalty", "summons"}
    assert "enforcement_recorded" in notes(world, admin["headers"])
    assert_problem(world.client.post(url, json=summons, headers=admin["headers"]), 403)
    stranger = world.user("enterprise_admin", other["id"])
    assert_problem(world.client.get(url, headers=stranger["headers"]), 404)
    bad = {**summons, "amount_yuan": 10}
    assert assert_problem(world.client.post(url, json=bad, headers=reg["headers"]),
                          422)["reason"] == "ENFORCEMENT_AMOUNT"
    future = {**summons, "decided_on": str(today() + timedelta(days=9))}
    assert_problem(world.client.post(url, json=future, headers=reg["headers"]), 422)


def test_a_transport_regulator_cannot_seize_lock_or_suspend(world: Any) -> None:
    e = world.enterprise()
    s = world.station(e["id"])
    c = world.cylinder(e["id"], **GOOD)
    transport = world.user("regulator", region_codes=["500000"], department="transport")
    assert transport["department"] == "transport"
    for method, url, body in (
            ("POST", f"/api/v1/cylinders/{c['code']}/seizure", {"reason": "查扣"}),
            ("POST", f"/api/v1/stations/{s['id']}/lock", {"reason": "锁定"}),
            ("POST", f"/api/v1/enterprises/{e['id']}/licences/filling/changes",
             {"action": "suspend", "reason": "暂停"})):
        r = world.client.request(method, url, json=body, headers=transport["headers"])
        assert assert_problem(r, 403)["reason"] == "DEPARTMENT_NOT_ALLOWED", url
    # what every department does: read, and record its own enforcement
    assert world.client.get(f"/api/v1/cylinders/{c['code']}",
                            headers=transport["headers"]).status_code == 200
    r = world.client.post(f"/api/v1/enterprises/{e['id']}/enforcement", headers=transport[
        "headers"], json={"kind": "warning", "decided_on": str(today()), "reason": "车辆未标识"})
    assert r.status_code == 201, r.text
    bad = world.client.post("/api/v1/users", headers=world.admin, json={
        "username": "op-dept", "password": "correct-horse-battery", "role": "enterprise_admin",
        "enterprise_id": e["id"], "department": "fire"})
    assert assert_problem(bad, 422)["reason"] == "NO_DEPARTMENT_FOR_ROLE"
