"""Builders for test worlds, through the HTTP API (only the first admin is made directly)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from cylinder_trace.db import get_engine
from cylinder_trace.domain.identifiers import credit_code_check
from cylinder_trace.services.accounts import create_admin

PASSWORD = "correct-horse-battery"


def days_ago(n: int) -> str:
    """A date relative to today where the service counts days (its time zone), as ISO text:
    tests compare against the real clock, so a fixed date would fail on some later day."""
    from cylinder_trace.services.registry import today

    return (today() - timedelta(days=n)).isoformat()


# A cylinder made three years ago and inspected a year ago: in service on any day the suite runs.
GOOD = {"manufacture_date": days_ago(3 * 365), "last_inspection_date": days_ago(365)}
_seq = itertools.count(1)


def credit_code(n: int) -> str:
    body = f"91500000MA{n:07d}"
    return body + credit_code_check(body)


class World:
    """A client plus helpers that remember what they made."""

    def __init__(self, client: Any) -> None:
        self.client = client
        with Session(get_engine()) as session:
            create_admin(session, "root", PASSWORD)
        self.admin = self.login("root")

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        r = self.client.post(
            "/api/v1/auth/token", data={"username": username, "password": password}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def enterprise(self, region_code: str = "500103", **extra: Any) -> dict[str, Any]:
        n = next(_seq)
        body = {
            "name": f"燃气公司{n}",
            "credit_code": credit_code(n),
            "region_code": region_code,
            "filling_licence": {
                "number": f"TS{n}",
                "valid_from": "2020-01-01",
                "valid_until": "2099-12-31",
                "status": "valid",
            },
        }
        body.update(extra)
        r = self.client.post("/api/v1/enterprises", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def station(self, enterprise_id: str, **extra: Any) -> dict[str, Any]:
        body = {"enterprise_id": enterprise_id, "name": f"充装站{next(_seq)}", "address": "x"}
        body.update(extra)
        r = self.client.post("/api/v1/stations", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def api_key(self, station_id: str) -> dict[str, str]:
        r = self.client.post(f"/api/v1/stations/{station_id}/api-keys", json={}, headers=self.admin)
        assert r.status_code == 201, r.text
        return {"X-API-Key": r.json()["key"]}

    def user(self, role: str, enterprise_id: str | None = None, **extra: Any) -> dict[str, Any]:
        name = f"{role}-{next(_seq)}"
        body: dict[str, Any] = {"username": name, "password": PASSWORD, "role": role}
        if enterprise_id:
            body["enterprise_id"] = enterprise_id
        if role == "regulator":
            body.setdefault("region_codes", ["500000"])
        if role in ("operator", "delivery_worker"):
            body["certificate"] = {"number": f"C-{name}", "valid_until": str(date(2099, 1, 1))}
        body.update(extra)
        r = self.client.post("/api/v1/users", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        user = dict(r.json())
        user["headers"] = self.login(name)
        return user

    def cylinder(self, enterprise_id: str, **overrides: Any) -> dict[str, Any]:
        """Register a cylinder (as platform admin) and return the API's answer."""
        body: dict[str, Any] = {
            "owner_enterprise_id": enterprise_id,
            "manufacturer": "百工钢瓶厂",
            "serial_number": f"SN{next(_seq):08d}",
            "model": "YSP-35.5",
            "manufacture_date": "2022-03-01",
        }
        body.update(overrides)
        r = self.client.post("/api/v1/cylinders", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        return dict(r.json())
