"""History pagination and registry search, with their scopes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.api.test_health_and_errors import assert_problem


def test_history_pages_newest_first_with_a_cursor_and_a_kind_filter(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"], manufacture_date="2015-01-01")
    url = f"/api/v1/cylinders/{c['code']}"
    for year in range(2016, 2023):
        r = world.inspect(c, inspected_on=f"{year}-03-01")
        assert r.status_code == 201
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = world.client.get(f"{url}/history", params=params, headers=world.admin).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 8 and len({ev["id"] for ev in seen}) == 8
    times = [ev["occurred_at"] for ev in seen]
    assert times == sorted(times, reverse=True)
    assert seen[-1]["kind"] == "registered"
    only = world.client.get(f"{url}/history", params={"kind": "registered"},
                            headers=world.admin).json()
    assert [ev["kind"] for ev in only["items"]] == ["registered"]
    r = world.client.get(f"{url}/history", params={"kind": "nonsense"}, headers=world.admin)
    assert assert_problem(r, 422)["reason"] == "UNKNOWN_EVENT_KIND"
    r = world.client.get(f"{url}/history", params={"cursor": "!!"}, headers=world.admin)
    assert_problem(r, 422)


def test_search_filters_and_scopes(world: Any) -> None:
    cq, gd = world.enterprise("500103"), world.enterprise("440106")
    today = date.today()
    world_cylinder = world.cylinder

    def cylinder(eid: str, **kw: Any) -> dict[str, Any]:
        return dict(world_cylinder(eid, manufacture_date="2020-06-01", **kw))

    world.cylinder = cylinder
    inspected = str(today - timedelta(days=2 * 365))  # the due dates below within its cycle
    overdue = world.cylinder(cq["id"], next_inspection_due=str(today - timedelta(days=3)),
                             last_inspection_date=inspected)
    soon = world.cylinder(cq["id"], next_inspection_due=str(today + timedelta(days=10)),
                          last_inspection_date=inspected)
    later = world.cylinder(cq["id"], model="YSP-12",
                           next_inspection_due=str(today + timedelta(days=400)),
                           last_inspection_date=inspected)
    south = world.cylinder(gd["id"], next_inspection_due=str(today + timedelta(days=400)),
                           last_inspection_date=inspected)

    def codes(params: dict[str, Any], headers: dict[str, str]) -> set[str]:
        r = world.client.get("/api/v1/cylinders", params=params, headers=headers)
        assert r.status_code == 200, r.text
        return {c["code"] for c in r.json()["items"]}

    everything = {overdue["code"], soon["code"], later["code"], south["code"]}
    assert codes({}, world.admin) == everything
    assert codes({"overdue": True}, world.admin) == {overdue["code"]}
    assert codes({"due_within_days": 30}, world.admin) == {soon["code"]}
    assert codes({"model": "ysp12"}, world.admin) == {later["code"]}
    assert codes({"owner": gd["id"]}, world.admin) == {south["code"]}
    assert codes({"region": "44"}, world.admin) == {south["code"]}
    assert codes({"q": later["serial_number"]}, world.admin) == {later["code"]}
    admin_cq = world.user("enterprise_admin", cq["id"])
    assert codes({}, admin_cq["headers"]) == everything - {south["code"]}
    assert codes({"owner": gd["id"]}, admin_cq["headers"]) == set()
    reg_gd = world.user("regulator", region_codes=["440000"])
    assert codes({}, reg_gd["headers"]) == {south["code"]}
    # keyset pagination walks everything exactly once
    first = world.client.get("/api/v1/cylinders", params={"limit": 3}, headers=world.admin).json()
    rest = world.client.get("/api/v1/cylinders", params={"limit": 3,
                            "cursor": first["next_cursor"]}, headers=world.admin).json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert_problem(world.client.get("/api/v1/cylinders", params={"region": "x"},
                                    headers=world.admin), 422)
