"""Builders for test worlds, through the HTTP API (only the first admin is made directly)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from cylinder_trace.db.engine import get_engine
from cylinder_trace.domain.identifiers import credit_code_check
from cylinder_trace.domain.models_spec import add_years
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
        self._inspectors: dict[str, dict[str, Any]] = {}

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

    def agency(self, region_code: str = "500000", **approval: Any) -> dict[str, Any]:
        """An inspection agency (as platform admin), its approval valid from long ago to ten
        years ahead unless told otherwise."""
        n = next(_seq)
        body = {"name": f"检验机构{n}", "credit_code": credit_code(500000 + n),
                "region_code": region_code,
                "approval": {"number": f"TS7{n:06d}", "valid_from": "2000-01-01",
                             "valid_until": str(date.today() + timedelta(days=3650)),
                             "status": "valid", **approval}}
        r = self.client.post("/api/v1/agencies", json=body, headers=self.admin)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def inspector(self, agency_id: str | None = None, region_code: str = "500000",
                  certificate_valid_until: date | None = None) -> dict[str, Any]:
        """An agency's inspector (a new agency in region_code unless agency_id is given)."""
        agency_id = agency_id or self.agency(region_code)["id"]
        name = f"inspector-{next(_seq)}"
        until = certificate_valid_until or date.today() + timedelta(days=3650)
        r = self.client.post(f"/api/v1/agencies/{agency_id}/inspectors", headers=self.admin,
                             json={"username": name, "password": PASSWORD,
                                   "certificate": {"number": f"JY-{name}",
                                                   "valid_until": str(until)}})
        assert r.status_code == 201, r.text
        user = dict(r.json())
        user["headers"] = self.login(name)
        return user

    def inspect(self, cylinder: dict[str, Any], result: str = "pass", **body: Any) -> Any:
        """An inspection recorded by an agency's inspector of the cylinder's region (made once
        per region): returns the response. A pass gets the 4-year due date unless told."""
        inspector = self.region_inspector(cylinder["region_code"])
        on = date.fromisoformat(str(body.get("inspected_on", date.today() - timedelta(days=1))))
        payload: dict[str, Any] = {"inspected_on": str(on), "result": result,
                                   "report_number": f"R-{next(_seq)}"}
        if result == "pass":
            payload["next_due"] = str(add_years(on, 4))
        payload.update({k: str(v) if isinstance(v, date) else v for k, v in body.items()})
        return self.client.post(f"/api/v1/cylinders/{cylinder['code']}/inspections",
                                headers=inspector["headers"], json=payload)

    def legacy_inspector(self, enterprise_id: str, region_codes: list[str]) -> dict[str, Any]:
        """An inspector account from before agencies were registered (an enterprise's own
        inspection unit, with regions): migration 0012 keeps such accounts; they read their
        enterprise and regions and record nothing. Made in the database: the API no longer
        creates them."""
        import uuid

        from cylinder_trace.adapters.security import hash_password
        from cylinder_trace.db.tables.accounts import AppUser

        name = f"inspector-{next(_seq)}"
        with Session(get_engine()) as session:
            user = AppUser(username=name, password_hash=hash_password(PASSWORD),
                           role="inspector", enterprise_id=uuid.UUID(enterprise_id),
                           region_codes=region_codes)
            session.add(user)
            session.commit()
            user_id = str(user.id)
        return {"id": user_id, "username": name, "headers": self.login(name)}

    def region_inspector(self, region: str) -> dict[str, Any]:
        """The inspector of this World's agency for a region (made on first use)."""
        if region not in self._inspectors:
            self._inspectors[region] = self.inspector(region_code=region)
        return self._inspectors[region]

    def scrap(self, cylinder: dict[str, Any], reason: str = "报废", **handover: Any) -> Any:
        """报废 as the rules have it: the owner (here the platform admin) hands the cylinder to
        an agency of its region, whose inspector accepts and scraps it. The acceptance's
        response."""
        inspector = self.region_inspector(cylinder["region_code"])
        code = cylinder["code"]
        r = self.client.post(f"/api/v1/cylinders/{code}/scrap", headers=self.admin,
                             json={"agency_id": inspector["agency_id"], "reason": reason,
                                   **handover})
        assert r.status_code == 200, r.text
        return self.client.post(f"/api/v1/cylinders/{code}/scrap/accept",
                                headers=inspector["headers"],
                                json={"certificate_number": f"BF-{next(_seq)}"})

    def user(self, role: str, enterprise_id: str | None = None, **extra: Any) -> dict[str, Any]:
        if role == "inspector":  # an agency's, made through the agency
            return self.inspector(region_code=(extra.get("region_codes") or ["500000"])[0])
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
