"""Exports: a cylinder's history as GS1 EPCIS 2.0 JSON-LD (with the chain head), a search as
streamed CSV, both within the caller's scope."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

import pytest

from tests.api.test_health_and_errors import assert_problem
from tests.domain.epcis_validation import assert_no_false_cbv_claim, assert_valid_epcis
from tests.factories import GOOD  # in service on any day the suite runs


def test_epcis_document_of_a_cylinders_life(world: Any) -> None:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], external_code="(8003)00614141000005ABC", **GOOD)
    a = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers=key).json()
    world.client.post("/api/v1/fills", headers=key,
                      json={"authorization_id": a["authorization_id"], "net_kg": 14.0})
    assert world.scrap(c, "x").status_code == 200
    r = world.client.get(f"/api/v1/cylinders/{c['code']}/epcis", headers=world.admin)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    doc = r.json()
    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    events = doc["epcisBody"]["eventList"]
    steps = [(ev["action"], ev["bizStep"], ev["disposition"]) for ev in events]
    assert steps == [("ADD", "commissioning", "active"), ("OBSERVE", "inspecting", "conformant"),
                     ("OBSERVE", "loading", "active"), ("OBSERVE", "holding", "inactive"),
                     ("DELETE", "decommissioning", "destroyed")]
    assert all(ev["epcList"] == ["https://id.gs1.org/8003/00614141000005ABC"] for ev in events)
    # eventID does not pass our chain hash off as a CBV 2.0 event hash: that is ct:chainHash
    assert all(ev["eventID"].startswith("urn:uuid:") for ev in events)
    assert_no_false_cbv_claim(doc)
    hist = world.client.get(f"/api/v1/cylinders/{c['code']}/history", headers=world.admin)
    assert doc["ct:chainHead"] == hist.json()["chain_head"]
    assert events[-1]["ct:chainHash"] == doc["ct:chainHead"]
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


def test_epcis_exports_validate_against_the_gs1_schema(world: Any) -> None:
    """Every kind of event in a life (fills, refusals, delivery, return, recall, seizure,
    scrapping) and a period's export, both valid EPCIS 2.0 documents by GS1's schema (formats
    checked) and SHACL shapes; an invalid one is not."""
    from sqlmodel import Session

    from cylinder_trace.db.engine import get_engine
    from cylinder_trace.services.demo import load_demo

    with Session(get_engine(), expire_on_commit=False) as session:
        load_demo(session)
    h = world.admin
    kinds: set[str] = set()
    for params in ({"location_kind": "customer"}, {"recalled": "true"}, {"seized": "true"},
                   {"status": "scrapped"}):
        code = world.client.get("/api/v1/cylinders", params=params,
                                headers=h).json()["items"][0]["code"]
        doc = world.client.get(f"/api/v1/cylinders/{code}/epcis", headers=h).json()
        assert_valid_epcis(doc)
        kinds |= {ev["ct:kind"] for ev in doc["epcisBody"]["eventList"]}
    assert {"registered", "filled", "dispatched", "delivered", "recalled", "seized",
            "scrapped"} <= kinds
    today = date.today()
    r = world.client.get("/api/v1/epcis/events", headers=h, params={
        "since": str(today - timedelta(days=360)), "until": str(today + timedelta(days=1))})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    period = json.loads(r.text)
    assert_valid_epcis(period)
    assert_no_false_cbv_claim(period)
    assert len(period["epcisBody"]["eventList"]) > 360  # every registration at least
    # the schema does bite: an event without its action fails
    broken = json.loads(r.text)
    del broken["epcisBody"]["eventList"][0]["action"]
    with pytest.raises(AssertionError):
        assert_valid_epcis(broken)
    # scope: a regulator far away gets an empty, still valid document
    far = world.user("regulator", region_codes=["440000"])
    empty = world.client.get("/api/v1/epcis/events", headers=far["headers"], params={
        "since": str(today - timedelta(days=30)), "until": str(today)}).json()
    assert empty["epcisBody"]["eventList"] == []
    assert_valid_epcis(empty)
    assert_problem(world.client.get("/api/v1/epcis/events", headers=h, params={
        "since": str(today), "until": str(today - timedelta(days=1))}), 422)
