"""The cylinder registry through HTTP: registration with model defaults, codes, tags,
inspections, look-up, scope."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.db.tables.registry import Cylinder
from cylinder_trace.domain import codes
from cylinder_trace.domain.lifecycle import EventKind, rebuild
from cylinder_trace.services.events import events_of, state_of
from tests.api.test_health_and_errors import assert_problem

QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


@pytest.fixture
def company(world: Any) -> dict[str, Any]:
    e = world.enterprise()
    return {
        "enterprise": e,
        "admin": world.user("enterprise_admin", e["id"]),
        "station": world.station(e["id"]),
    }


def test_a_ysp12_needs_no_capacities_typed_in(world: Any, company: dict[str, Any]) -> None:
    c = world.cylinder(company["enterprise"]["id"], model="ysp-12")
    assert c["model"] == "YSP-12"
    assert c["water_capacity_l"] == 12
    assert c["max_fill_kg"] == pytest.approx(5.0, abs=0.1)
    assert c["tare_kg"] > 0
    assert c["valve_type"] == "single_phase"
    assert c["design_life_years"] == 8  # made 2022: GB 5842-2006
    assert c["next_inspection_due"] == "2026-03-01"  # four years after manufacture
    assert c["public_status"]["code"] in ("in_service", "overdue")


def test_ysp118_ii_is_a_two_phase_cylinder(world: Any, company: dict[str, Any]) -> None:
    c = world.cylinder(company["enterprise"]["id"], model="YSP-118-II")
    assert c["valve_type"] == "two_phase"
    assert c["max_fill_kg"] == pytest.approx(49.5, abs=0.1)


def test_cylinders_made_before_2007_get_fifteen_years(world: Any, company: dict[str, Any]) -> None:
    c = world.cylinder(company["enterprise"]["id"], manufacture_date="2006-12-31")
    assert c["design_life_years"] == 15


def test_the_code_is_checked_and_the_qr_text_is_short_signed_and_alphanumeric(
    world: Any, company: dict[str, Any]
) -> None:
    c = world.cylinder(company["enterprise"]["id"])
    assert codes.is_valid_code(c["code"])
    qr = c["qr_text"]
    assert qr.startswith("HTTPS://CT.EXAMPLE.CN/C/" + c["code"] + "/")
    assert set(qr) <= QR_ALPHANUMERIC
    assert len(qr) <= 48
    # every registration gets a new code
    other = world.cylinder(company["enterprise"]["id"])
    assert other["code"] != c["code"]


def test_unknown_model_needs_its_capacities(world: Any, company: dict[str, Any]) -> None:
    body = {"owner_enterprise_id": company["enterprise"]["id"], "manufacturer": "m",
            "serial_number": "X1", "model": "ABC-9", "manufacture_date": "2020-01-01"}
    r = world.client.post("/api/v1/cylinders", json=body, headers=world.admin)
    assert assert_problem(r, 422)["reason"] == "UNKNOWN_MODEL"
    body.update(water_capacity_l=20, tare_kg=9.5)
    r = world.client.post("/api/v1/cylinders", json=body, headers=world.admin)
    assert r.status_code == 201, r.text
    assert r.json()["max_fill_kg"] == pytest.approx(8.4)


@pytest.mark.parametrize(
    "override, field",
    [
        ({"manufacture_date": "2999-01-01"}, "manufacture_date"),
        ({"valve_type": "three_phase"}, "valve_type"),
        ({"tare_kg": -1}, "tare_kg"),
        ({"rfid": "not hex!"}, "rfid"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_registrations_say_which_field(
    world: Any, company: dict[str, Any], override: dict[str, Any], field: str
) -> None:
    body = {"owner_enterprise_id": company["enterprise"]["id"], "manufacturer": "m",
            "serial_number": "X2", "model": "YSP-12", "manufacture_date": "2020-01-01", **override}
    r = world.client.post("/api/v1/cylinders", json=body, headers=world.admin)
    problem = assert_problem(r, 422)
    named = [e["field"] for e in problem.get("errors", [])] + [problem.get("field")]
    assert any(field in (n or "") for n in named), problem


def test_one_cylinder_one_record_and_one_tag_one_cylinder(
    world: Any, company: dict[str, Any]
) -> None:
    eid = company["enterprise"]["id"]
    world.cylinder(eid, serial_number="S-1", rfid="e2 80 11 60 60 00 02 0a 1b 2c 3d 4e")
    r = world.client.post("/api/v1/cylinders", headers=world.admin, json={
        "owner_enterprise_id": eid, "manufacturer": "百工钢瓶厂", "serial_number": "S-1",
        "model": "YSP-12", "manufacture_date": "2020-01-01"})
    assert assert_problem(r, 409)["reason"] == "ALREADY_REGISTERED"
    r = world.client.post("/api/v1/cylinders", headers=world.admin, json={
        "owner_enterprise_id": eid, "manufacturer": "m", "serial_number": "S-2",
        "model": "YSP-12", "manufacture_date": "2020-01-01", "rfid": "E28011606000020A1B2C3D4E"})
    assert assert_problem(r, 409)["reason"] == "TAG_IN_USE"


def test_who_may_register(world: Any, company: dict[str, Any]) -> None:
    eid = company["enterprise"]["id"]
    other = world.enterprise()
    body = {"manufacturer": "m", "serial_number": "S-9", "model": "YSP-12",
            "manufacture_date": "2020-01-01"}
    # an enterprise admin registers for its own enterprise by default
    r = world.client.post("/api/v1/cylinders", json=body, headers=company["admin"]["headers"])
    assert r.status_code == 201 and r.json()["owner_enterprise_id"] == eid
    # but never for another (a foreign enterprise is not even confirmed to exist)
    r = world.client.post("/api/v1/cylinders", json={**body, "serial_number": "S-10",
                          "owner_enterprise_id": other["id"]},
                          headers=company["admin"]["headers"])
    assert r.status_code in (403, 404)
    operator = world.user("operator", eid)
    r = world.client.post("/api/v1/cylinders", json={**body, "serial_number": "S-11"},
                          headers=operator["headers"])
    assert_problem(r, 403)
    assert world.client.post("/api/v1/cylinders", json=body).status_code == 401


def test_reading_a_cylinder_by_code_url_or_typo(world: Any, company: dict[str, Any]) -> None:
    c = world.cylinder(company["enterprise"]["id"])
    h = company["admin"]["headers"]
    assert world.client.get(f"/api/v1/cylinders/{c['code']}", headers=h).json()["id"] == c["id"]
    assert world.client.get(f"/api/v1/cylinders/{c['code'].lower()}", headers=h).status_code == 200
    typo = c["code"][:-2] + ("1" if c["code"][-2] != "1" else "2") + c["code"][-1]
    assert_problem(world.client.get(f"/api/v1/cylinders/{typo}", headers=h), 422)
    unknown = codes.make_code("CT", 999_999)
    assert_problem(world.client.get(f"/api/v1/cylinders/{unknown}", headers=h), 404)
    # another company's admin cannot see it, a regulator of the region can, another region not
    stranger = world.user("enterprise_admin", world.enterprise()["id"])
    assert_problem(world.client.get(f"/api/v1/cylinders/{c['code']}",
                                    headers=stranger["headers"]), 404)
    reg = world.user("regulator", region_codes=["500000"])
    assert world.client.get(f"/api/v1/cylinders/{c['code']}",
                            headers=reg["headers"]).status_code == 200
    far = world.user("regulator", region_codes=["440000"])
    assert_problem(world.client.get(f"/api/v1/cylinders/{c['code']}", headers=far["headers"]), 404)


def test_a_replaced_tag_is_an_event_and_the_old_tag_is_free(
    world: Any, company: dict[str, Any]
) -> None:
    eid, h = company["enterprise"]["id"], company["admin"]["headers"]
    c = world.cylinder(eid, rfid="AABBCCDD00112233")
    r = world.client.post(f"/api/v1/cylinders/{c['code']}/tag",
                          json={"rfid": "aabbccdd00112244", "reason": "tag damaged"}, headers=h)
    assert r.status_code == 200 and r.json()["rfid"] == "AABBCCDD00112244"
    hist = world.client.get(f"/api/v1/cylinders/{c['code']}/history", headers=h).json()
    tag_event = hist["items"][0]
    assert tag_event["kind"] == "tag_bound"
    assert tag_event["payload"]["previous"] == "AABBCCDD00112233"
    # the old tag can go on another cylinder; the new one cannot
    world.cylinder(eid, rfid="AABBCCDD00112233")
    other = world.cylinder(eid)
    r = world.client.post(f"/api/v1/cylinders/{other['code']}/tag",
                          json={"rfid": "AABBCCDD00112244"}, headers=h)
    assert assert_problem(r, 409)["reason"] == "TAG_IN_USE"


def test_inspections_set_the_next_due_date_and_a_failure_marks_the_cylinder(
    world: Any, company: dict[str, Any]
) -> None:
    eid = company["enterprise"]["id"]
    inspector = world.user("inspector", region_codes=["500000"])
    c = world.cylinder(eid, manufacture_date="2018-05-01")
    url = f"/api/v1/cylinders/{c['code']}/inspections"
    r = world.client.post(url, headers=inspector["headers"], json={
        "inspected_on": "2024-05-10", "result": "pass", "report_number": "R-75",
        "next_due": "2028-05-10"})
    assert r.status_code == 201, r.text
    assert r.json()["next_inspection_due"] == "2028-05-10"
    r = world.client.post(url, headers=inspector["headers"], json={
        "inspected_on": "2025-01-02", "result": "pass", "report_number": "R-76",
        "next_due": "2027-01-02"})
    assert r.json()["next_inspection_due"] == "2027-01-02"  # the agency's stamp
    r = world.client.post(url, headers=inspector["headers"], json={
        "inspected_on": "2025-06-01", "result": "fail", "report_number": "R-77"})
    body = r.json()
    assert body["last_inspection_result"] == "fail"
    assert body["public_status"]["code"] == "inspection_failed"
    operator = world.user("operator", eid)
    assert_problem(world.client.post(url, headers=operator["headers"], json={
        "inspected_on": "2025-06-01", "result": "pass", "report_number": "R-78",
        "next_due": "2029-06-01"}), 403)
    assert_problem(world.client.post(url, headers=inspector["headers"], json={
        "inspected_on": "2017-06-01", "result": "pass", "report_number": "R-79",
        "next_due": "2021-06-01"}), 422)


def test_a_converted_two_phase_valve_is_recorded_with_its_event(
    world: Any, company: dict[str, Any]
) -> None:
    eid = company["enterprise"]["id"]
    c = world.cylinder(eid, model="YSP-118-II")
    r = world.inspect(c, inspected_on="2025-06-01", valve_converted=True)
    assert r.status_code == 201 and r.json()["valve_type"] == "single_phase"
    kinds = [e["kind"] for e in world.client.get(
        f"/api/v1/cylinders/{c['code']}/history", headers=world.admin).json()["items"]]
    assert EventKind.VALVE_CONVERTED in kinds and EventKind.INSPECTED in kinds


def test_state_rebuilt_from_the_events_equals_the_stored_state(
    world: Any, company: dict[str, Any]
) -> None:
    eid = company["enterprise"]["id"]
    c = world.cylinder(eid, model="YSP-118-II", rfid="0102030405060708",
                       station_id=company["station"]["id"])
    base = f"/api/v1/cylinders/{c['code']}"
    world.client.post(f"{base}/tag", json={"rfid": "0102030405060709"}, headers=world.admin)
    assert world.inspect(c, inspected_on="2025-06-01", valve_converted=True).status_code == 201
    assert world.inspect(c, "fail", inspected_on="2025-07-01").status_code == 201
    with Session(get_engine()) as session:
        row = session.get(Cylinder, c["id"])
        assert row is not None
        events = events_of(session, c["id"])
        rebuilt = rebuild([(EventKind(e.kind), e.payload, e.occurred_at) for e in events])
        assert rebuilt == state_of(row)
        assert rebuilt is not None and rebuilt.valve_type == "single_phase"
        assert rebuilt.location_kind == "station"


def test_registration_dates_follow_the_region_policy(world: Any, company: dict[str, Any]) -> None:
    c = world.cylinder(company["enterprise"]["id"], last_inspection_date="2024-02-29")
    assert c["next_inspection_due"] == "2028-02-29"
    c = world.cylinder(company["enterprise"]["id"], last_inspection_date="2023-02-28",
                       next_inspection_due="2026-01-01")
    assert c["next_inspection_due"] == "2026-01-01"
    assert date.fromisoformat(c["service_life_ends"]) == date(2030, 3, 1)


def test_labels_carry_the_signed_qr_text_and_the_owner(world: Any, company: dict[str, Any]) -> None:
    import io

    import zxingcpp
    from PIL import Image

    eid, h = company["enterprise"]["id"], company["admin"]["headers"]
    c = world.cylinder(eid)
    r = world.client.get(f"/api/v1/cylinders/{c['code']}/label.png", headers=h)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)))
    assert [d.text for d in decoded] == [c["qr_text"]]
    svg = world.client.get(f"/api/v1/cylinders/{c['code']}/label.svg", headers=h)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert c["code"] in svg.text and company["enterprise"]["name"] in svg.text
    other = world.cylinder(eid)
    sheet = world.client.get("/api/v1/labels", headers=h,
                             params={"codes": f"{c['code']},{other['code']}"})
    assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
    page = world.client.get("/api/v1/labels", headers=h,
                            params={"codes": c["code"], "format": "svg"})
    assert page.headers["x-sheet-pages"] == "1"
    stranger = world.user("enterprise_admin", world.enterprise()["id"])
    assert world.client.get(f"/api/v1/cylinders/{c['code']}/label.png",
                            headers=stranger["headers"]).status_code == 404


def test_a_company_cannot_register_a_due_date_past_the_inspection_cycle(
        world: Any, company: dict[str, Any]) -> None:
    """Was: any next_inspection_due was taken as typed, so a company could register a cylinder
    that no scale would call overdue for years. The first inspection is due one interval (4
    years here) after manufacture, or after the inspection recorded; earlier is kept, later is
    refused (models_spec.latest_registered_due)."""
    owner = company["enterprise"]["id"]
    body = {"owner_enterprise_id": owner, "manufacturer": "百工", "model": "YSP-35.5",
            "manufacture_date": "2022-03-01"}
    cases: list[tuple[dict[str, str], str, str]] = [
        ({}, "2026-03-02", "2026-03-01"),
        ({"last_inspection_date": "2023-05-10"}, "2027-05-11", "2027-05-10")]
    for n, (extra, due, latest) in enumerate(cases):
        r = world.client.post("/api/v1/cylinders", headers=company["admin"]["headers"], json={
            **body, **extra, "serial_number": f"LATE-{n}", "next_inspection_due": due})
        problem = assert_problem(r, 422)
        assert problem["reason"] == "NEXT_INSPECTION_TOO_LATE", problem
        assert problem["field"] == "next_inspection_due"
        assert problem["latest"] == latest
    with Session(get_engine()) as session:
        assert session.query(Cylinder).count() == 0
    at_bound = world.cylinder(owner, manufacture_date="2022-03-01",
                              next_inspection_due="2026-03-01")
    assert at_bound["next_inspection_due"] == "2026-03-01"
    earlier = world.cylinder(owner, manufacture_date="2022-03-01",
                             next_inspection_due="2025-01-01")
    assert earlier["next_inspection_due"] == "2025-01-01"
