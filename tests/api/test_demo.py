"""The demo data set: loads once, holds cylinders in every state, and logs in as documented."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.services.demo import DEMO_PASSWORD, load_demo


def test_demo_loads_once_with_cylinders_in_every_state(client: Any) -> None:
    with Session(get_engine(), expire_on_commit=False) as session:
        summary = load_demo(session)
    assert "cylinders" in summary
    with Session(get_engine()) as session:
        assert "already" in load_demo(session)
    token = client.post("/api/v1/auth/token",
                        data={"username": "regulator-chen", "password": DEMO_PASSWORD}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    seen: dict[str, int] = {}
    cursor = None
    while True:
        page = client.get("/api/v1/cylinders", params={"limit": 500, **(
            {"cursor": cursor} if cursor else {})}, headers=h).json()
        for c in page["items"]:
            seen[c["public_status"]["code"]] = seen.get(c["public_status"]["code"], 0) + 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sum(seen.values()) == 360
    for status in ("in_service", "overdue", "inspection_failed", "seized", "scrapped",
                   "two_phase_valve", "recalled"):
        assert seen.get(status, 0) > 0, (status, seen)
    hazards = client.get("/api/v1/hazards", headers=h).json()
    assert [x["item"] for x in hazards] == ["hose_ok"]
    at_customer = client.get("/api/v1/cylinders", params={"location_kind": "customer"},
                             headers=h).json()["items"]
    assert len(at_customer) == 3
