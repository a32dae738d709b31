"""The attack suite: each way of talking a station into an illegal fill, through HTTP against the
real service. Each is refused or flagged, and leaves evidence a regulator of the region can find.
docs/security.md lists them with what stops each one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from cylinder_trace.db.engine import get_engine
from cylinder_trace.domain.codes import make_code
from tests.api.test_health_and_errors import assert_problem
from tests.factories import GOOD  # in service on any day the suite runs


@pytest.fixture
def site(world: Any) -> dict[str, Any]:
    e = world.enterprise()
    s1, s2 = world.station(e["id"]), world.station(e["id"])
    return {"e": e, "s1": s1, "k1": world.api_key(s1["id"]), "k2": world.api_key(s2["id"]),
            "regulator": world.user("regulator", region_codes=["500000"])}


def ask(world: Any, key: dict[str, str], **body: Any) -> dict[str, Any]:
    r = world.client.post("/api/v1/fill-authorizations", json=body, headers=key)
    assert r.status_code == 200, r.text
    return dict(r.json())


def codes_of(answer: dict[str, Any]) -> set[str]:
    return {x["code"] for x in answer["reasons"]}


def regulator_sees(world: Any, site: dict[str, Any], code: str, kind: str) -> dict[str, Any]:
    """The regulator of the region finds the event in the cylinder's history."""
    r = world.client.get(f"/api/v1/cylinders/{code}/history", params={"kind": kind},
                         headers=site["regulator"]["headers"])
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert items, f"no {kind} event on {code}"
    return dict(items[0])


def test_a_self_printed_label_with_a_well_formed_code_but_no_signature(world: Any,
                                                                       site: Any) -> None:
    real = world.cylinder(site["e"]["id"], **GOOD)
    forged = f"HTTPS://CT.EXAMPLE.CN/C/{real['code']}/1AAAAAAAA"
    assert codes_of(ask(world, site["k1"], scan=forged)) == {"UNREGISTERED"}
    assert codes_of(ask(world, site["k1"], scan=real["code"])) == {"UNREGISTERED"}
    ev = regulator_sees(world, site, real["code"], "fill_denied")
    assert ev["payload"]["scan_error"] in ("BAD_SIGNATURE", None)
    # a code nobody issued is kept against the station
    ghost = make_code("CT", 77_777_777)
    ask(world, site["k1"], scan=f"HTTPS://CT.EXAMPLE.CN/C/{ghost}/1AAAAAAAA")
    seen = world.client.get("/api/v1/unregistered-scans",
                            headers=site["regulator"]["headers"]).json()
    assert any(ghost in s["scan"] for s in seen)


def test_a_genuine_label_copied_onto_a_second_cylinder_scanned_at_two_stations_at_once(
    world: Any, site: Any
) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    keys = [site["k1"], site["k2"]] * 5
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda k: ask(world, k, scan=c["qr_text"]), keys))
    granted = {a["authorization_id"] for a in answers if a["decision"] == "allow"}
    assert len(granted) == 1
    assert any(codes_of(a) == {"FILL_IN_PROGRESS"} for a in answers)
    ev = regulator_sees(world, site, c["code"], "fill_denied")
    assert ev["payload"]["reasons"] == ["FILL_IN_PROGRESS"]


def test_a_qr_and_a_tag_from_different_cylinders(world: Any, site: Any) -> None:
    a = world.cylinder(site["e"]["id"], rfid="E200AAAA0000000000000001", **GOOD)
    b = world.cylinder(site["e"]["id"], rfid="E200AAAA0000000000000002", **GOOD)
    answer = ask(world, site["k1"], scan=a["qr_text"], rfid=b["rfid"])
    assert codes_of(answer) == {"CODE_MISMATCH"}
    assert regulator_sees(world, site, a["code"], "fill_denied")["payload"]["rfid"] == b["rfid"]


def test_a_foreign_companys_cylinder(world: Any, site: Any) -> None:
    theirs = world.cylinder(world.enterprise()["id"], **GOOD)
    assert codes_of(ask(world, site["k1"], scan=theirs["qr_text"])) == {"NOT_OWNED"}
    regulator_sees(world, site, theirs["code"], "fill_denied")


def test_a_banned_two_phase_cylinder_relabelled_with_a_single_phase_code(world: Any,
                                                                        site: Any) -> None:
    # The label is a genuine 15 kg cylinder's; what is on the scale is a 50 kg two-phase one.
    label = world.cylinder(site["e"]["id"], tare_kg=16.0, **GOOD)
    a = ask(world, site["k1"], scan=label["qr_text"])
    assert a["decision"] == "allow"
    r = world.client.post("/api/v1/fills", headers=site["k1"], json={
        "authorization_id": a["authorization_id"], "net_kg": 14.0, "gross_kg": 62.0})
    assert r.status_code == 201
    assert {f["code"] for f in r.json()["flags"]} == {"MASS_MISMATCH"}
    assert regulator_sees(world, site, label["code"], "filled")["payload"]["flags"] == [
        "MASS_MISMATCH"]


def test_reused_expired_and_other_station_authorizations(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    a = ask(world, site["k1"], scan=c["qr_text"])
    body = {"authorization_id": a["authorization_id"], "net_kg": 14.0}
    assert assert_problem(world.client.post("/api/v1/fills", json=body, headers=site["k2"]),
                          403)["reason"] == "AUTHORIZATION_FOREIGN"
    assert world.client.post("/api/v1/fills", json=body, headers=site["k1"]).status_code == 201
    assert assert_problem(world.client.post("/api/v1/fills", json=body, headers=site["k1"]),
                          409)["reason"] == "AUTHORIZATION_USED"
    c2 = world.cylinder(site["e"]["id"], **GOOD)
    a2 = ask(world, site["k1"], scan=c2["qr_text"])
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE fill_authorization SET expires_at = now() - interval '1 s' "
                          "WHERE id = :i"), {"i": a2["authorization_id"]})
    late = world.client.post("/api/v1/fills", headers=site["k1"],
                             json={"authorization_id": a2["authorization_id"], "net_kg": 14.0})
    assert assert_problem(late, 409)["reason"] == "AUTHORIZATION_EXPIRED"
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM fill")).scalar() == 1


def test_an_overfill_is_flagged(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    a = ask(world, site["k1"], scan=c["qr_text"])
    r = world.client.post("/api/v1/fills", headers=site["k1"], json={
        "authorization_id": a["authorization_id"], "net_kg": c["max_fill_kg"] + 1.5})
    assert {f["code"] for f in r.json()["flags"]} == {"OVERFILL"}
    assert regulator_sees(world, site, c["code"], "filled")["payload"]["flags"] == ["OVERFILL"]


def test_a_scrapped_cylinders_code_presented_again(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    assert world.scrap(c, "超期").status_code == 200
    assert "SCRAPPED" in codes_of(ask(world, site["k1"], scan=c["qr_text"]))
    regulator_sees(world, site, c["code"], "fill_denied")
    # and the code is never handed out again
    again = world.cylinder(site["e"]["id"], **GOOD)
    assert again["code"] != c["code"]


def test_a_station_key_after_revocation(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    keys = world.client.get(f"/api/v1/stations/{site['s1']['id']}/api-keys",
                            headers=world.admin).json()
    world.client.delete(f"/api/v1/stations/{site['s1']['id']}/api-keys/{keys[0]['id']}",
                        headers=world.admin)
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=site["k1"])
    assert_problem(r, 401)
    assert_problem(world.client.post("/api/v1/fills", headers=site["k1"], json={
        "authorization_id": "00000000-0000-0000-0000-000000000000", "net_kg": 1}), 401)


def test_a_regulator_reading_outside_its_region(world: Any, site: Any) -> None:
    c = world.cylinder(site["e"]["id"], **GOOD)
    far = world.user("regulator", region_codes=["440000"])
    for path in (f"/api/v1/cylinders/{c['code']}", f"/api/v1/cylinders/{c['code']}/history"):
        assert_problem(world.client.get(path, headers=far["headers"]), 404)
    listed = world.client.get("/api/v1/cylinders", headers=far["headers"]).json()["items"]
    assert listed == []


def test_control_characters_in_a_scan_are_garbage_not_a_crash(world: Any, site: Any) -> None:
    answer = ask(world, site["k1"], scan="CT\x00\x00' OR 1=1 --", rfid="E2\x0000",
                 operator="OP\x00")
    assert answer["decision"] == "deny" and "UNREGISTERED" in codes_of(answer)
    r = world.client.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x"})
    assert r.status_code in (401, 422)
