"""The agencies' pages over the demo data: the list for everyone signed in, one agency's
inspectors and records for the agency itself and the regulators of its region, not for a
company."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from cylinder_trace.db.engine import get_engine
from cylinder_trace.db.tables.agencies import Agency
from cylinder_trace.services.demo import DEMO_PASSWORD, load_demo


def _login(client: Any, username: str) -> None:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 303


def test_agency_pages_over_the_demo(client: Any) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        load_demo(session)
        agency = session.exec(select(Agency)).one()
    client.cookies.clear()
    assert client.get("/agencies", follow_redirects=False).headers["location"] == "/login"
    for who in ("inspector-zhao", "regulator-chen"):
        _login(client, who)
        page = client.get("/agencies")
        assert page.status_code == 200 and "气瓶检验机构" in page.text
        assert f'href="/agencies/{agency.id}"' in page.text
        one = client.get(f"/agencies/{agency.id}")
        assert one.status_code == 200 and "核准证" in one.text
        assert agency.approval_number in one.text
        assert "inspector-zhao" in one.text and "JY-500000-0012" in one.text
        kinds = set(re.findall(r'<tr data-kind="(\w+)"', one.text))
        assert {"inspection", "valve_conversion", "scrap"} <= kinds, kinds
    _login(client, "yutong-admin")  # a company reads the register of agencies, not their work
    assert f'href="/agencies/{agency.id}"' in client.get("/agencies").text
    one = client.get(f"/agencies/{agency.id}")
    assert one.status_code == 200 and agency.approval_number in one.text
    assert "data-inspectors" not in one.text and "data-register" not in one.text
    assert client.get("/agencies/00000000-0000-0000-0000-000000000000").status_code == 404
    client.cookies.clear()
