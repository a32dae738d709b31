"""Inspection agencies (issue 19): only an agency's inspector, with a valid certificate, in an
agency whose approval is valid, records inspections, valve conversions and scrapping; the fill
follows what a valid agency recorded, and nothing a company records clears a refusal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from cylinder_trace.db.engine import get_engine
from cylinder_trace.domain.models_spec import add_years
from cylinder_trace.services.registry import today
from tests.api.test_health_and_errors import assert_problem
from tests.databases import new_database
from tests.factories import credit_code


def _d(days: int) -> str:
    return str(today() + timedelta(days=days))


@pytest.fixture
def co(world: Any) -> dict[str, Any]:
    e = world.enterprise()  # region 500103
    s = world.station(e["id"])
    return {"e": e, "key": world.api_key(s["id"]),
            "admin": world.user("enterprise_admin", e["id"])}


def overdue(world: Any, co: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return dict(world.cylinder(co["e"]["id"], manufacture_date=_d(-6 * 365),
                               last_inspection_date=_d(-4 * 365),
                               next_inspection_due=_d(-30), **extra))


def reasons(world: Any, co: dict[str, Any], c: dict[str, Any]) -> set[str]:
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=co["key"])
    assert r.status_code in (200, 201), r.text
    return {x["code"] for x in r.json()["reasons"]}


def notified(kind: str) -> list[tuple[str, str]]:
    """The owners told of this kind of thing, through the outbox."""
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT enterprise_id::text, payload->>'code' FROM notification "
                                 "WHERE kind = :k ORDER BY created_at"), {"k": kind})
        return [(r[0], r[1]) for r in rows]


def passing(report: str, on: date | None = None, **extra: Any) -> dict[str, Any]:
    on = on or today() - timedelta(days=1)
    return {"inspected_on": str(on), "result": "pass", "report_number": report,
            "next_due": str(add_years(on, 4)), **extra}


def inspect(world: Any, who: dict[str, str], c: dict[str, Any], body: dict[str, Any]) -> Any:
    return world.client.post(f"/api/v1/cylinders/{c['code']}/inspections", headers=who,
                             json=body)


def test_a_company_cannot_clear_its_own_overdue_cylinder_an_agency_can(
    world: Any, co: dict[str, Any]
) -> None:
    c = overdue(world, co)
    assert reasons(world, co, c) == {"INSPECTION_OVERDUE"}
    for who in (co["admin"]["headers"], world.admin):  # the company, and the platform itself
        r = inspect(world, who, c, passing("FAKE-1"))
        assert assert_problem(r, 403)["reason"] == "ROLE_NOT_ALLOWED"  # the permission table
    # an inspector account from before agencies (the company's own unit) records nothing
    legacy = world.legacy_inspector(co["e"]["id"], ["500000"])
    r = inspect(world, legacy["headers"], c, passing("FAKE-2"))
    assert assert_problem(r, 403)["reason"] == "AGENCY_INSPECTOR_REQUIRED"
    assert reasons(world, co, c) == {"INSPECTION_OVERDUE"}
    inspector = world.inspector()
    r = inspect(world, inspector["headers"], c, passing("JY-2026-001", agency="别的机构"))
    assert_problem(r, 422)  # the agency is the account's, never a field of the body
    r = inspect(world, inspector["headers"], c, passing("JY-2026-001"))
    assert r.status_code == 201, r.text
    assert r.json()["next_inspection_due"] == str(add_years(today() - timedelta(days=1), 4))
    assert reasons(world, co, c) == set()
    ev = world.client.get(f"/api/v1/cylinders/{c['code']}/history", params={
        "kind": "inspected"}, headers=world.admin).json()["items"][0]
    assert ev["payload"]["agency_id"] == inspector["agency_id"]
    assert ev["payload"]["inspector_id"] == inspector["id"]
    # the agency's register has it, under its report number; a retry is not recorded twice
    rows = world.client.get(f"/api/v1/agencies/{inspector['agency_id']}/inspections",
                            headers=inspector["headers"]).json()
    assert [(x["code"], x["report_number"], x["registered_agency"]) for x in rows] == [
        (c["code"], "JY-2026-001", True)]
    r = inspect(world, inspector["headers"], c, passing("JY-2026-001"))
    assert assert_problem(r, 409)["reason"] == "REPORT_NUMBER_USED"
    assert len(world.client.get(f"/api/v1/cylinders/{c['code']}/history", params={
        "kind": "inspected"}, headers=world.admin).json()["items"]) == 1


def test_the_agency_stamps_the_due_date_within_the_regions_interval(
    world: Any, co: dict[str, Any]
) -> None:
    c = overdue(world, co)
    h = world.inspector()["headers"]
    on = today() - timedelta(days=1)
    body = passing("JY-1")
    del body["next_due"]
    assert_problem(inspect(world, h, c, body), 422)  # a pass needs the stamped date
    r = inspect(world, h, c, passing("JY-1", next_due=str(add_years(on, 4) + timedelta(days=1))))
    assert assert_problem(r, 422)["reason"] == "NEXT_DUE_BEYOND_INTERVAL"
    r = inspect(world, h, c, passing("JY-1", on=today() + timedelta(days=1)))
    assert assert_problem(r, 422)["reason"] == "DATE_IN_FUTURE"
    assert reasons(world, co, c) == {"INSPECTION_OVERDUE"}


def test_an_expired_suspended_or_too_recent_approval_cannot(
    world: Any, co: dict[str, Any]
) -> None:
    c = overdue(world, co)
    lapsed = world.agency(valid_until=_d(-1))
    h = world.inspector(lapsed["id"])["headers"]
    assert world.client.get(f"/api/v1/agencies/{lapsed['id']}",
                            headers=world.admin).json()["approval_valid_today"] is False
    r = inspect(world, h, c, passing("JY-1", on=today() - timedelta(days=5)))
    assert assert_problem(r, 403)["reason"] == "AGENCY_APPROVAL_INVALID"
    # approved only since yesterday: it cannot back-date an inspection before its approval
    recent = world.agency(valid_from=_d(-1))
    h2 = world.inspector(recent["id"])["headers"]
    r = inspect(world, h2, c, passing("JY-2", on=today() - timedelta(days=3)))
    assert assert_problem(r, 403)["reason"] == "AGENCY_APPROVAL_INVALID"
    # suspended by the platform admin: refused from then on; renewed: allowed again
    good = world.agency()
    h3 = world.inspector(good["id"])["headers"]
    approval = dict(good["approval"], status="suspended")
    assert_problem(world.client.patch(f"/api/v1/agencies/{good['id']}", headers=h3,
                                      json={"approval": approval}), 403)
    r = world.client.patch(f"/api/v1/agencies/{good['id']}", headers=world.admin,
                           json={"approval": approval})
    assert r.status_code == 200 and r.json()["approval_valid_today"] is False
    assert assert_problem(inspect(world, h3, c, passing("JY-3")), 403)["reason"] == \
        "AGENCY_APPROVAL_INVALID"
    assert reasons(world, co, c) == {"INSPECTION_OVERDUE"}
    world.client.patch(f"/api/v1/agencies/{good['id']}", headers=world.admin,
                       json={"approval": dict(approval, status="valid")})
    assert inspect(world, h3, c, passing("JY-3")).status_code == 201
    assert reasons(world, co, c) == set()
    # each approval change is on the audit trail, before and after, for the region's regulator
    regulator = world.user("regulator", region_codes=["500000"])["headers"]
    trail = world.client.get("/api/v1/audit", params={"subject_kind": "agency",
                                                       "subject_id": good["id"]},
                             headers=regulator).json()["items"]
    assert [(e["action"], e["before"]["approval_status"], e["after"]["approval_status"])
            for e in trail if e["action"] == "agency.approval"] == [
        ("agency.approval", "suspended", "valid"), ("agency.approval", "valid", "suspended")]


def test_an_inspector_whose_certificate_expired_cannot(world: Any, co: dict[str, Any]) -> None:
    c = overdue(world, co)
    agency = world.agency()
    expired = world.inspector(agency["id"], certificate_valid_until=today() - timedelta(days=1))
    r = inspect(world, expired["headers"], c, passing("JY-1", on=today() - timedelta(days=10)))
    assert assert_problem(r, 403)["reason"] == "INSPECTOR_CERTIFICATE_INVALID"
    assert reasons(world, co, c) == {"INSPECTION_OVERDUE"}
    colleague = world.inspector(agency["id"])
    assert inspect(world, colleague["headers"], c, passing("JY-1")).status_code == 201


def test_a_company_cannot_convert_a_two_phase_valve_an_agency_can(
    world: Any, co: dict[str, Any]
) -> None:
    r = world.client.post("/api/v1/cylinders", headers=co["admin"]["headers"], json={
        "manufacturer": "百工", "serial_number": "TP-1", "model": "YSP-118-II",
        "manufacture_date": _d(-365), "valve_type": "single_phase"})
    assert assert_problem(r, 422)["reason"] == "VALVE_NEEDS_CONVERSION"
    c = world.cylinder(co["e"]["id"], model="YSP-118-II", manufacture_date=_d(-365))
    assert reasons(world, co, c) == {"TWO_PHASE_VALVE"}
    url = f"/api/v1/cylinders/{c['code']}/valve-conversions"
    body = {"converted_on": _d(-1), "report_number": "GZ-1", "smart_valve_id": "SV-9"}
    for who in (co["admin"]["headers"], world.admin):
        assert assert_problem(world.client.post(url, headers=who, json=body), 403)["reason"] \
            == "ROLE_NOT_ALLOWED"
        r = inspect(world, who, c, passing("GZ-1", valve_converted=True))
        assert assert_problem(r, 403)["reason"] == "ROLE_NOT_ALLOWED"
    assert reasons(world, co, c) == {"TWO_PHASE_VALVE"}
    inspector = world.inspector()
    r = world.client.post(url, headers=inspector["headers"], json=body)
    assert r.status_code == 201, r.text
    assert (r.json()["valve_type"], r.json()["smart_valve_id"]) == ("single_phase", "SV-9")
    assert reasons(world, co, c) == set()
    ev = world.client.get(f"/api/v1/cylinders/{c['code']}/history", params={
        "kind": "valve_converted"}, headers=world.admin).json()["items"][0]
    assert ev["payload"]["agency_id"] == inspector["agency_id"]
    r = world.client.post(url, headers=inspector["headers"], json=dict(body, report_number="GZ-2"))
    assert assert_problem(r, 422)["reason"] == "NOT_TWO_PHASE"


def test_a_company_cannot_scrap_alone_the_agencys_acceptance_scraps_it(
    world: Any, co: dict[str, Any]
) -> None:
    c = world.cylinder(co["e"]["id"], manufacture_date=_d(-365))
    agency = world.inspector()
    other = world.inspector()
    h = co["admin"]["headers"]
    base = f"/api/v1/cylinders/{c['code']}/scrap"
    assert_problem(world.client.post(base, headers=h, json={"reason": "超期"}), 422)
    r = world.client.post(base, headers=h, json={"agency_id": agency["agency_id"],
                                                 "reason": "超期"})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["location_kind"]) == ("active", "inspection")
    assert reasons(world, co, c) == {"AT_INSPECTION_AGENCY"}
    again = world.client.post(base, headers=h, json={"agency_id": agency["agency_id"],
                                                     "reason": "超期"})
    assert assert_problem(again, 409)["reason"] == "ALREADY_HANDED_OVER"
    accept = {"certificate_number": "BF-1"}
    for who in (h, world.admin):
        r = world.client.post(f"{base}/accept", headers=who, json=accept)
        assert assert_problem(r, 403)["reason"] == "ROLE_NOT_ALLOWED"
    r = world.client.post(f"{base}/accept", headers=other["headers"], json=accept)
    assert assert_problem(r, 409)["reason"] == "NOT_HANDED_OVER"
    r = world.client.post(f"{base}/accept", headers=agency["headers"], json=accept)
    assert r.status_code == 200 and r.json()["status"] == "scrapped"
    assert "SCRAPPED" in reasons(world, co, c)
    r = world.client.post(f"{base}/accept", headers=agency["headers"], json=accept)
    assert_problem(r, 409)  # a retry scraps nothing twice
    rows = world.client.get(f"/api/v1/agencies/{agency['agency_id']}/inspections",
                            headers=world.admin).json()
    assert [(x["kind"], x["report_number"]) for x in rows] == [("scrap", "BF-1")]
    assert notified("cylinder_scrapped") == [(co["e"]["id"], c["code"])]


def test_the_agency_may_give_a_handed_over_cylinder_back_the_company_may_not(
    world: Any, co: dict[str, Any]
) -> None:
    c = world.cylinder(co["e"]["id"], manufacture_date=_d(-365))
    agency = world.inspector()
    world.client.post(f"/api/v1/cylinders/{c['code']}/scrap", headers=co["admin"]["headers"],
                      json={"agency_id": agency["agency_id"], "reason": "疑似损坏"})
    url = f"/api/v1/cylinders/{c['code']}/scrap/return"
    r = world.client.post(url, headers=co["admin"]["headers"], json={"reason": "要回"})
    assert assert_problem(r, 403)["reason"] == "ROLE_NOT_ALLOWED"
    r = world.client.post(url, headers=agency["headers"], json={"reason": "检验合格，无需报废"})
    assert r.status_code == 200 and r.json()["location_kind"] is None
    assert reasons(world, co, c) == set()
    assert notified("cylinder_returned_by_agency") == [(co["e"]["id"], c["code"])]


def test_a_regulators_seizure_still_blocks_a_company_scrap(
    world: Any, co: dict[str, Any]
) -> None:
    regulator = world.user("regulator", region_codes=["500000"])["headers"]
    agency = world.inspector()
    h = co["admin"]["headers"]
    body = {"agency_id": agency["agency_id"], "reason": "x"}
    seized = world.cylinder(co["e"]["id"], manufacture_date=_d(-365))
    world.client.post(f"/api/v1/cylinders/{seized['code']}/seizure", headers=regulator,
                      json={"reason": "非法充装"})
    r = world.client.post(f"/api/v1/cylinders/{seized['code']}/scrap", headers=h, json=body)
    assert assert_problem(r, 409, "CYLINDER_HELD")["holds"] == ["SEIZED"]
    # handed over first, seized after: the agency cannot scrap it while the seizure holds
    late = world.cylinder(co["e"]["id"], manufacture_date=_d(-365))
    world.client.post(f"/api/v1/cylinders/{late['code']}/scrap", headers=h, json=body)
    world.client.post(f"/api/v1/cylinders/{late['code']}/seizure", headers=regulator,
                      json={"reason": "证据"})
    r = world.client.post(f"/api/v1/cylinders/{late['code']}/scrap/accept",
                          headers=agency["headers"], json={"certificate_number": "BF-2"})
    assert assert_problem(r, 409, "CYLINDER_HELD")["holds"] == ["SEIZED"]
    # the regulator hands its seized cylinder over; the agency scraps it
    r = world.client.post(f"/api/v1/cylinders/{seized['code']}/scrap", headers=regulator,
                          json=body)
    assert r.status_code == 200, r.text
    r = world.client.post(f"/api/v1/cylinders/{seized['code']}/scrap/accept",
                          headers=agency["headers"], json={"certificate_number": "BF-3"})
    assert r.status_code == 200 and r.json()["status"] == "scrapped"


def test_an_agency_inspects_only_cylinders_of_its_region(world: Any, co: dict[str, Any]) -> None:
    c = overdue(world, co)  # registered in 500103 (Chongqing)
    guangdong = world.inspector(region_code="440000")
    r = inspect(world, guangdong["headers"], c, passing("JY-1"))
    assert_problem(r, 404)  # not in its scope: not even confirmed to exist
    assert_problem(world.client.get(f"/api/v1/cylinders/{c['code']}",
                                    headers=guangdong["headers"]), 404)
    district = world.inspector(region_code="500103")
    assert inspect(world, district["headers"], c, passing("JY-1")).status_code == 201
    other_district = world.inspector(region_code="500105")
    c2 = overdue(world, co)
    assert_problem(inspect(world, other_district["headers"], c2, passing("JY-2")), 404)


def test_agencies_are_made_by_the_platform_admin_and_inspectors_belong_to_one(
    world: Any, co: dict[str, Any]
) -> None:
    regulator = world.user("regulator", region_codes=["500000"])["headers"]
    body: dict[str, Any] = {"name": "检验所", "credit_code": credit_code(990001),
                            "region_code": "500000",
                            "approval": {"number": "TS7-1", "valid_until": _d(365)}}
    for who in (co["admin"]["headers"], regulator):
        assert assert_problem(world.client.post("/api/v1/agencies", headers=who, json=body),
                              403)["reason"] == "ROLE_NOT_ALLOWED"
    bad = dict(body, credit_code=credit_code(990001)[:-1] + "0")
    if bad["credit_code"] == body["credit_code"]:
        bad["credit_code"] = body["credit_code"][:-1] + "1"
    assert_problem(world.client.post("/api/v1/agencies", headers=world.admin, json=bad), 422)
    r = world.client.post("/api/v1/agencies", headers=world.admin, json=body)
    assert r.status_code == 201, r.text
    agency = r.json()
    assert agency["approval_valid_today"] is True
    dup = world.client.post("/api/v1/agencies", headers=world.admin, json=body)
    assert assert_problem(dup, 409)["reason"] == "AGENCY_EXISTS"
    # inspectors are the agency's: not a company's, not through /users
    r = world.client.post("/api/v1/users", headers=world.admin, json={
        "username": "insp-x", "password": "correct-horse-battery", "role": "inspector",
        "enterprise_id": co["e"]["id"]})
    assert assert_problem(r, 422)["reason"] == "INSPECTOR_NEEDS_AGENCY"
    r = world.client.post("/api/v1/users", headers=co["admin"]["headers"], json={
        "username": "insp-y", "password": "correct-horse-battery", "role": "inspector"})
    assert_problem(r, 403)
    inspector = world.inspector(agency["id"])
    assert inspector["agency_id"] == agency["id"] and inspector["enterprise_id"] is None
    me = world.client.get("/api/v1/users/me", headers=inspector["headers"]).json()
    assert me["agency_id"] == agency["id"] and me["certificate"]["valid_until"]
    # the register of agencies is read by all; the inspectors by the admin, the regulators
    # of the region and the agency itself
    gd = world.user("regulator", region_codes=["440000"])["headers"]
    assert agency["id"] in {a["id"] for a in world.client.get(
        "/api/v1/agencies", headers=co["admin"]["headers"]).json()}
    assert agency["id"] not in {a["id"] for a in world.client.get(
        "/api/v1/agencies", headers=gd).json()}
    url = f"/api/v1/agencies/{agency['id']}/inspectors"
    for who in (world.admin, regulator, inspector["headers"]):
        names = [u["username"] for u in world.client.get(url, headers=who).json()]
        assert names == [inspector["username"]]
    for who in (co["admin"]["headers"], gd):
        assert_problem(world.client.get(url, headers=who), 404)


def test_the_migration_keeps_old_inspections_as_history_without_an_agency(
    database_url: str
) -> None:
    """Inspections recorded before agencies existed (by a company, a free-text agency name) go
    into the register unattributed, and their events stay as they were."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from cylinder_trace.db.migrate import alembic_config

    with new_database(database_url, "ct_mig") as url:
        command.upgrade(alembic_config(url), "0008")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, payload) "
                "VALUES (7, now(), 'inspected', 'user', CAST(:p AS jsonb)), "
                "(7, now(), 'valve_converted', 'user', CAST(:q AS jsonb))"),
                {"p": '{"inspected_on": "2025-01-02", "result": "pass", "next_due": '
                      '"2029-01-02", "agency": "某检测站", "report_number": null}',
                 "q": '{"valve_type": "single_phase", "agency": "某检测站"}'})
            before = conn.execute(text("SELECT hash FROM cylinder_event ORDER BY id")).all()
        command.upgrade(alembic_config(url), "heads")
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT kind, agency_id, agency_name, inspected_on, result, next_due "
                "FROM inspection ORDER BY id")).all()
            after = conn.execute(text("SELECT hash FROM cylinder_event ORDER BY id")).all()
        engine.dispose()
        assert [tuple(r) for r in rows] == [
            ("inspection", None, "某检测站", date(2025, 1, 2), "pass", date(2029, 1, 2)),
            ("valve_conversion", None, "某检测站", rows[1][3], None, None)]
        assert before == after  # the history itself is untouched


def test_a_failed_inspection_tells_the_owner_through_the_outbox(
    world: Any, co: dict[str, Any]
) -> None:
    """Was: an agency's failed inspection stopped the cylinder at every scale and nobody at the
    company heard of it; now the owner is told, like of a scrapping (a pass tells no one)."""
    c = world.cylinder(co["e"]["id"], manufacture_date=_d(-365))
    passed = world.cylinder(co["e"]["id"], manufacture_date=_d(-365))
    agency = world.inspector()
    on = _d(-1)
    assert inspect(world, agency["headers"], passed, passing("JY-OK")).status_code == 201
    failed = {"inspected_on": on, "result": "fail", "report_number": "JY-FAIL"}
    r = inspect(world, agency["headers"], c, failed)
    assert r.status_code == 201, r.text
    assert "INSPECTION_FAILED" in reasons(world, co, c)
    assert notified("inspection_failed") == [(co["e"]["id"], c["code"])]
    mine = world.client.get("/api/v1/notifications", headers=co["admin"]["headers"]).json()
    told = [n for n in mine if n["kind"] == "inspection_failed"]
    assert len(told) == 1 and told[0]["payload"]["report_number"] == "JY-FAIL"
    assert told[0]["payload"]["agency_id"] == agency["agency_id"]
    assert_problem(inspect(world, agency["headers"], c, failed), 409)  # a retry: told once
    assert notified("inspection_failed") == [(co["e"]["id"], c["code"])]
    other = world.enterprise()
    assert [n for n in world.client.get(
        "/api/v1/notifications", headers=world.user("enterprise_admin", other["id"])["headers"]
    ).json() if n["kind"] == "inspection_failed"] == []
