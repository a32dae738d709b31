"""Answers the document types by hand (hand-built responses) are what it declares."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import jsonschema
import pytest


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    from cylinder_trace.app import create_app

    return dict(create_app().openapi()["components"])


def valid(body: Any, name: str, components: dict[str, Any]) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": components}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def test_epcis_exports_are_json_ld_or_plain_json_as_asked(
    world: Any, components: dict[str, Any]
) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"])
    today = date.today()
    period = {"since": str(today - timedelta(days=1)), "until": str(today + timedelta(days=1))}
    for url, params in ((f"/api/v1/cylinders/{c['code']}/epcis", {}),
                        ("/api/v1/epcis/events", period)):
        for accept, media in ((None, "application/ld+json"),
                              ("application/json", "application/json"),
                              ("application/ld+json, application/json", "application/ld+json")):
            headers = dict(world.admin, **({"Accept": accept} if accept else {}))
            r = world.client.get(url, params=params, headers=headers)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"].split(";")[0] == media, (url, accept)
            valid(r.json(), "EpcisDocument", components)
            assert r.json()["epcisBody"]["eventList"][0]["ct:kind"] == "registered"


def test_labels_answer_their_declared_media_types(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"])
    png = world.client.get(f"/api/v1/cylinders/{c['code']}/label.png", headers=world.admin)
    assert png.headers["content-type"] == "image/png" and png.content[:4] == b"\x89PNG"
    svg = world.client.get(f"/api/v1/cylinders/{c['code']}/label.svg", headers=world.admin)
    assert svg.headers["content-type"].startswith("image/svg+xml") and "<svg" in svg.text
    pdf = world.client.get("/api/v1/labels", params={"codes": c["code"]}, headers=world.admin)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
