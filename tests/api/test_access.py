"""The access matrix: what each role may and may not reach."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_health_and_errors import assert_problem


@pytest.fixture
def two_companies(world: Any) -> dict[str, Any]:
    a = world.enterprise(region_code="500103")
    b = world.enterprise(region_code="440305")
    sa = world.station(a["id"])
    sb = world.station(b["id"])
    return {
        "a": a,
        "b": b,
        "sa": sa,
        "sb": sb,
        "key_a": world.api_key(sa["id"]),
        "key_b": world.api_key(sb["id"]),
        "admin_a": world.user("enterprise_admin", a["id"]),
        "operator_a": world.user("operator", a["id"]),
        "worker_a": world.user("delivery_worker", a["id"]),
        "inspector": world.user("inspector", region_codes=["500000"]),
        "regulator_cq": world.user("regulator", region_codes=["500000"]),
        "regulator_gd": world.user("regulator", region_codes=["440000"]),
    }


def ids(r: Any) -> set[str]:
    assert r.status_code == 200, r.text
    return {x["id"] for x in r.json()}


def test_platform_admin_sees_everything(world: Any, two_companies: dict[str, Any]) -> None:
    c = two_companies
    assert ids(world.client.get("/api/v1/enterprises", headers=world.admin)) >= {
        c["a"]["id"],
        c["b"]["id"],
    }


@pytest.mark.parametrize("who", ["admin_a", "operator_a", "worker_a"])
def test_enterprise_people_see_only_their_enterprise(
    world: Any, two_companies: dict[str, Any], who: str
) -> None:
    c = two_companies
    h = c[who]["headers"]
    assert ids(world.client.get("/api/v1/enterprises", headers=h)) == {c["a"]["id"]}
    assert ids(world.client.get("/api/v1/stations", headers=h)) == {c["sa"]["id"]}
    assert_problem(world.client.get(f"/api/v1/enterprises/{c['b']['id']}", headers=h), 404)
    assert_problem(world.client.get(f"/api/v1/stations/{c['sb']['id']}", headers=h), 404)


def test_regulator_sees_its_region_only(world: Any, two_companies: dict[str, Any]) -> None:
    c = two_companies
    cq, gd = c["regulator_cq"]["headers"], c["regulator_gd"]["headers"]
    assert ids(world.client.get("/api/v1/enterprises", headers=cq)) == {c["a"]["id"]}
    assert ids(world.client.get("/api/v1/enterprises", headers=gd)) == {c["b"]["id"]}
    assert_problem(world.client.get(f"/api/v1/stations/{c['sa']['id']}", headers=gd), 404)
    assert world.client.get(f"/api/v1/stations/{c['sa']['id']}", headers=cq).status_code == 200


def test_station_key_sees_its_own_enterprise(world: Any, two_companies: dict[str, Any]) -> None:
    c = two_companies
    assert ids(world.client.get("/api/v1/stations", headers=c["key_a"])) == {c["sa"]["id"]}
    assert_problem(world.client.get(f"/api/v1/stations/{c['sb']['id']}", headers=c["key_a"]), 404)


def test_another_enterprises_key_is_refused_for_key_management(
    world: Any, two_companies: dict[str, Any]
) -> None:
    c = two_companies
    # Company A's station key cannot manage company B's station, nor its own keys.
    assert_problem(
        world.client.post(
            f"/api/v1/stations/{c['sb']['id']}/api-keys", json={}, headers=c["key_a"]
        ),
        403,
    )
    assert_problem(
        world.client.get(f"/api/v1/stations/{c['sa']['id']}/api-keys", headers=c["key_a"]), 403
    )
    # Company A's admin cannot make keys for company B's station.
    assert_problem(
        world.client.post(
            f"/api/v1/stations/{c['sb']['id']}/api-keys", json={}, headers=c["admin_a"]["headers"]
        ),
        403,
    )


@pytest.mark.parametrize(
    "who", ["admin_a", "operator_a", "worker_a", "inspector", "regulator_cq", "key_a"]
)
def test_only_platform_admin_creates_enterprises(
    world: Any, two_companies: dict[str, Any], who: str
) -> None:
    from tests.factories import credit_code

    h = two_companies[who] if who.startswith("key") else two_companies[who]["headers"]
    r = world.client.post(
        "/api/v1/enterprises",
        headers=h,
        json={"name": "x", "credit_code": credit_code(99001), "region_code": "500103"},
    )
    assert_problem(r, 403, "FORBIDDEN")


@pytest.mark.parametrize(
    "who,allowed",
    [
        ("admin_a", True),
        ("operator_a", False),
        ("worker_a", False),
        ("inspector", False),
        ("regulator_cq", False),
        ("key_a", False),
    ],
)
def test_who_may_create_stations(
    world: Any, two_companies: dict[str, Any], who: str, allowed: bool
) -> None:
    c = two_companies
    h = c[who] if who.startswith("key") else c[who]["headers"]
    r = world.client.post(
        "/api/v1/stations", headers=h, json={"enterprise_id": c["a"]["id"], "name": "新站"}
    )
    if allowed:
        assert r.status_code == 201, r.text
        r2 = world.client.post(
            "/api/v1/stations", headers=h, json={"enterprise_id": c["b"]["id"], "name": "别家站"}
        )
        assert_problem(r2, 403)
    else:
        assert_problem(r, 403)


def test_enterprise_admin_cannot_create_regulators_or_foreign_users(
    world: Any, two_companies: dict[str, Any]
) -> None:
    c = two_companies
    h = c["admin_a"]["headers"]
    base = {"password": "long-enough-pw"}
    assert_problem(
        world.client.post(
            "/api/v1/users",
            headers=h,
            json={**base, "username": "reg-x", "role": "regulator", "region_codes": ["500000"]},
        ),
        403,
    )
    assert_problem(
        world.client.post(
            "/api/v1/users",
            headers=h,
            json={**base, "username": "op-x", "role": "operator", "enterprise_id": c["b"]["id"]},
        ),
        403,
    )
    r = world.client.post(
        "/api/v1/users", headers=h, json={**base, "username": "op-y", "role": "operator"}
    )
    assert r.status_code == 201 and r.json()["enterprise_id"] == c["a"]["id"]
    assert "password" not in r.text and "password_hash" not in r.text


def test_revoked_key_is_refused_at_once(world: Any, two_companies: dict[str, Any]) -> None:
    c = two_companies
    keys = world.client.get(
        f"/api/v1/stations/{c['sa']['id']}/api-keys", headers=world.admin
    ).json()
    assert world.client.get("/api/v1/stations", headers=c["key_a"]).status_code == 200
    r = world.client.delete(
        f"/api/v1/stations/{c['sa']['id']}/api-keys/{keys[0]['id']}",
        headers=c["admin_a"]["headers"],
    )
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert_problem(world.client.get("/api/v1/stations", headers=c["key_a"]), 401)


def test_only_regulator_of_the_region_locks_a_station(
    world: Any, two_companies: dict[str, Any]
) -> None:
    c = two_companies
    url = f"/api/v1/stations/{c['sa']['id']}/lock"
    assert_problem(
        world.client.post(url, json={"reason": "x"}, headers=c["admin_a"]["headers"]), 403
    )
    assert_problem(
        world.client.post(url, json={"reason": "x"}, headers=c["regulator_gd"]["headers"]), 404
    )
    r = world.client.post(
        url, json={"reason": "非法充装调查"}, headers=c["regulator_cq"]["headers"]
    )
    assert r.status_code == 200 and r.json()["locked"] is True


def test_vehicle_binds_only_own_delivery_workers(world: Any, two_companies: dict[str, Any]) -> None:
    c = two_companies
    h = c["admin_a"]["headers"]
    body = {
        "enterprise_id": c["a"]["id"],
        "plate": "渝A12345",
        "permit": {"number": "渝危运001", "valid_until": "2099-01-01"},
    }
    r = world.client.post(
        "/api/v1/vehicles", headers=h, json={**body, "workers": [c["operator_a"]["id"]]}
    )
    assert_problem(r, 422)
    r = world.client.post(
        "/api/v1/vehicles", headers=h, json={**body, "workers": [c["worker_a"]["id"]]}
    )
    assert r.status_code == 201 and r.json()["workers"] == [c["worker_a"]["id"]]
    assert world.client.get("/api/v1/vehicles", headers=c["regulator_gd"]["headers"]).json() == []
