"""Exports: a cylinder's history as GS1 EPCIS 2.0 JSON-LD (with the chain head), a search as
streamed CSV, both within the caller's scope."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.api.test_health_and_errors import assert_problem

GOOD = {"manufacture_date": "2022-03-01", "last_inspection_date": "2024-03-01"}


def test_epcis_document_of_a_cylinders_life(world: Any) -> None:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], external_code="(8003)00614141000005ABC", **GOOD)
    a = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=key).json()
    world.client.post("/api/v1/fills", headers=key,
                      json={"authorization_id": a["authorization_id"], "net_kg": 14.0})
    world.client.post(f"/api/v1/cylinders/{c['code']}/scrap", headers=world.admin,
                      json={"reason": "x"})
    r = world.client.get(f"/api/v1/cylinders/{c['code']}/epcis", headers=world.admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    events = doc["epcisBody"]["eventList"]
    steps = [(ev["action"], ev["bizStep"], ev["disposition"]) for ev in events]
    assert steps == [("ADD", "commissioning", "active"), ("OBSERVE", "inspecting", "conformant"),
                     ("OBSERVE", "loading", "active"),
                     ("DELETE", "decommissioning", "destroyed")]
    assert all(ev["epcList"] == ["https://id.gs1.org/8003/00614141000005ABC"] for ev in events)
    assert all(ev["eventID"].startswith("ni:///sha-256;") for ev in events)
    hist = world.client.get(f"/api/v1/cylinders/{c['code']}/history", headers=world.admin)
    assert doc["ct:chainHead"] == hist.json()["chain_head"]
    assert events[-1]["eventID"].split(";")[1].split("?")[0] == doc["ct:chainHead"]
    far = world.user("regulator", region_codes=["440000"])
    assert_problem(world.client.get(f"/api/v1/cylinders/{c['code']}/epcis",
                                    headers=far["headers"]), 404)


def test_csv_export_streams_the_search_within_scope(world: Any) -> None:
    mine, other = world.enterprise(), world.enterprise("440106")
    for _ in range(3):
        world.cylinder(mine["id"], **GOOD)
    world.cylinder(other["id"], **GOOD)
    reg = world.user("regulator", region_codes=["500000"])
    r = world.client.get("/api/v1/cylinders.csv", headers=reg["headers"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.startswith("\ufeffcode,")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == 3 and {row["region_code"] for row in rows} == {"500103"}
    assert world.client.get("/api/v1/cylinders.csv").status_code == 401
