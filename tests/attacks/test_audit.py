"""The audit trail: every change that is not a cylinder event leaves an append-only, chained
entry (who, what, before, after); regulators read their regions' entries, companies none; no raw
ID number or phone is in it; `verify` finds an edited, deleted or inserted entry."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from cylinder_trace.db.engine import get_engine
from tests.api.test_health_and_errors import assert_problem

ID_NUMBER = "11010519491231002X"
PHONE = "13800138000"


def _changes(world: Any) -> dict[str, Any]:
    e = world.enterprise(region_code="500103")
    s = world.station(e["id"])
    admin = world.user("enterprise_admin", e["id"])
    key = world.client.post(f"/api/v1/stations/{s['id']}/api-keys", json={"label": "秤1"},
                            headers=admin["headers"]).json()
    world.client.post(f"/api/v1/stations/{s['id']}/api-keys/{key['id']}/disable",
                      headers=admin["headers"])
    world.client.delete(f"/api/v1/stations/{s['id']}/api-keys/{key['id']}",
                        headers=admin["headers"])
    worker = world.user("delivery_worker", e["id"])
    world.client.post(f"/api/v1/users/{worker['id']}/disable", headers=admin["headers"])
    reg = world.user("regulator", region_codes=["500100"])
    world.client.post(f"/api/v1/stations/{s['id']}/lock", json={"reason": "专项检查"},
                      headers=reg["headers"])
    world.client.post(f"/api/v1/stations/{s['id']}/unlock", json={"reason": "整改完成"},
                      headers=reg["headers"])
    world.client.post("/api/v1/customers", headers=admin["headers"], json={
        "kind": "resident", "name": "张三", "id_number": ID_NUMBER, "phone": PHONE,
        "address": "x"})
    # a public address literal: a name would be resolved at registration (no DNS in the suite)
    world.client.post("/api/v1/webhooks", json={"url": "https://93.184.215.14/x?token=s3cr3t"},
                      headers=admin["headers"])
    world.client.post(f"/api/v1/enterprises/{e['id']}/licences/filling/changes",
                      json={"action": "suspend", "reason": "检查"}, headers=reg["headers"])
    return {"e": e, "s": s, "admin": admin, "reg": reg}


def test_every_change_leaves_an_entry_readable_by_the_regions_regulator(world: Any) -> None:
    w = _changes(world)
    page = world.client.get("/api/v1/audit", headers=w["reg"]["headers"])
    assert page.status_code == 200, page.text
    actions = [i["action"] for i in page.json()["items"]]
    for expected in ("station.lock", "station.unlock", "api_key.create", "api_key.revoke",
                     "api_key.disable", "user.disable",
                     "user.create", "customer.create", "webhook.create", "licence.suspend"):
        assert expected in actions, (expected, actions)
    lock = next(i for i in page.json()["items"] if i["action"] == "station.lock")
    assert lock["actor"] == f"user:{w['reg']['id']}" and lock["after"]["reason"] == "专项检查"
    # no raw personal data, no secret
    assert ID_NUMBER not in page.text and PHONE not in page.text and "s3cr3t" not in page.text
    assert "138****8000" in page.text
    # companies do not read the trail; a regulator elsewhere sees nothing of this region
    # (the permission table's row read_audit: was an inline role check, now refused as any row)
    refused = assert_problem(world.client.get("/api/v1/audit", headers=w["admin"]["headers"]),
                             403)
    assert (refused["reason"], refused["action"]) == ("ROLE_NOT_ALLOWED", "read_audit")
    far = world.user("regulator", region_codes=["310000"])
    seen_far = world.client.get("/api/v1/audit", headers=far["headers"]).json()["items"]
    assert [i["action"] for i in seen_far] == ["user.create"]  # its own account, in 310000
    assert seen_far[0]["region_code"] == "310000"
    paged = world.client.get("/api/v1/audit", params={"limit": 2},
                             headers=world.admin).json()
    rest = world.client.get("/api/v1/audit", params={"limit": 2,
                                                     "cursor": paged["next_cursor"]},
                            headers=world.admin).json()
    assert {i["id"] for i in paged["items"]}.isdisjoint({i["id"] for i in rest["items"]})


def test_the_trail_cannot_be_changed_through_sql(world: Any) -> None:
    _changes(world)
    with get_engine().connect() as conn:
        for sql in ("UPDATE audit_entry SET actor = 'someone else'", "DELETE FROM audit_entry",
                    "TRUNCATE audit_entry"):
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(sql))
            conn.rollback()


def _verify(database_url: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "cylinder_trace", "verify"], env=env,
                          capture_output=True, text=True, timeout=120)


def test_verify_finds_an_edited_a_deleted_and_an_inserted_entry(world: Any,
                                                                database_url: str) -> None:
    _changes(world)
    ok = _verify(database_url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "audit entries" in ok.stdout
    owner = create_engine(database_url)
    with owner.begin() as conn:  # someone with the database's keys, behind the service's back
        conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        conn.execute(text("UPDATE audit_entry SET after = '{\"reason\": \"无\"}' WHERE action = "
                          "'station.lock'"))
        conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
    edited = _verify(database_url)
    assert edited.returncode == 1 and "CONTENT_CHANGED" in edited.stdout
    with owner.begin() as conn:
        conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        conn.execute(text("DELETE FROM audit_entry WHERE action = 'api_key.create'"))
        conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
    deleted = _verify(database_url)
    assert "BROKEN_LINK" in deleted.stdout
    owner.dispose()
