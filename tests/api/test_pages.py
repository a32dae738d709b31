"""The regulator's pages beyond the dashboard: search, a cylinder's timeline and place, the CSV
export with its row count, recalls with progress, the hazard ledger with overdue items marked,
enterprise pages — through HTTP with the cookie session, within the caller's scope."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.services.demo import DEMO_PASSWORD, load_demo


def _login(client: Any, username: str) -> None:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 303


def test_regulator_pages_over_the_demo(client: Any) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        load_demo(session)
    c = client
    c.cookies.clear()
    for path in ("/search", "/recalls", "/hazards", "/enterprises", "/cylinders/X"):
        assert c.get(path, follow_redirects=False).headers["location"] == "/login"
    _login(c, "regulator-chen")

    page = c.get("/search", params={"overdue": "1"})
    assert page.status_code == 200 and "气瓶查询" in page.text
    total = int(re.search(r'data-total="(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    assert total > 0 and "超期" in page.text
    export = c.get("/search.csv", params={"overdue": "1"})
    assert export.headers["x-total-count"] == str(total)
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert len(rows) == total and all(r["status"] == "active" for r in rows)
    code = rows[0]["code"]

    # a code typed (or scanned) into the search box goes straight to the cylinder's page
    r = c.get("/search", params={"q": code.lower()}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/cylinders/{code}"
    cyl = c.get(f"/cylinders/{code}")
    assert cyl.status_code == 200 and code in cyl.text and 'data-status="overdue"' in cyl.text
    assert 'data-kind="registered"' in cyl.text and "建档" in cyl.text

    # a delivered cylinder: its timeline has the fill and the delivery, its place the customer
    at_customer = c.get("/api/v1/cylinders", params={"location_kind": "customer"},
                        headers=_bearer(c, "regulator-chen")).json()["items"][0]["code"]
    page = c.get(f"/cylinders/{at_customer}")
    kinds = re.findall(r'data-kind="(\w+)"', page.text)
    assert "delivered" in kinds and "filled" in kinds and "dispatched" in kinds
    assert kinds.index("delivered") < kinds.index("filled")  # newest first
    assert "用户处" in re.search(r"data-place>(.*?)</dd>", page.text, re.S).group(1)  # type: ignore[union-attr]

    recalls = c.get("/recalls")
    assert recalls.status_code == 200 and "data-recall=" in recalls.text
    assert "<progress" in recalls.text
    hazards = c.get("/hazards")
    assert hazards.status_code == 200 and "data-hazard=" in hazards.text
    companies = c.get("/enterprises")
    assert companies.status_code == 200
    first = re.search(r'href="/enterprises/([0-9a-f-]{36})"', companies.text)
    assert first
    one = c.get(f"/enterprises/{first.group(1)}")
    assert one.status_code == 200 and "data-stations" in one.text and "data-counts" in one.text
    assert "default-src 'self'" in one.headers["content-security-policy"]


def _bearer(client: Any, username: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", data={"username": username,
                                                    "password": DEMO_PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def test_pages_keep_to_the_callers_scope(world: Any) -> None:
    cq, gd = world.enterprise("500103"), world.enterprise("440106")
    mine = world.cylinder(cq["id"], manufacture_date="2022-03-01")
    theirs = world.cylinder(gd["id"], manufacture_date="2022-03-01")
    reg = world.user("regulator", region_codes=["500000"])
    c = world.client
    c.cookies.clear()
    from tests.factories import PASSWORD

    c.post("/login", data={"username": reg["username"], "password": PASSWORD})
    assert c.get(f"/cylinders/{mine['code']}").status_code == 200
    other = c.get(f"/cylinders/{theirs['code']}")
    assert other.status_code == 404 and theirs["code"] not in other.text.replace(
        f"/cylinders/{theirs['code']}", "")
    found = c.get("/search")
    assert mine["code"] in found.text and theirs["code"] not in found.text
    assert c.get(f"/enterprises/{gd['id']}").status_code == 404
    assert gd["name"] not in c.get("/enterprises").text
    rows = c.get("/search.csv").text
    assert mine["code"] in rows and theirs["code"] not in rows
    c.cookies.clear()
