"""Scans the GS1 vectors refuse, through HTTP: they are answered like any garbage scan (200 deny
UNREGISTERED), never 500, and the GS1 forms of one label find one cylinder."""

from __future__ import annotations

from typing import Any

import pytest

NUL_AFTER_DECODING = ["https://id.gs1.org/8003/02112345678900A%00B",
                      "urn:epc:id:grai:0614141.12345.%00",
                      "https://id.gs1.org/8003/02112345678900A%23B"]


@pytest.mark.parametrize("scan", NUL_AFTER_DECODING)
def test_a_scan_whose_percent_encoding_decodes_to_nul_is_a_plain_deny(world: Any,
                                                                       scan: str) -> None:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": scan}, headers=key)
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["decision"] == "deny" and {x["code"] for x in a["reasons"]} == {"UNREGISTERED"}


def test_a_gs1_qr_read_by_camera_or_serial_scanner_finds_the_same_cylinder(world: Any) -> None:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], external_code="(8003)02112345678900ABC",
                       manufacture_date="2022-03-01", last_inspection_date="2024-03-01")
    found = set()
    for scan in ("(8003)02112345678900ABC(99)CYL-7", "]Q3800302112345678900ABC\x1d99CYL-7",
                 "https://id.gs1.org/8003/02112345678900ABC"):
        r = world.client.get("/api/v1/fill-check", params={"scan": scan}, headers=key)
        assert r.status_code == 200, (scan, r.text)
        found.add(r.json()["cylinder"]["code"])
    assert found == {c["code"]}


def test_a_raw_gs1_scan_with_a_second_ai_is_authorized_at_the_scale(world: Any) -> None:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], external_code="(8003)02112345678900ABC",
                       manufacture_date="2022-03-01", last_inspection_date="2024-03-01")
    r = world.client.post("/api/v1/fill-authorizations", headers=key,
                          json={"scan": "]Q3800302112345678900ABC\x1d99CYL-7"})
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == "allow" and r.json()["cylinder"]["code"] == c["code"]
