"""Rules that live once, in domain/, and the shell follows them: the design life by manufacture
date (8 years from GB 5842-2006, 15 before), the region policies in the reminders, the
configured time zone in the statistics trigger, and one scan-accepted rule for the scale and
the phone's fill check."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from cylinder_trace.config import get_settings
from cylinder_trace.jobs import run_job
from tests.factories import GOOD  # in service on any day the suite runs


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Change a setting for one test (the settings are cached: cleared before and after)."""
    def put(name: str, value: str) -> None:
        monkeypatch.setenv(f"CYLINDER_TRACE_{name.upper()}", value)
        get_settings.cache_clear()

    yield put
    monkeypatch.undo()
    get_settings.cache_clear()


def _legacy(engine: Any, code: str) -> None:
    """A record without a design life of its own (imported from an older system)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE cylinder SET design_life_years = NULL WHERE code = :c"),
                     {"c": code})


def test_a_pre_2007_cylinder_has_the_old_standards_15_years(world: Any, engine: Any) -> None:
    e = world.enterprise()
    old = world.cylinder(e["id"], manufacture_date="2006-06-01",
                         last_inspection_date="2020-01-01")
    new = world.cylinder(e["id"], **GOOD)
    assert old["design_life_years"] == 15 and new["design_life_years"] == 8
    for c in (old, new):
        _legacy(engine, c["code"])
    got = world.client.get(f"/api/v1/cylinders/{old['code']}", headers=world.admin).json()
    assert got["service_life_ends"] == "2021-06-01"  # was 2014-06-01: 8 years assumed
    got = world.client.get(f"/api/v1/cylinders/{new['code']}", headers=world.admin).json()
    made = date.fromisoformat(GOOD["manufacture_date"])
    assert got["service_life_ends"] == made.replace(year=made.year + 8).isoformat()
    page = world.client.get(f"/c/{old['code']}")
    assert page.status_code == 200 and "2021-06-01" in page.text


def test_the_service_life_digest_uses_the_standard_by_manufacture_date(
        world: Any, engine: Any) -> None:
    e = world.enterprise()
    old = world.cylinder(e["id"], manufacture_date="2006-06-01",
                         last_inspection_date="2020-01-01")
    new = world.cylinder(e["id"], manufacture_date="2013-06-01",
                         last_inspection_date="2020-01-01")
    for c in (old, new):
        _legacy(engine, c["code"])
    # 2021-04-01: both design lives end within 90 days (2006 + 15, 2013 + 8)
    spring = datetime(2021, 4, 1, 4, 0, tzinfo=UTC)
    assert run_job("service_life_digest", now=spring).result == {
        "cylinders": 2, "notifications": 1}


def test_reminders_follow_the_region_policies(world: Any, settings_env: Any) -> None:
    """Chongqing's districts (5001) warn 60 days ahead of an inspection and 10 days ahead of
    the design life's end; elsewhere the defaults (30 and 90)."""
    settings_env("region_policies", json.dumps(
        {"5001": {"due_soon_days": 60, "life_ending_days": 10}}))
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(get_settings().timezone)).date()
    cq, gd = world.enterprise("500103"), world.enterprise("440106")
    for e in (cq, gd):
        world.cylinder(e["id"], next_inspection_due=str(today + timedelta(days=45)), **GOOD)
        world.cylinder(e["id"], manufacture_date=str(add_years(today + timedelta(days=30), -8)),
                       last_inspection_date=str(today - timedelta(days=30)))
    run = run_job("inspection_digest", now=now)
    assert run.result == {"cylinders": 1, "notifications": 1}  # only Chongqing's 60 days
    notes = world.client.get("/api/v1/notifications", headers=world.admin).json()
    assert [n["enterprise_id"] for n in notes if n["kind"] == "inspection_due"] == [cq["id"]]
    run = run_job("service_life_digest", now=now)
    assert run.result == {"cylinders": 1, "notifications": 1}  # only Guangzhou's 90 days
    notes = world.client.get("/api/v1/notifications", headers=world.admin).json()
    assert [n["enterprise_id"] for n in notes if n["kind"] == "service_life_ending"] == [
        gd["id"]]


def add_years(d: date, years: int) -> date:
    from cylinder_trace.domain.models_spec import add_years as add

    return add(d, years)


# --- the statistics trigger counts days in the configured zone ------------------------------------

DAYS = "SELECT day, n FROM stat_fill_delta WHERE kind = 'fill_denied' AND reason = '' ORDER BY 1"


def _denied_event(conn: Any, code: str, station_id: str, at: datetime) -> None:
    conn.execute(text(
        "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, actor_id, "
        "station_id, enterprise_id, payload) SELECT c.id, :at, 'fill_denied', 'station', "
        ":s, CAST(:sid AS uuid), c.owner_enterprise_id, '{\"reasons\": [\"SEIZED\"]}' "
        "FROM cylinder c WHERE c.code = :c"),
        {"at": at, "s": station_id, "sid": station_id, "c": code})


def test_fill_statistics_count_days_in_the_configured_zone(
        world: Any, engine: Any, database_url: str, settings_env: Any) -> None:
    from cylinder_trace.db.engine import make_engine

    e = world.enterprise()
    s = world.station(e["id"])
    c = world.cylinder(e["id"], **GOOD)
    # 20:00 UTC: the next day in Shanghai, the same day in Los Angeles
    at = datetime.combine(datetime.now(UTC).date() - timedelta(days=2), time(20), UTC)
    with engine.begin() as conn:  # the service's own connection, default zone
        assert conn.execute(text("SHOW cylinder_trace.timezone")).scalar() == "Asia/Shanghai"
        _denied_event(conn, c["code"], s["id"], at)
    settings_env("timezone", "America/Los_Angeles")
    other = make_engine(database_url)
    try:
        with other.begin() as conn:
            _denied_event(conn, c["code"], s["id"], at)
    finally:
        other.dispose()
    with engine.connect() as conn:
        days = conn.execute(text(DAYS)).all()
    assert days == [(at.date(), 1), (at.date() + timedelta(days=1), 1)]


def test_the_fill_path_sets_the_zone_on_its_own_pool(
        database_url: str, settings_env: Any) -> None:
    from cylinder_trace.db.engine import libpq_url
    from cylinder_trace.services.authorizing import Authorizer

    settings_env("timezone", "Europe/Lisbon")

    async def zone() -> Any:
        authorizer = Authorizer(libpq_url(database_url))
        await authorizer.open()
        try:
            async with authorizer.pool.connection() as conn:
                cur = await conn.execute("SHOW cylinder_trace.timezone")
                row = await cur.fetchone()
                return row[0] if row else None
        finally:
            await authorizer.close()

    assert asyncio.run(zone()) == "Europe/Lisbon"


# --- one scan-accepted rule ---------------------------------------------------------------------

def test_an_unsigned_label_url_is_refused_by_the_phone_as_at_the_scale(world: Any) -> None:
    """Where the two copies differed: a label's URL without a signature (anyone can print one)
    was accepted by the fill check and refused at the scale. A bare code typed by a person is
    still accepted by the phone (it is not a label), and still refused at the scale."""
    e = world.enterprise()
    s = world.station(e["id"])
    key = world.api_key(s["id"])
    c = world.cylinder(e["id"], **GOOD)
    operator = world.user("operator", e["id"])["headers"]
    unsigned_url = f"https://ct.example.cn/C/{c['code']}"

    def phone(scan: str) -> list[str]:
        r = world.client.get("/api/v1/fill-check", headers=operator, params={"scan": scan})
        assert r.status_code == 200, r.text
        return [x["code"] for x in r.json()["reasons"]]

    def scale(scan: str) -> list[str]:
        r = world.client.post("/api/v1/fill-authorizations", json={"scan": scan}, headers=key)
        return [x["code"] for x in r.json()["reasons"]]

    assert phone(unsigned_url) == ["UNREGISTERED"] == scale(unsigned_url)
    assert phone(c["code"]) == [] and scale(c["code"]) == ["UNREGISTERED"]
    assert phone(c["qr_text"]) == [] == scale(c["qr_text"])


def test_the_phone_and_the_scale_read_the_same_facts(world: Any, engine: Any) -> None:
    """One mapping by name (services/facts.py) from the hot path's row and from the record:
    for cylinders in every state the two give the same reasons."""
    from cylinder_trace.db.facts import CYLINDER_FACTS
    from cylinder_trace.db.tables.registry import Cylinder

    assert all(hasattr(Cylinder, name) for name in CYLINDER_FACTS)
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    operator = world.user("operator", e["id"])["headers"]
    today = date.today()
    made = [world.cylinder(e["id"], **GOOD),
            world.cylinder(e["id"], model="YSP-118-II", **GOOD),
            world.cylinder(e["id"], manufacture_date="2018-01-01", last_inspection_date=str(
                today - timedelta(days=1400)), next_inspection_due=str(today - timedelta(days=3))),
            world.cylinder(e["id"], **GOOD), world.cylinder(e["id"], **GOOD),
            world.cylinder(e["id"], manufacture_date="2006-06-01",
                           last_inspection_date="2020-01-01")]
    with engine.begin() as conn:
        conn.execute(text("UPDATE cylinder SET seized = true WHERE code = :c"),
                     {"c": made[3]["code"]})
        conn.execute(text("UPDATE cylinder SET refurbished = true, design_life_years = NULL "
                          "WHERE code = :c"), {"c": made[4]["code"]})
    for c in made:
        phone = world.client.get("/api/v1/fill-check", headers=operator,
                                 params={"scan": c["qr_text"]}).json()
        scale = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                                  headers=key).json()
        assert phone["decision"] == scale["decision"], c
        assert [r["code"] for r in phone["reasons"]] == [r["code"] for r in scale["reasons"]]
        assert [w["code"] for w in phone["warnings"]] == [w["code"] for w in scale["warnings"]]
    assert {r["code"] for r in scale["reasons"]} >= {"SERVICE_LIFE_EXCEEDED"}
