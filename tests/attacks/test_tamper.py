"""Tamper-evident history: the database chains each cylinder's events by hash; editing or
deleting a row behind the service's back (as the database owner) is found by `verify`."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.services.verify import verify
from tests.factories import GOOD, days_ago  # in service on any day the suite runs


def cli_verify(database_url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cylinder_trace", "verify", *extra],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DATABASE_URL": database_url})


def busy_cylinder(world: Any) -> dict[str, Any]:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], **GOOD)
    for _ in range(3):
        a = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                              headers=key).json()
        world.client.post("/api/v1/fills", headers=key,
                          json={"authorization_id": a["authorization_id"], "net_kg": 14.0})
    assert world.inspect(c, inspected_on=days_ago(10)).status_code == 201
    return c


def test_every_path_writes_a_chain_and_verify_finds_it_intact(world: Any,
                                                              database_url: str) -> None:
    c = busy_cylinder(world)
    hist = world.client.get(f"/api/v1/cylinders/{c['code']}/history",
                            headers=world.admin).json()
    items = hist["items"]
    assert hist["chain_head"] == items[0]["hash"]
    for newer, older in pairwise(items):
        assert newer["prev_hash"] == older["hash"]
    assert items[-1]["kind"] == "registered" and items[-1]["prev_hash"] is None
    with Session(get_engine()) as session:
        assert verify(session).ok
    out = cli_verify(database_url)
    assert out.returncode == 0 and "history intact" in out.stdout


def test_an_edited_row_and_a_deleted_row_are_found(world: Any, database_url: str) -> None:
    c = busy_cylinder(world)
    owner = create_engine(database_url)
    with owner.begin() as conn:  # the database owner, going around the service and its triggers
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("UPDATE cylinder_event SET payload = jsonb_set(payload, '{net_kg}', "
                          "'9.0') WHERE cylinder_id = :c AND kind = 'filled' AND id = (SELECT "
                          "min(id) FROM cylinder_event WHERE cylinder_id = :c AND "
                          "kind = 'filled')"), {"c": c["id"]})
    with Session(get_engine()) as session:
        problems = verify(session, c["id"]).problems
    assert [p["problem"] for p in problems] == ["CONTENT_CHANGED"]
    out = cli_verify(database_url, "--cylinder", c["code"])
    assert out.returncode == 1 and "CONTENT_CHANGED" in out.stdout
    other = busy_cylinder(world)
    with owner.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text("DELETE FROM cylinder_event WHERE cylinder_id = :c AND id = (SELECT "
                          "max(id) FROM cylinder_event WHERE cylinder_id = :c)"),
                     {"c": other["id"]})
        conn.execute(text("DELETE FROM cylinder_event WHERE cylinder_id = :c AND kind = "
                          "'fill_authorized' AND id = (SELECT min(id) FROM cylinder_event WHERE "
                          "cylinder_id = :c AND kind = 'fill_authorized')"), {"c": other["id"]})
    owner.dispose()
    with Session(get_engine()) as session:
        found = {p["problem"] for p in verify(session, other["id"]).problems}
    assert found == {"HEAD_MISSING", "BROKEN_LINK"}


@pytest.mark.parametrize("head_row", ["from the registration", "none, as before 0021"])
def test_concurrent_writers_keep_one_line_from_the_first_event_on(world: Any,
                                                                  database_url: str,
                                                                  head_row: str) -> None:
    """Eight transactions append to one cylinder at once, its first events after the
    registration and then again: every event links to another, no two to the same predecessor
    (a fork), and the head is the newest hash. Without a head row (a cylinder whose events
    were written before revision 0021) the first eight race to seed it and read the
    registration's hash from the events themselves."""
    import threading
    import time

    e = world.enterprise()
    c = world.cylinder(e["id"], **GOOD)
    writers = create_engine(database_url, pool_size=8)
    if head_row.startswith("none"):
        with writers.begin() as conn:
            conn.execute(text("DELETE FROM cylinder_chain WHERE cylinder_id = :c"), {"c": c["id"]})
    insert = text(
        "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, payload) "
        "VALUES (:c, clock_timestamp(), 'fill_denied', 'system', jsonb_build_object('i', :i))")
    try:
        for wave in range(2):
            barrier = threading.Barrier(8)
            errors: list[BaseException] = []

            def write(i: int, wave: int = wave, barrier: threading.Barrier = barrier) -> None:
                try:
                    with writers.begin() as conn:
                        barrier.wait()
                        conn.execute(insert, {"c": c["id"], "i": wave * 8 + i})
                        time.sleep(0.02)  # hold the head a moment: the others wait on it
                except BaseException as exc:  # reported below, in the test's thread
                    errors.append(exc)

            threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not errors, errors
    finally:
        writers.dispose()
    with Session(get_engine()) as session:
        assert verify(session, c["id"]).ok, verify(session, c["id"]).problems
        head, newest, n = session.execute(text(
            "SELECT h.head, (SELECT e.hash FROM cylinder_event e WHERE e.cylinder_id = :c AND "
            "e.hash NOT IN (SELECT prev_hash FROM cylinder_event WHERE cylinder_id = :c AND "
            "prev_hash IS NOT NULL)), (SELECT count(*) FROM cylinder_event WHERE cylinder_id = :c)"
            " FROM cylinder_chain h WHERE h.cylinder_id = :c"), {"c": c["id"]}).one()
    assert n == 17 and head == newest


def test_the_registration_writes_the_head_the_first_fill_links_to(world: Any) -> None:
    """The chain head exists from the registration on (revision 0021): the first fill reads
    it by the narrow table's key instead of searching every partition of the events."""
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], **GOOD)
    with Session(get_engine()) as session:
        registered, head = session.execute(text(
            "SELECT e.hash, h.head FROM cylinder_event e LEFT JOIN cylinder_chain h ON "
            "h.cylinder_id = e.cylinder_id WHERE e.cylinder_id = :c"), {"c": c["id"]}).one()
    assert head == registered is not None
    a = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=key).json()
    assert a["decision"] == "allow", a
    items = world.client.get(f"/api/v1/cylinders/{c['code']}/history",
                             headers=world.admin).json()["items"]
    assert [i["kind"] for i in items] == ["fill_authorized", "registered"]
    assert items[0]["prev_hash"] == registered


def test_revision_0021_writes_the_heads_the_old_trigger_left_out(database_url: str) -> None:
    """A cylinder registered before revision 0021 has no head row; the upgrade writes its
    newest event's hash there, the next event links to it, verify finds the chain intact, and
    the downgrade and the upgrade again keep it so."""
    from alembic import command

    from cylinder_trace.db.migrate import alembic_config
    from tests.databases import new_database

    with new_database(database_url, "ct_mig") as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, "0011")
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                eid = conn.execute(text(
                    "INSERT INTO enterprise (id, name, credit_code, region_code) VALUES "
                    "(gen_random_uuid(), 'x', '91500000MA0000001X', '500103') RETURNING id"
                )).scalar()
                conn.execute(text(
                    "INSERT INTO cylinder (id, code, owner_enterprise_id, region_code, "
                    "manufacturer, serial_number, model, water_capacity_l, tare_kg, max_fill_kg, "
                    "manufacture_date, design_life_years, valve_type, refurbished, status, "
                    "seized, recalled, filled) VALUES (1, 'CT000000019', :e, '500103', 'm', "
                    "'s1', 'YSP-12', 26.2, 10, 10, '2022-01-01', 8, 'single_phase', false, "
                    "'active', false, false, false)"), {"e": eid})
                conn.execute(text(
                    "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, "
                    "payload) VALUES (1, now(), 'registered', 'system', '{}')"))
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM cylinder_chain")).scalar() == 0
            command.upgrade(cfg, "heads")
            with engine.begin() as conn:
                registered, head = conn.execute(text(
                    "SELECT e.hash, h.head FROM cylinder_event e JOIN cylinder_chain h USING "
                    "(cylinder_id)")).one()
                assert head == registered
                conn.execute(text(
                    "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, "
                    "payload) VALUES (1, now() + interval '1 second', 'fill_denied', 'system', "
                    "'{}')"))
            command.downgrade(cfg, "0011")
            command.upgrade(cfg, "heads")
            with Session(engine) as session:
                report = verify(session)
                assert report.ok, report.problems
                links = session.execute(text(
                    "SELECT kind, prev_hash IS NOT DISTINCT FROM :r FROM cylinder_event ORDER BY "
                    "occurred_at"), {"r": registered}).all()
            assert [tuple(x) for x in links] == [("registered", False), ("fill_denied", True)]
        finally:
            engine.dispose()
