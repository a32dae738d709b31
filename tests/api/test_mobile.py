"""What the phone app needs from the service: a worker's open dispatches (with where to go and
what to check, and no more personal data than that), a fill check that writes nothing, and a
confirmation made offline that keeps the phone's time and the time it arrived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.test_health_and_errors import assert_problem
from tests.api.test_lifecycle import ID_NUMBER, PHONE, co, customer, full_cylinder  # noqa: F401
from tests.factories import GOOD

CHECK = {"passed": True, "items": [{"item": "no_leak", "ok": True}]}


def _dispatch(world: Any, co: Any) -> tuple[dict[str, Any], dict[str, Any]]:  # noqa: F811
    cust = customer(world, co)
    c = full_cylinder(world, co)
    d = world.client.post("/api/v1/deliveries", headers=co["admin"]["headers"], json={
        "worker_id": co["worker"]["id"], "vehicle_id": co["vehicle"]["id"],
        "customer_id": cust["id"], "codes": [c["code"]]}).json()
    return d, c


def test_open_dispatches_are_the_workers_own_with_the_door_and_the_checklist(
        world: Any, co: Any) -> None:  # noqa: F811
    d, c = _dispatch(world, co)
    mine = world.client.get("/api/v1/deliveries/open", headers=co["worker"]["headers"])
    assert mine.status_code == 200
    [item] = mine.json()
    assert item["id"] == d["id"] and item["codes"] == [c["code"]]
    assert item["customer"]["address"] and item["customer"]["phone"] != PHONE
    assert {x["item"] for x in item["checklist"]} >= {"no_leak", "hose_ok"}
    assert ID_NUMBER not in mine.text and PHONE not in mine.text
    other = world.user("delivery_worker", co["e"]["id"])
    assert world.client.get("/api/v1/deliveries/open", headers=other["headers"]).json() == []
    operator = world.user("operator", co["e"]["id"])
    assert_problem(world.client.get("/api/v1/deliveries/open", headers=operator["headers"]), 403)


def test_a_confirmation_made_offline_keeps_the_phones_time(world: Any, co: Any) -> None:  # noqa: F811
    d, c = _dispatch(world, co)
    url = f"/api/v1/deliveries/{d['id']}/confirm"
    body = {"scans": [c["code"]], "location": {"lat": 29.56, "lon": 106.57, "accuracy_m": 9},
            "safety_check": CHECK}
    wh = co["worker"]["headers"]
    future = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    assert assert_problem(world.client.post(url, headers=wh, json={**body, "made_at": future}),
                          422)["reason"] == "MADE_AT_IN_FUTURE"
    stale = (datetime.now(UTC) - timedelta(days=8)).isoformat()
    assert assert_problem(world.client.post(url, headers=wh, json={**body, "made_at": stale}),
                          422)["reason"] == "MADE_AT_TOO_OLD"
    naive = datetime.now().replace(microsecond=0).isoformat()  # no zone: ambiguous, refused
    assert_problem(world.client.post(url, headers=wh, json={**body, "made_at": naive}), 422)
    made = datetime.now(UTC) - timedelta(hours=3)
    key = {"Idempotency-Key": "phone-7f3a"}
    r = world.client.post(url, headers={**wh, **key}, json={**body, "made_at": made.isoformat()})
    assert r.status_code == 200, r.text
    got = r.json()
    assert datetime.fromisoformat(got["delivered_at"]) == made
    assert datetime.fromisoformat(got["received_at"]) > made + timedelta(hours=2)
    # the answer was lost; the phone sends the same request again: one delivery, one event
    again = world.client.post(url, headers={**wh, **key},
                              json={**body, "made_at": made.isoformat()})
    assert again.json() == got
    events = world.client.get(f"/api/v1/cylinders/{c['code']}/history",
                              headers=world.admin).json()["items"]
    delivered = [e for e in events if e["kind"] == "delivered"]
    assert len(delivered) == 1
    assert datetime.fromisoformat(delivered[0]["occurred_at"]) == made


def test_fill_check_answers_like_the_appliance_and_writes_nothing(
        world: Any, co: Any) -> None:  # noqa: F811
    good = full_cylinder(world, co)
    two_phase = world.cylinder(co["e"]["id"], model="YSP-118-II",
                               **GOOD)
    foreign = world.cylinder(world.enterprise()["id"], **GOOD)
    operator = world.user("operator", co["e"]["id"])
    h = operator["headers"]

    def check(scan: str, **params: Any) -> dict[str, Any]:
        r = world.client.get("/api/v1/fill-check", headers=h, params={"scan": scan, **params})
        assert r.status_code == 200, r.text
        return dict(r.json())

    before = world.client.get(f"/api/v1/cylinders/{good['code']}/history",
                              headers=world.admin).json()["items"]
    assert check(good["code"])["decision"] == "allow"
    assert check(good["qr_text"])["decision"] == "allow"
    forged = good["qr_text"][:-1] + ("A" if good["qr_text"][-1] != "A" else "B")
    assert [x["code"] for x in check(forged)["reasons"]] == ["UNREGISTERED"]
    deny = check(two_phase["code"])
    assert deny["decision"] == "deny" and deny["reasons"][0]["message_zh"]
    assert "TWO_PHASE_VALVE" in [x["code"] for x in deny["reasons"]]
    other = check(foreign["code"])
    assert [x["code"] for x in other["reasons"]] == ["NOT_OWNED"]
    assert "model" not in other["cylinder"]  # another company's record stays theirs
    assert check("CT00000001Z0")["reasons"][0]["code"] == "UNREGISTERED"
    typo = good["code"][:-1] + ("0" if good["code"][-1] != "0" else "1")
    assert_problem(world.client.get("/api/v1/fill-check", headers=h, params={"scan": typo}), 422)
    after = world.client.get(f"/api/v1/cylinders/{good['code']}/history",
                             headers=world.admin).json()["items"]
    assert after == before  # nothing written, no authorization opened
    elsewhere = world.station(world.enterprise()["id"])
    assert_problem(world.client.get("/api/v1/fill-check", headers=h, params={
        "scan": good["code"], "station_id": elsewhere["id"]}), 404)
    regulator = world.user("regulator", region_codes=["500000"])
    assert_problem(world.client.get("/api/v1/fill-check", headers=regulator["headers"],
                                    params={"scan": good["code"]}), 403)
    assert_problem(world.client.get("/api/v1/fill-check", params={"scan": good["code"]}), 401)
