"""Fill authorization and fill records through HTTP: every reason end to end, one open
authorization per cylinder under concurrency, expiry, idempotent fills, flags."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.db.tables.registry import Cylinder
from cylinder_trace.domain import codes
from cylinder_trace.domain.lifecycle import EventKind, rebuild
from cylinder_trace.services.events import append_event, events_of, state_of
from tests.api.test_health_and_errors import assert_problem
from tests.factories import GOOD as FRESH
from tests.factories import days_ago

GOOD = {**FRESH, "smart_valve_id": "SV-1"}


@pytest.fixture
def site(world: Any) -> dict[str, Any]:
    e = world.enterprise()
    s1, s2 = world.station(e["id"]), world.station(e["id"])
    return {"e": e, "s1": s1, "s2": s2, "k1": world.api_key(s1["id"]),
            "k2": world.api_key(s2["id"]),
            "operator": world.user("operator", e["id"], badge="OP-7")}


def ask(world: Any, key: dict[str, str], scan: str = "", **extra: Any) -> dict[str, Any]:
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": scan, **extra},
                          headers=key)
    assert r.status_code == 200, r.text
    return dict(r.json())


def reasons(answer: dict[str, Any]) -> set[str]:
    return {x["code"] for x in answer["reasons"]}


def history(world: Any, code: str) -> list[dict[str, Any]]:
    r = world.client.get(f"/api/v1/cylinders/{code}/history", headers=world.admin)
    return list(r.json()["items"])


def system_event(cylinder_id: int, kind: EventKind, payload: dict[str, Any]) -> None:
    with Session(get_engine()) as session:
        c = session.get(Cylinder, cylinder_id)
        assert c is not None
        append_event(session, c, kind, None, payload)
        session.commit()


def test_a_good_cylinder_is_allowed_and_the_answer_is_an_event(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    a = ask(world, site["k1"], c["qr_text"], operator="OP-7")
    assert a["decision"] == "allow" and a["reasons"] == []
    assert a["authorization_id"] and a["expires_at"]
    assert a["cylinder"] == {"code": c["code"], "model": "YSP-35.5", "tare_kg": c["tare_kg"],
                             "max_fill_kg": c["max_fill_kg"]}
    ev = history(world, c["code"])[0]
    assert ev["kind"] == "fill_authorized"
    assert ev["payload"]["authorization_id"] == a["authorization_id"]
    assert ev["station_id"] == site["s1"]["id"]


def test_each_deny_reason_end_to_end(world: Any, site: Any) -> None:
    eid = site["e"]["id"]
    k1 = site["k1"]
    # forged, unsigned and unknown labels
    c = world.cylinder(eid, **GOOD)
    forged = c["qr_text"][:-1] + ("A" if c["qr_text"][-1] != "A" else "B")
    assert reasons(ask(world, k1, forged)) == {"UNREGISTERED"}
    assert reasons(ask(world, k1, c["code"])) == {"UNREGISTERED"}  # unsigned raw code
    unknown = ask(world, k1, codes.make_code("CT", 999_999))
    assert reasons(unknown) == {"UNREGISTERED"} and unknown["cylinder"] is None
    assert reasons(ask(world, k1, "garbage ###")) == {"UNREGISTERED"}
    # QR of one cylinder, tag of another: a cloned label
    tagged = world.cylinder(eid, rfid="E28011606000020A1B2C3D4E", **GOOD)
    assert reasons(ask(world, k1, c["qr_text"], rfid="E28011606000020A1B2C3D4E")) == {
        "CODE_MISMATCH"}
    # the tag alone, or the raw code confirmed by its own tag, is enough
    assert ask(world, k1, rfid="e280 1160 6000 020a 1b2c 3d4e")["decision"] == "allow"
    assert ask(world, k1, tagged["code"], rfid="E28011606000020A1B2C3D4E")["decision"] == "allow"
    cases: dict[str, dict[str, Any]] = {
        "INSPECTION_OVERDUE": dict(GOOD, manufacture_date="2020-01-01",
                                   next_inspection_due="2025-01-01",
                                   last_inspection_date="2022-06-01"),
        "SERVICE_LIFE_EXCEEDED": dict(GOOD, manufacture_date="2010-01-01",
                                      last_inspection_date="2024-01-01"),
        "REFURBISHED": dict(GOOD, refurbished=True),
        "TWO_PHASE_VALVE": dict(GOOD, model="YSP-118-II"),
    }
    for reason, body in cases.items():
        cyl = world.cylinder(eid, **body)
        assert reason in reasons(ask(world, k1, cyl["qr_text"])), reason
    failed = world.cylinder(eid, **GOOD)
    assert world.inspect(failed, "fail", inspected_on=days_ago(10)).status_code == 201
    assert reasons(ask(world, k1, failed["qr_text"])) == {"INSPECTION_FAILED"}
    for kind, reason in ((EventKind.SEIZED, "SEIZED"), (EventKind.RECALLED, "RECALLED"),
                         (EventKind.SCRAPPED, "SCRAPPED")):
        cyl = world.cylinder(eid, **GOOD)
        system_event(cyl["id"], kind, {"reason": "test"})
        assert reason in reasons(ask(world, k1, cyl["qr_text"])), reason
    theirs = world.cylinder(world.enterprise()["id"], **GOOD)
    assert reasons(ask(world, k1, theirs["qr_text"])) == {"NOT_OWNED"}
    assert reasons(ask(world, k1, c["qr_text"], operator="NOBODY")) == {"OPERATOR_NOT_CERTIFIED"}
    # every refusal is evidence a regulator can find
    kinds = [e["kind"] for e in history(world, c["code"])]
    assert kinds.count("fill_denied") >= 3


def test_station_licence_and_regulator_lock(world: Any) -> None:
    e = world.enterprise(filling_licence={"number": "TS1", "valid_from": "2020-01-01",
                                          "valid_until": "2099-01-01", "status": "suspended"})
    s = world.station(e["id"])
    c = world.cylinder(e["id"], **GOOD)
    assert reasons(ask(world, world.api_key(s["id"]), c["qr_text"])) == {"STATION_NOT_LICENSED"}
    ok = world.enterprise()
    s2 = world.station(ok["id"])
    key = world.api_key(s2["id"])
    c2 = world.cylinder(ok["id"], **GOOD)
    regulator = world.user("regulator", region_codes=["500000"])
    r = world.client.post(f"/api/v1/stations/{s2['id']}/lock", json={"reason": "查处"},
                          headers=regulator["headers"])
    assert r.status_code == 200, r.text
    assert reasons(ask(world, key, c2["qr_text"])) == {"STATION_LOCKED"}
    r = world.client.post(f"/api/v1/stations/{s2['id']}/unlock", json={"reason": "整改完成"},
                          headers=regulator["headers"])
    assert r.status_code == 200, r.text
    assert ask(world, key, c2["qr_text"])["decision"] == "allow"


def test_unknown_scans_are_recorded_against_the_station(world: Any, site: Any) -> None:
    ask(world, site["k1"], "HTTPS://EVIL.EXAMPLE/C/XX")
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT station_id::text, scan FROM unregistered_scan")).all()
    assert rows == [(site["s1"]["id"], "HTTPS://EVIL.EXAMPLE/C/XX")]


def test_one_open_authorization_per_cylinder(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    first = ask(world, site["k1"], c["qr_text"])
    again = ask(world, site["k1"], c["qr_text"])
    assert again["decision"] == "allow"
    assert again["authorization_id"] == first["authorization_id"]
    other = ask(world, site["k2"], c["qr_text"])
    assert other["decision"] == "deny" and reasons(other) == {"FILL_IN_PROGRESS"}
    # once it has expired, another station may have the cylinder
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE fill_authorization SET expires_at = now() - interval '1 s'"))
    later = ask(world, site["k2"], c["qr_text"])
    assert later["decision"] == "allow"
    with get_engine().connect() as conn:
        states = conn.execute(text("SELECT status FROM fill_authorization ORDER BY created_at"))
        assert [s for (s,) in states] == ["expired", "open"]


def test_concurrent_scans_at_two_stations_give_exactly_one_allow(world: Any, site: Any) -> None:
    for _ in range(3):
        c = world.cylinder(site["e"]["id"], **GOOD)
        keys = [site["k1"], site["k2"]] * 6
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(
                lambda k, c=c: world.client.post("/api/v1/fill-authorizations",
                                                 json={"scan": c["qr_text"]}, headers=k).json(),
                keys))
        allowed_ids = {a["authorization_id"] for a in answers if a["decision"] == "allow"}
        assert len(allowed_ids) == 1
        with get_engine().connect() as conn:
            n = conn.execute(text("SELECT count(*) FROM fill_authorization WHERE cylinder_id = :c"
                                  " AND status = 'open'"), {"c": c["id"]}).scalar()
        assert n == 1


def fill(world: Any, key: dict[str, str], body: dict[str, Any], idem: str | None = None) -> Any:
    headers = dict(key)
    if idem:
        headers["Idempotency-Key"] = idem
    return world.client.post("/api/v1/fills", json=body, headers=headers)


def test_a_fill_quotes_its_authorization_once(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    a = ask(world, site["k1"], c["qr_text"])
    body = {"authorization_id": a["authorization_id"], "net_kg": 14.5, "gross_kg": 30.5,
            "operator": "OP-7", "gas_batch": "B-2026-11"}
    r = fill(world, site["k1"], body, idem="fill-1")
    assert r.status_code == 201, r.text
    record = r.json()
    assert record["flags"] == [] and record["cylinder_code"] == c["code"]
    assert record["operator_id"] == site["operator"]["id"]
    # the appliance retries: same answer, no second fill
    retry = fill(world, site["k1"], body, idem="fill-1")
    assert retry.status_code == 201 and retry.json() == record
    assert_problem(fill(world, site["k1"], {**body, "net_kg": 1.0}, idem="fill-1"), 409)
    used = fill(world, site["k1"], body)
    assert assert_problem(used, 409)["reason"] == "AUTHORIZATION_USED"
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fill")).scalar() == 1
    got = world.client.get(f"/api/v1/cylinders/{c['code']}", headers=world.admin).json()
    assert got["filled"] and got["location_kind"] == "station"
    assert got["last_fill_station_id"] == site["s1"]["id"]
    filled = history(world, c["code"])[0]
    assert filled["kind"] == "filled" and filled["payload"]["net_kg"] == 14.5
    with Session(get_engine()) as session:
        row = session.get(Cylinder, c["id"])
        assert row is not None
        events = events_of(session, c["id"])
        assert rebuild([(EventKind(e.kind), e.payload, e.occurred_at) for e in events]) == \
            state_of(row)


def test_fill_refusals(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    a = ask(world, site["k1"], c["qr_text"])
    foreign = fill(world, site["k2"], {"authorization_id": a["authorization_id"], "net_kg": 14})
    assert assert_problem(foreign, 403)["reason"] == "AUTHORIZATION_FOREIGN"
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE fill_authorization SET expires_at = now() - interval '1 s'"))
    expired = fill(world, site["k1"], {"authorization_id": a["authorization_id"], "net_kg": 14})
    assert assert_problem(expired, 409)["reason"] == "AUTHORIZATION_EXPIRED"
    missing = fill(world, site["k1"], {"authorization_id": "00000000-0000-0000-0000-000000000000",
                                        "net_kg": 14})
    assert_problem(missing, 404)
    assert_problem(fill(world, site["k1"], {"authorization_id": a["authorization_id"],
                                            "net_kg": -1}), 422)
    admin_try = world.client.post("/api/v1/fills", headers=world.admin, json={
        "authorization_id": a["authorization_id"], "net_kg": 14})
    assert_problem(admin_try, 403)


def test_overfill_and_a_foreign_tare_are_flagged_not_silently_accepted(
    world: Any, site: Any
) -> None:
    c = world.cylinder(site["e"]["id"], tare_kg=16.0, **GOOD)
    a = ask(world, site["k1"], c["qr_text"])
    r = fill(world, site["k1"], {"authorization_id": a["authorization_id"], "net_kg": 16.2,
                                 "gross_kg": 64.2})
    assert r.status_code == 201
    assert {f["code"] for f in r.json()["flags"]} == {"OVERFILL", "MASS_MISMATCH"}
    assert history(world, c["code"])[0]["payload"]["flags"] == ["OVERFILL", "MASS_MISMATCH"]


def test_a_failed_pre_fill_check_refuses_the_fill(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    a = ask(world, site["k1"], c["qr_text"])
    r = fill(world, site["k1"], {"authorization_id": a["authorization_id"], "net_kg": 14,
                                 "pre_fill_check": {"passed": False, "items": [
                                     {"item": "valve_tight", "ok": False, "note": "漏气"}]}})
    body = assert_problem(r, 409, "PRE_FILL_CHECK_FAILED")
    assert body["failed_items"] == ["valve_tight"]
    ev = history(world, c["code"])[0]
    assert ev["kind"] == "fill_denied"
    assert ev["payload"]["reasons"] == ["PRE_FILL_CHECK_FAILED"]
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fill")).scalar() == 0


def test_a_retried_fill_is_answered_as_the_first_time_and_recorded_once(
    world: Any, site: Any
) -> None:
    """Same key, same body: the first answer again (a fill or a refusal, kept with the write);
    same key, another body: 409 IDEMPOTENCY_KEY_REUSED; a key is the station's own."""
    def count(sql: str) -> int:
        with get_engine().connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())

    c = world.cylinder(site["e"]["id"], **GOOD)
    a = ask(world, site["k1"], c["qr_text"])
    body = {"authorization_id": a["authorization_id"], "net_kg": 14.5, "gross_kg": 30.5}
    first = fill(world, site["k1"], body, idem="retry-7")
    assert first.status_code == 201, first.text
    for _ in range(2):
        again = fill(world, site["k1"], body, idem="retry-7")
        assert again.status_code == 201 and again.json() == first.json()
        assert again.headers["content-type"].startswith("application/json")
    reused = fill(world, site["k1"], {**body, "gross_kg": 31.0}, idem="retry-7")
    assert assert_problem(reused, 409, "CONFLICT")["reason"] == "IDEMPOTENCY_KEY_REUSED"
    assert count("SELECT count(*) FROM fill") == 1
    assert count("SELECT count(*) FROM idempotency_record") == 1
    # another station's key of the same name is another key (its own scope): not a replay
    other = fill(world, site["k2"], body, idem="retry-7")
    assert assert_problem(other, 403)["reason"] == "AUTHORIZATION_FOREIGN"

    # a refusal whose effects are kept (a failed pre-fill check) is replayed the same way,
    # and the cylinder is sent to inspection once
    d = world.cylinder(site["e"]["id"], **GOOD)
    b = ask(world, site["k1"], d["qr_text"])
    check = {"authorization_id": b["authorization_id"], "net_kg": 14,
             "pre_fill_check": {"passed": False, "items": [{"item": "valve_tight", "ok": False}]}}
    refused = fill(world, site["k1"], check, idem="retry-8")
    problem = assert_problem(refused, 409, "PRE_FILL_CHECK_FAILED")
    again = fill(world, site["k1"], check, idem="retry-8")
    assert assert_problem(again, 409, "PRE_FILL_CHECK_FAILED") == problem
    assert [e["kind"] for e in history(world, d["code"])].count("fill_denied") == 1
    assert count("SELECT count(*) FROM fill") == 1
    assert count("SELECT count(*) FROM idempotency_record") == 2


def test_who_may_ask(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]})
    assert_problem(r, 401)
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=world.admin)
    assert_problem(r, 403)
    keys = world.client.get(f"/api/v1/stations/{site['s1']['id']}/api-keys",
                            headers=world.admin).json()
    world.client.delete(f"/api/v1/stations/{site['s1']['id']}/api-keys/{keys[0]['id']}",
                        headers=world.admin)
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=site["k1"])
    assert_problem(r, 401)
    r = world.client.post("/api/v1/fill-authorizations", json={}, headers=site["k2"])
    assert_problem(r, 422)


def test_the_fast_path_and_the_route_answer_alike(world: Any, site: Any) -> None:
    """The usual request is answered ahead of the router (api/fills.py), any other shape by the
    FastAPI route: the same decision, the same refusals, whichever answered."""
    from cylinder_trace.api.routes.fills import _usual

    c = world.cylinder(site["e"]["id"], **GOOD)
    scan = c["qr_text"]
    # which requests the fast path takes: the shapes FillAuthorizationRequest accepts as given
    assert _usual(f'{{"scan": " {scan}\\r\\n"}}'.encode()) == (scan, None, None)
    assert _usual(b'{"rfid": "E2801160", "operator": "OP-7"}') == ("", "E2801160", "OP-7")
    for other in (b'{"scan": null}', b'{"scan": "x", "extra": 1}', b'{"scan": 5}', b"[1]",
                  b'{"scan": "   "}', b'{"scan": "x", "operator": " "}', b"not json",
                  ('{"scan": "' + "x" * 513 + '"}').encode(),
                  f'{{"scan": "{scan}\\u3000"}}'.encode(),
                  # what the standard library would read and orjson does not: the long way
                  f'{{"scan": "{scan}", "n": NaN}}'.encode(),
                  f'{{"scan": "{scan}"}}'.encode("utf-16")):
        assert _usual(other) is None, other
    fast = ask(world, site["k1"], scan)
    # the route's answer to the same question (a trailing ideographic space: the model strips
    # it): this station's open authorization, quoted again
    routed = ask(world, site["k1"], scan + "\u3000")
    assert fast["decision"] == routed["decision"] == "allow"
    assert fast["authorization_id"] == routed["authorization_id"]
    assert {k: v for k, v in fast.items() if k != "expires_at"} == \
        {k: v for k, v in routed.items() if k != "expires_at"}
    other_station = ask(world, site["k2"], scan)
    assert other_station["decision"] == "deny"
    # refusals of either kind are problems with their codes, never a 500
    for body, status in (({"scan": scan, "extra": 1}, 422), ({"scan": None}, 422),
                         ({"scan": scan, "operator": " "}, 422)):
        assert_problem(world.client.post("/api/v1/fill-authorizations", json=body,
                                         headers=site["k1"]), status)
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": scan},
                          headers={"X-API-Key": "ctk_not-a-key"})
    assert_problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"
    r = world.client.post("/api/v1/fill-authorizations", content=f'{{"scan": "{scan}"}}',
                          headers={**site["k1"], "Content-Type": "text/plain"})
    assert_problem(r, 422)  # a body not said to be JSON is not read as JSON, by either
