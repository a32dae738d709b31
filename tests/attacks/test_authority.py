"""Authority, tried as the regulated party would: a company admin creating accounts beyond its
reach, undoing its regulator, moving a cylinder the regulator holds, filling under someone
else's badge. Each attack is a test through HTTP on real PostgreSQL; the permission table itself
is tested as data in tests/domain/test_access.py."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import text

from cylinder_trace.domain.access import Action, Role, scope_of
from tests.api.test_health_and_errors import assert_problem
from tests.databases import new_database

GOOD = {"manufacture_date": "2022-03-01", "last_inspection_date": "2024-03-01"}
CHECK_OK = {"passed": True, "items": [{"item": "no_leak", "ok": True}]}


def company(world: Any, region: str = "500103") -> dict[str, Any]:
    e = world.enterprise(region_code=region)
    s = world.station(e["id"])
    worker = world.user("delivery_worker", e["id"])
    r = world.client.post("/api/v1/vehicles", headers=world.admin, json={
        "enterprise_id": e["id"], "plate": f"渝A{e['id'][:5].upper()}",
        "permit": {"number": "WX-1", "valid_until": "2099-01-01"}, "workers": [worker["id"]]})
    assert r.status_code == 201, r.text
    return {"e": e, "s": s, "key": world.api_key(s["id"]), "worker": worker,
            "admin": world.user("enterprise_admin", e["id"]), "vehicle": r.json()}


@pytest.fixture
def city(world: Any) -> dict[str, Any]:
    return {"a": company(world), "b": company(world),
            "regulator": world.user("regulator", region_codes=["500000"]),
            "district": world.user("regulator", region_codes=["500103"]),
            "far": world.user("regulator", region_codes=["440000"]),
            "inspector": world.user("inspector", region_codes=["500000"])}


def h(who: dict[str, Any]) -> dict[str, str]:
    return dict(who["headers"])


def post(world: Any, path: str, who: dict[str, str], body: Any = None) -> Any:
    return world.client.post(f"/api/v1{path}", headers=who, json=body)


def get(world: Any, path: str, who: dict[str, str] | None = None) -> Any:
    r = world.client.get(f"/api/v1{path}", headers=who or world.admin)
    assert r.status_code == 200, r.text
    return r.json()


def fill(world: Any, co: dict[str, Any], c: dict[str, Any], **body: Any) -> Any:
    a = post(world, "/fill-authorizations", co["key"], {"scan": c["qr_text"]}).json()
    assert a["decision"] == "allow", a
    return post(world, "/fills", co["key"], {"authorization_id": a["authorization_id"],
                                            "net_kg": 14.5, **body})


def full(world: Any, co: dict[str, Any]) -> dict[str, Any]:
    c = world.cylinder(co["e"]["id"], **GOOD)
    assert fill(world, co, c).status_code == 201
    return c


def customer(world: Any, co: dict[str, Any]) -> dict[str, Any]:
    r = post(world, "/customers", h(co["admin"]), {
        "kind": "resident", "name": "张三", "id_number": "11010519491231002X",
        "phone": "13800138000", "address": "重庆市渝中区解放碑1号"})
    assert r.status_code == 201, r.text
    return dict(r.json())


def dispatch(world: Any, co: dict[str, Any], codes: list[str]) -> Any:
    return post(world, "/deliveries", h(co["admin"]), {
        "worker_id": co["worker"]["id"], "vehicle_id": co["vehicle"]["id"],
        "customer_id": customer(world, co)["id"], "codes": codes})


def held(r: Any, *holds: str) -> None:
    body = assert_problem(r, 409, "CYLINDER_HELD")
    assert body["holds"] == list(holds)


# --- accounts ------------------------------------------------------------------------------------

def test_company_admin_cannot_create_region_scoped_inspector(world: Any, city: Any) -> None:
    admin = h(city["a"]["admin"])
    base = {"password": "long-enough-pw"}
    for body in ({"username": "insp-x", "role": "inspector", "region_codes": ["500000"]},
                 {"username": "insp-y", "role": "inspector"},
                 {"username": "reg-x", "role": "regulator", "region_codes": ["440000"]}):
        problem = assert_problem(post(world, "/users", admin, {**base, **body}), 403)
        assert problem["reason"] == "ROLE_NOT_GRANTABLE"
    # nor an enterprise role that reaches into regions
    problem = assert_problem(post(world, "/users", admin, {
        **base, "username": "op-x", "role": "operator", "region_codes": ["440000"]}), 403)
    assert problem["reason"] == "NO_REGIONS_FOR_ROLE"
    names = {u["username"] for u in get(world, "/users")}
    assert not names & {"insp-x", "insp-y", "reg-x", "op-x"}
    # what it may create: its own staff, of its own enterprise, with no regions
    r = post(world, "/users", admin, {**base, "username": "op-y", "role": "operator"})
    assert r.status_code == 201 and r.json()["enterprise_id"] == city["a"]["e"]["id"]
    assert r.json()["region_codes"] == []


def test_a_regulator_cannot_create_regulators_even_for_its_own_sub_region(
        world: Any, city: Any) -> None:
    r = post(world, "/users", h(city["regulator"]), {
        "username": "reg-sub", "password": "long-enough-pw", "role": "regulator",
        "region_codes": ["500103"]})
    assert assert_problem(r, 403)["reason"] == "ROLE_NOT_ALLOWED"
    # a platform admin can, and a regulator account names no enterprise
    r = post(world, "/users", world.admin, {
        "username": "reg-sub", "password": "long-enough-pw", "role": "regulator",
        "region_codes": ["500103"], "enterprise_id": city["a"]["e"]["id"]})
    assert assert_problem(r, 422)["reason"] == "NO_ENTERPRISE_FOR_ROLE"


# --- lifting -------------------------------------------------------------------------------------

def test_company_admin_cannot_release_a_regulators_seizure(world: Any, city: Any) -> None:
    c = world.cylinder(city["a"]["e"]["id"], **GOOD)
    url = f"/cylinders/{c['code']}"
    assert post(world, f"{url}/seizure", h(city["regulator"]), {"reason": "非法充装"}).json()[
        "seized"]
    problem = assert_problem(post(world, f"{url}/release", h(city["a"]["admin"]),
                                  {"reason": "自行解除"}), 403, "REGULATOR_ACTION")
    assert problem["taken_by"] == "regulator"
    assert get(world, url)["seized"]
    assert_problem(post(world, f"{url}/release", h(city["far"]), {"reason": "x"}), 404)
    r = post(world, f"{url}/release", h(city["regulator"]), {"reason": "解除"})
    assert r.status_code == 200 and not r.json()["seized"]
    # a platform admin lifts it too
    post(world, f"{url}/seizure", h(city["regulator"]), {"reason": "again"})
    assert not post(world, f"{url}/release", world.admin, {"reason": "平台"}).json()["seized"]


def test_company_cannot_shield_a_cylinder_by_seizing_it_first(world: Any, city: Any) -> None:
    c = world.cylinder(city["a"]["e"]["id"], **GOOD)
    url, admin = f"/cylinders/{c['code']}", h(city["a"]["admin"])
    assert post(world, f"{url}/seizure", admin, {"reason": "内部封存"}).status_code == 200
    # the regulator's seizure takes the company's over ...
    r = post(world, f"{url}/seizure", h(city["regulator"]), {"reason": "查处"})
    assert r.status_code == 200, r.text
    # ... and the company can no longer release it
    assert_problem(post(world, f"{url}/release", admin, {"reason": "x"}), 403, "REGULATOR_ACTION")
    # a company's own seizure the company lifts itself
    own = world.cylinder(city["a"]["e"]["id"], **GOOD)
    post(world, f"/cylinders/{own['code']}/seizure", admin, {"reason": "内部封存"})
    r = post(world, f"/cylinders/{own['code']}/release", admin, {"reason": "解除"})
    assert r.status_code == 200 and not r.json()["seized"]


def test_company_admin_cannot_close_a_regulators_recall(world: Any, city: Any) -> None:
    c = world.cylinder(city["a"]["e"]["id"], **GOOD)
    recall = post(world, "/recalls", h(city["regulator"]), {
        "reason": "阀门缺陷", "criteria": {"codes": [c["code"]]}}).json()
    url = f"/recalls/{recall['id']}"
    assert get(world, url, h(city["a"]["admin"]))["matched"] == 1  # the company sees it
    assert_problem(post(world, f"{url}/close", h(city["a"]["admin"])), 403, "REGULATOR_ACTION")
    # a district regulator sees the cylinder but does not cover the city's recall
    assert_problem(post(world, f"{url}/close", h(city["district"])), 403, "REGULATOR_ACTION")
    assert get(world, f"/cylinders/{c['code']}")["recalled"]
    assert get(world, url)["status"] == "open"
    r = post(world, f"{url}/close", h(city["regulator"]))
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert not get(world, f"/cylinders/{c['code']}")["recalled"]


def test_a_companys_own_recall_does_not_shield_cylinders_from_a_regulators_recall(
        world: Any, city: Any) -> None:
    c = world.cylinder(city["a"]["e"]["id"], **GOOD)
    admin = h(city["a"]["admin"])
    own = post(world, "/recalls", admin, {"reason": "自查", "criteria": {"codes": [c["code"]]}})
    theirs = post(world, "/recalls", h(city["regulator"]), {
        "reason": "批次缺陷", "criteria": {"codes": [c["code"]]}})
    assert theirs.json()["matched"] == 1
    assert post(world, f"/recalls/{own.json()['id']}/close", admin).status_code == 200
    assert get(world, f"/cylinders/{c['code']}")["recalled"]  # the regulator's still holds it
    post(world, f"/recalls/{theirs.json()['id']}/close", h(city["regulator"]))
    assert not get(world, f"/cylinders/{c['code']}")["recalled"]


def test_company_admin_cannot_unlock_a_regulators_station_lock(world: Any, city: Any) -> None:
    station = city["a"]["s"]["id"]
    url = f"/stations/{station}"
    assert post(world, f"{url}/lock", h(city["regulator"]), {"reason": "非法充装调查"}).json()[
        "locked"]
    problem = assert_problem(post(world, f"{url}/unlock", h(city["a"]["admin"]),
                                  {"reason": "x"}), 403)
    assert problem["reason"] == "ROLE_NOT_ALLOWED"
    assert_problem(post(world, f"{url}/unlock", h(city["far"]), {"reason": "x"}), 404)
    c = world.cylinder(city["a"]["e"]["id"], **GOOD)
    a = post(world, "/fill-authorizations", city["a"]["key"], {"scan": c["qr_text"]}).json()
    assert "STATION_LOCKED" in {x["code"] for x in a["reasons"]}
    r = post(world, f"{url}/unlock", h(city["district"]), {"reason": "整改完成"})
    assert r.status_code == 200 and not r.json()["locked"]


def test_a_lock_of_unknown_origin_is_the_regulators(world: Any, city: Any, engine: Any) -> None:
    """A lock from before takers were recorded: no company may lift it."""
    station = city["a"]["s"]["id"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE station SET locked = true WHERE id = :s"), {"s": station})
    assert_problem(post(world, f"/stations/{station}/unlock", h(city["a"]["admin"]),
                        {"reason": "x"}), 403)
    assert post(world, f"/stations/{station}/unlock", world.admin,
                {"reason": "x"}).status_code == 200


# --- a held cylinder does not move ---------------------------------------------------------------

def test_a_seized_cylinder_is_not_transferred_entrusted_or_dispatched(world: Any,
                                                                      city: Any) -> None:
    a, b = city["a"], city["b"]
    c = full(world, a)
    url = f"/cylinders/{c['code']}"
    post(world, f"{url}/seizure", h(city["regulator"]), {"reason": "查处"})
    for who in (h(a["admin"]), world.admin):
        held(post(world, f"{url}/transfer", who, {"to_enterprise_id": b["e"]["id"],
                                                  "reason": "产权置换"}), "SEIZED")
        held(post(world, f"{url}/entrust", who, {"to_enterprise_id": b["e"]["id"],
                                                 "until": "2099-01-01"}), "SEIZED")
    problem = assert_problem(dispatch(world, a, [c["code"]]), 409)
    assert [p["code"] for p in problem["problems"]] == ["CYLINDER_NOT_READY"]
    got = get(world, url)
    assert got["owner_enterprise_id"] == a["e"]["id"] and got["location_kind"] == "station"


def test_a_recalled_cylinder_is_not_transferred_out_of_the_regulators_region(
        world: Any, city: Any) -> None:
    c = world.cylinder(city["a"]["e"]["id"], **GOOD)
    post(world, "/recalls", h(city["regulator"]), {"reason": "缺陷",
                                                   "criteria": {"codes": [c["code"]]}})
    south = world.enterprise(region_code="440305")
    held(post(world, f"/cylinders/{c['code']}/transfer", h(city["a"]["admin"]),
              {"to_enterprise_id": south["id"], "reason": "出售"}), "RECALLED")
    assert get(world, f"/cylinders/{c['code']}")["region_code"] == "500103"


def test_a_cylinder_seized_on_the_truck_is_not_handed_over_at_the_door(
        world: Any, city: Any) -> None:
    a = city["a"]
    c = full(world, a)
    r = dispatch(world, a, [c["code"]])
    assert r.status_code == 201, r.text
    delivery = r.json()
    post(world, f"/cylinders/{c['code']}/seizure", h(city["regulator"]), {"reason": "途中查封"})
    r = post(world, f"/deliveries/{delivery['id']}/confirm", h(a["worker"]), {
        "scans": [c["qr_text"]], "location": {"lat": 29.56, "lon": 106.57},
        "safety_check": CHECK_OK})
    held(r, "SEIZED")
    assert get(world, f"/deliveries/{delivery['id']}")["status"] == "dispatched"
    assert get(world, f"/cylinders/{c['code']}")["location_kind"] == "vehicle"
    kinds = [e["kind"] for e in get(world, f"/cylinders/{c['code']}/history")["items"]]
    assert "delivered" not in kinds


def test_a_seizure_committed_while_a_dispatch_is_checked_stops_the_dispatch(
        world: Any, city: Any, engine: Any) -> None:
    """Two at once: the seizure holds the cylinder's row; the dispatch, checked meanwhile,
    waits for it and then sees the seizure (it does not leave on the truck)."""
    import threading
    import time

    a = city["a"]
    c = full(world, a)
    cust = customer(world, a)
    answer: list[Any] = []
    with engine.connect() as conn:
        tx = conn.begin()
        conn.execute(text("SELECT id FROM cylinder WHERE code = :c FOR UPDATE"), {"c": c["code"]})
        worker = threading.Thread(target=lambda: answer.append(post(world, "/deliveries",
            h(a["admin"]), {"worker_id": a["worker"]["id"], "vehicle_id": a["vehicle"]["id"],
                            "customer_id": cust["id"], "codes": [c["code"]]})))
        worker.start()
        time.sleep(1.0)
        assert not answer, "the dispatch did not wait for the cylinder's row"
        conn.execute(text("UPDATE cylinder SET seized = true, seized_by = 'regulator' "
                          "WHERE code = :c"), {"c": c["code"]})
        tx.commit()
    worker.join(timeout=30)
    # it waited before its checks (the dispatch locks what it names), so it answers as for a
    # cylinder seized beforehand
    problem = assert_problem(answer[0], 409)
    assert [p["code"] for p in problem["problems"]] == ["CYLINDER_NOT_READY"]
    assert get(world, f"/cylinders/{c['code']}")["location_kind"] == "station"


def test_a_held_cylinder_comes_back_only_to_its_owners_station(world: Any, city: Any) -> None:
    a, b = city["a"], city["b"]
    c = world.cylinder(a["e"]["id"], **GOOD)
    url = f"/cylinders/{c['code']}"
    assert post(world, f"{url}/entrust", h(a["admin"]), {
        "to_enterprise_id": b["e"]["id"], "until": "2099-01-01"}).status_code == 200
    post(world, f"{url}/seizure", h(city["regulator"]), {"reason": "查处"})
    held(post(world, f"{url}/return", h(a["admin"]), {"station_id": b["s"]["id"]}), "SEIZED")
    r = post(world, f"{url}/return", h(a["admin"]), {"station_id": a["s"]["id"]})
    assert r.status_code == 200 and r.json()["location_id"] == a["s"]["id"]


def test_a_company_cannot_scrap_a_cylinder_the_regulator_holds(world: Any, city: Any) -> None:
    """Scrapping is the agency's (issue 19): the company hands a cylinder over, the agency
    scraps it; under a regulator's seizure the company cannot even hand it over."""
    a = city["a"]
    admin = h(a["admin"])
    inspector = h(city["inspector"])
    to_agency = {"agency_id": city["inspector"]["agency_id"]}
    seized = world.cylinder(a["e"]["id"], **GOOD)
    post(world, f"/cylinders/{seized['code']}/seizure", h(city["regulator"]), {"reason": "证据"})
    held(post(world, f"/cylinders/{seized['code']}/scrap", admin,
              {"reason": "销毁", **to_agency}), "SEIZED")
    assert get(world, f"/cylinders/{seized['code']}")["status"] == "active"
    # the regulator's side hands it over; the agency scraps it
    r = post(world, f"/cylinders/{seized['code']}/scrap", h(city["regulator"]),
             {"reason": "检验报废", **to_agency})
    assert r.status_code == 200, r.text
    r = post(world, f"/cylinders/{seized['code']}/scrap/accept", inspector,
             {"certificate_number": "BF-1"})
    assert r.status_code == 200 and r.json()["status"] == "scrapped"
    # under a regulator's recall the company hands it over (that is what a recall asks), and
    # the agency, not the company, scraps it
    recalled = world.cylinder(a["e"]["id"], **GOOD)
    post(world, "/recalls", h(city["regulator"]), {"reason": "缺陷",
                                                   "criteria": {"codes": [recalled["code"]]}})
    r = post(world, f"/cylinders/{recalled['code']}/scrap", admin, {"reason": "x", **to_agency})
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert_problem(post(world, f"/cylinders/{recalled['code']}/scrap/accept", admin,
                        {"certificate_number": "BF-2"}), 403)
    r = post(world, f"/cylinders/{recalled['code']}/scrap/accept", inspector,
             {"certificate_number": "BF-2"})
    assert r.status_code == 200 and r.json()["status"] == "scrapped"


def test_after_an_entrustment_ends_dispatch_and_returns_refuse_the_cylinder(
        world: Any, city: Any, engine: Any) -> None:
    """The drift issue 18 names: a fill was refused NOT_OWNED after the end date, while dispatch
    and returns still took the cylinder. One rule now, with entrusted_until."""
    a, b = city["a"], city["b"]
    c = world.cylinder(a["e"]["id"], **GOOD)
    tomorrow = str(date.today() + timedelta(days=1))
    assert post(world, f"/cylinders/{c['code']}/entrust", h(a["admin"]), {
        "to_enterprise_id": b["e"]["id"], "until": tomorrow}).status_code == 200
    assert fill(world, b, c).status_code == 201  # filled by B while the entrustment lasts
    with engine.begin() as conn:
        conn.execute(text("UPDATE cylinder SET entrusted_until = current_date - 2 "
                          "WHERE code = :c"), {"c": c["code"]})
    a_ = post(world, "/fill-authorizations", b["key"], {"scan": c["qr_text"]}).json()
    assert {x["code"] for x in a_["reasons"]} == {"NOT_OWNED"}
    problem = assert_problem(dispatch(world, b, [c["code"]]), 409)
    assert problem["problems"][0]["detail"] == "not a cylinder of this company"
    problem = assert_problem(post(world, f"/cylinders/{c['code']}/return", h(a["admin"]),
                                  {"station_id": b["s"]["id"]}), 422)
    assert problem["reason"] == "FOREIGN_STATION"


# --- the operator on a fill record -------------------------------------------------------------

def test_a_fill_recorded_under_another_companys_badge_is_flagged_operator_not_certified(
        world: Any, city: Any) -> None:
    a, b = city["a"], city["b"]
    mine = world.user("operator", a["e"]["id"], badge=f"OP-A-{uuid.uuid4().hex[:6]}")
    theirs = world.user("operator", b["e"]["id"], badge=f"OP-B-{uuid.uuid4().hex[:6]}")
    lapsed = world.user("operator", a["e"]["id"], badge=f"OP-L-{uuid.uuid4().hex[:6]}",
                        certificate={"number": "C-old",
                                     "valid_until": str(date.today() - timedelta(days=1))})
    for badge, flagged in ((theirs["badge"], True), (lapsed["badge"], True),
                           ("NOBODY-123", True), (mine["badge"], False)):
        c = world.cylinder(a["e"]["id"], **GOOD)
        r = fill(world, a, c, operator=badge)
        assert r.status_code == 201, r.text
        flags = {f["code"] for f in r.json()["flags"]}
        assert ("OPERATOR_NOT_CERTIFIED" in flags) is flagged, badge
        # the regulator reads it in the history
        event = get(world, f"/cylinders/{c['code']}/history", h(city["regulator"]))["items"][0]
        assert event["kind"] == "filled"
        assert ("OPERATOR_NOT_CERTIFIED" in event["payload"]["flags"]) is flagged
    # and hears of it: the region's regulator and the company, once per flagged fill
    told = [n for n in get(world, "/notifications", h(city["regulator"]))
            if n["kind"] == "fill_operator_not_certified"]
    assert len(told) == 3
    assert len([n for n in get(world, "/notifications", h(a["admin"]))
                if n["kind"] == "fill_operator_not_certified"]) == 3
    assert not [n for n in get(world, "/notifications", h(city["far"]))
                if n["kind"] == "fill_operator_not_certified"]
    # the same badge at authorization is refused, as before
    c = world.cylinder(a["e"]["id"], **GOOD)
    d = post(world, "/fill-authorizations", a["key"],
             {"scan": c["qr_text"], "operator": theirs["badge"]}).json()
    assert "OPERATOR_NOT_CERTIFIED" in {x["code"] for x in d["reasons"]}


# --- every route declares its action, and the table holds at each ------------------------------

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Writing routes with no action, and why: logging in and out (no caller yet, or only a cookie),
# the hot path (the station key is checked inside its batched statement; its row is
# AUTHORIZE_FILL), the benchmark's echo (off unless configured).
PUBLIC_WRITES = {("POST", "/api/v1/auth/token"), ("POST", "/login"), ("POST", "/logout"),
                 ("POST", "/api/v1/fill-authorizations"), ("POST", "/api/v1/echo"),
                 # the public's reports: no account (rate-limited per address)
                 ("POST", "/api/v1/public/reports"), ("POST", "/report")}
# Page forms, signed in by cookie (no bearer for ``acts``): each calls a service that checks
# the same row with ``require_allowed``/``require_may``, tested through the page.
PAGE_FORMS = {("POST", "/enterprises/{enterprise_id}/licence-changes"),
              ("POST", "/enterprises/{enterprise_id}/enforcement"),
              ("POST", "/reports/{report_id}/answer"),
              ("POST", "/reports/{report_id}/handover"),
              ("POST", "/supervision/visits"),
              ("POST", "/supervision/major-hazards/{hazard_id}/close")}


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute of the app: FastAPI keeps an included router as one entry that points at
    the original router (``original_router``), so walk into those."""
    out: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out.extend(api_routes(route.original_router.routes))
    return out


def declared(route: APIRoute) -> Action | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        action = getattr(dep.call, "action", None)
        if action is not None:
            return Action(action)
        stack.extend(dep.dependencies)
    return None


def test_every_writing_route_declares_its_action(app: Any) -> None:
    missing = []
    routes = api_routes(app.routes)
    for route in routes:
        assert route.methods is not None  # an APIRoute always has its methods
        for method in route.methods & WRITES:
            if (method, route.path) not in PUBLIC_WRITES | PAGE_FORMS and declared(route) is None:
                missing.append(f"{method} {route.path}")
    assert not missing, f"writing routes without a declared action: {missing}"
    assert {"/api/v1/auth/token", "/login", "/api/v1/fill-authorizations"} <= {
        r.path for r in routes}  # the walk does reach the routers
    assert sum(1 for r in routes if declared(r)) >= 30


def _principals(world: Any) -> dict[Role, dict[str, str]]:
    e = world.enterprise()
    s = world.station(e["id"])
    return {Role.PLATFORM_ADMIN: world.admin,
            Role.ENTERPRISE_ADMIN: h(world.user("enterprise_admin", e["id"])),
            Role.OPERATOR: h(world.user("operator", e["id"])),
            Role.DELIVERY_WORKER: h(world.user("delivery_worker", e["id"])),
            Role.INSPECTOR: h(world.user("inspector", region_codes=["500000"])),
            Role.REGULATOR: h(world.user("regulator", region_codes=["500000"])),
            Role.STATION: world.api_key(s["id"])}


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_each_route_refuses_the_roles_its_row_leaves_out(world: Any, app: Any,
                                                         role: Role) -> None:
    """Through HTTP: every route with a declared action answers 403 ROLE_NOT_ALLOWED to a role
    the row leaves out (before reading the body), and never to a role the row names."""
    who = _principals(world)[role]
    checked = 0
    for route in api_routes(app.routes):
        action = declared(route)
        if action is None or route.path == "/api/v1/auth/logout":  # it would end `who`'s session
            continue
        path = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)
        assert route.methods is not None
        for method in sorted(route.methods - {"HEAD"}):
            r = world.client.request(method, path, headers=who, json={})
            reason = r.json().get("reason") if r.headers.get("content-type", "").startswith(
                "application/problem+json") else None
            if scope_of(role, action) is None:
                assert r.status_code == 403 and reason == "ROLE_NOT_ALLOWED", (method, path)
            else:
                assert reason != "ROLE_NOT_ALLOWED", (method, path)
            checked += 1
    assert checked >= 30


# --- rows from before the takers were recorded -------------------------------------------------

def test_seizures_and_recalls_from_before_keep_their_takers_side(database_url: str) -> None:
    """The migration gives rows of before their taker's role where the history names the user:
    a company's own seizure stays the company's to lift, a regulator's the regulator's."""
    from datetime import UTC, datetime

    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine
    from sqlmodel import Session

    from cylinder_trace.db.migrate import alembic_config
    from cylinder_trace.db.tables.accounts import AppUser, Enterprise
    from cylinder_trace.db.tables.lifecycle import RecallCampaign
    from cylinder_trace.db.tables.registry import Cylinder, CylinderEvent

    with new_database(database_url, "ct_mig") as url:
        cfg = alembic_config(url)
        command.upgrade(cfg, "heads")
        script = ScriptDirectory.from_config(cfg)
        mine = next(r for r in script.walk_revisions() if r.module.__file__
                    and r.module.__file__.endswith("_authority.py"))
        engine = create_engine(url)
        with Session(engine) as session:
            e = Enterprise(name="x", credit_code="91500000MA0000001X", region_code="500103")
            session.add(e)
            session.flush()
            company = AppUser(username="a", password_hash="x", role="enterprise_admin",
                              enterprise_id=e.id)
            regulator = AppUser(username="r", password_hash="x", role="regulator",
                                region_codes=["500000"])
            session.add_all([company, regulator])
            session.flush()
            ids = {}
            for n, who in ((1, company), (2, regulator), (3, None)):
                c = Cylinder(id=n, code=f"CT{n:09d}", owner_enterprise_id=e.id,
                             region_code="500103", manufacturer="m", serial_number=f"s{n}",
                             model="YSP-12", water_capacity_l=26.2, tare_kg=10, max_fill_kg=10,
                             manufacture_date=date(2022, 1, 1), seized=True)
                session.add(c)
                session.flush()
                session.add(CylinderEvent(
                    cylinder_id=n, occurred_at=datetime.now(UTC), kind="seized",
                    actor_kind="user" if who else "system",
                    actor_id=str(who.id) if who else None, payload={}))
                ids[n] = c.code
            session.add(RecallCampaign(ordered_by=company.id, reason="x", criteria={}))
            session.commit()
        command.downgrade(cfg, str(mine.down_revision))
        command.upgrade(cfg, "heads")
        with engine.connect() as conn:
            got: dict[int, str | None] = dict(conn.execute(text(
                "SELECT id, seized_by FROM cylinder")).all())
            recall_role = conn.execute(text("SELECT ordered_by_role FROM recall_campaign")
                                       ).scalar()
        engine.dispose()
        assert got == {1: "enterprise_admin", 2: "regulator", 3: None}
        assert recall_role == "enterprise_admin"
