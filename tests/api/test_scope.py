"""One scope for every list: the SQL builder (both forms) agrees with ``Principal.sees`` on a
table of callers x rows, and every list shows a regional role that belongs to an enterprise the
same records (its enterprise anywhere, plus its regions) — search, notifications, statistics,
hazards, unregistered scans, stations, enterprises, vehicles, recalls."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from cylinder_trace.db.scope import visible, visible_sql
from cylinder_trace.db.tables.lifecycle import Hazard, RecallCampaign
from cylinder_trace.db.tables.notifications import Notification
from cylinder_trace.domain.principal import Principal, Role
from cylinder_trace.services.notifications import notify
from tests.factories import GOOD  # in service on any day the suite runs

E1, E2, E3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
ROWS = [(e, r) for e in (E1, E2, E3, None) for r in ("500103", "500000", "330106", "440000",
                                                     None)]


def _principals() -> list[Principal]:
    def p(role: Role, enterprise: uuid.UUID | None = None, *regions: str) -> Principal:
        return Principal("user", uuid.uuid4(), role, enterprise, tuple(regions))

    out = [p(Role.PLATFORM_ADMIN), p(Role.PLATFORM_ADMIN, E1, "330000")]
    for role in (Role.ENTERPRISE_ADMIN, Role.OPERATOR, Role.DELIVERY_WORKER, Role.STATION):
        out += [p(role, E1), p(role, None), p(role, E1, "500000")]  # regions do not widen
    for role in (Role.REGULATOR, Role.INSPECTOR):
        out += [p(role, None, "500000"), p(role, None, "500103"), p(role, None),
                p(role, None, "330100", "440000"), p(role, E2, "500000"), p(role, E2)]
    return out


@pytest.fixture
def table(client: Any, engine: Any) -> dict[uuid.UUID, tuple[uuid.UUID | None, str | None]]:
    """Notifications (nullable enterprise and region: every case of a scoped row)."""
    rows = {}
    with engine.begin() as conn:
        for n, (e, r) in enumerate(ROWS):
            nid = uuid.uuid4()
            rows[nid] = (e, r)
            conn.execute(text(
                "INSERT INTO notification (id, kind, dedupe_key, enterprise_id, region_code, "
                "title_zh, title_en, payload) VALUES (:id, 't', :k, :e, :r, 'x', 'x', '{}')"),
                {"id": nid, "k": str(n), "e": e, "r": r})
    return rows


def test_builder_agrees_with_sees_on_callers_x_rows(table: Any, engine: Any) -> None:
    e_col, r_col = col(Notification.enterprise_id), col(Notification.region_code)
    with Session(engine) as session:
        for principal, with_region in itertools.product(_principals(), (True, False)):
            expected = {nid for nid, (e, r) in table.items()
                        if principal.sees(e, r if with_region else None)}
            got = set(session.exec(select(col(Notification.id)).where(
                visible(principal, e_col, r_col if with_region else None))).all())
            where, params = visible_sql(principal, "enterprise_id",
                                        "region_code" if with_region else None)
            got_text = set(session.execute(text(
                f"SELECT id FROM notification WHERE {where}"), params).scalars())
            assert got == expected == got_text, (principal, with_region)
    assert len(_principals()) > 20 and len(ROWS) == 20


def test_assignee_limits_only_a_delivery_worker(table: Any, engine: Any) -> None:
    """A delivery worker lists only the rows assigned to them; `assigned` says the same."""
    worker = Principal("user", uuid.uuid4(), Role.DELIVERY_WORKER, E1)
    admin = Principal("user", uuid.uuid4(), Role.ENTERPRISE_ADMIN, E1)
    mine = next(nid for nid, (e, _) in table.items() if e == E1)
    with engine.begin() as conn:  # dedupe_key stands in for the assignee column
        conn.execute(text("UPDATE notification SET dedupe_key = :w WHERE id = :id"),
                     {"w": str(worker.id), "id": mine})
    key = col(Notification.dedupe_key)
    with Session(engine) as session:
        for p in (worker, admin):
            rows = session.exec(select(Notification).where(
                visible(p, col(Notification.enterprise_id), None, assignee=key))).all()
            expected = {nid for nid, (e, _) in table.items()
                        if p.sees(e, None) and p.assigned(worker.id if nid == mine else None)}
            assert {n.id for n in rows} == expected
        where, params = visible_sql(worker, "enterprise_id", None, assignee="dedupe_key")
        params["scope_a"] = str(params["scope_a"])
        got = session.execute(text(f"SELECT id FROM notification WHERE {where}"),
                              params).scalars().all()
        assert list(got) == [mine]


REGION_LISTS = [[], ["500103"], ["500000", "440000"], ["330106"], ["440000", "330106"]]


def test_regions_parameter_sees_a_row_that_names_several_regions(client: Any,
                                                                 engine: Any) -> None:
    """``regions=`` (a recall's region list): seen as if the row were listed once per region;
    both forms of the builder agree with ``Principal.sees``."""
    rows: dict[uuid.UUID, tuple[uuid.UUID | None, list[str]]] = {}
    with engine.begin() as conn:
        for e, codes in itertools.product((E1, E2, None), REGION_LISTS):
            rid = uuid.uuid4()
            rows[rid] = (e, codes)
            conn.execute(text(
                "INSERT INTO recall_campaign (id, ordered_by, region_codes, enterprise_id, "
                "reason, criteria, matched, status) VALUES (:id, :by, :codes, :e, 'x', '{}', 0, "
                "'open')"),
                {"id": rid, "by": uuid.uuid4(), "codes": codes, "e": e})
    e_col, r_col = col(RecallCampaign.enterprise_id), col(RecallCampaign.region_codes)
    with Session(engine) as session:
        for principal in _principals():
            expected = {rid for rid, (e, codes) in rows.items()
                        if principal.sees(e, None) or any(principal.sees(e, r) for r in codes)}
            got = set(session.exec(select(col(RecallCampaign.id)).where(
                visible(principal, e_col, None, regions=r_col))).all())
            where, params = visible_sql(principal, "enterprise_id", None,
                                        regions="region_codes")
            got_text = set(session.execute(text(
                f"SELECT id FROM recall_campaign WHERE {where}"), params).scalars())
            assert got == expected == got_text, principal
    assert len(rows) == 15


# --- every list, through HTTP, for an inspector of an enterprise's own inspection unit ----------


@pytest.fixture
def inspector_world(world: Any, engine: Any) -> dict[str, Any]:
    """E1 in the inspector's region (500000), E2 its own enterprise elsewhere (330106), E3 in
    neither: each with a station, a cylinder, a refused fill, an unknown scan, a hazard and a
    notification."""
    made: dict[str, Any] = {"world": world}
    for name, region in (("e1", "500103"), ("e2", "330106"), ("e3", "440106")):
        e = world.enterprise(region)
        station = world.station(e["id"], region_code=region)
        key = world.api_key(station["id"])
        c = world.cylinder(e["id"], **GOOD)
        two_phase = world.cylinder(e["id"], model="YSP-118-II", **GOOD)
        for scan in (two_phase["qr_text"], f"NOT-OURS-{name}-1234"):
            r = world.client.post("/api/v1/fill-authorizations", json={"scan": scan},
                                  headers=key)
            assert r.json()["decision"] == "deny", r.text
        cust = world.client.post("/api/v1/customers", headers=world.admin, json={
            "enterprise_id": e["id"], "kind": "resident", "name": name, "address": "x",
            "id_number": "11010519491231002X", "phone": "13800138000"})
        assert cust.status_code == 201, cust.text
        with Session(engine) as session:  # a hazard as a failed door-step check leaves it
            session.add(Hazard(enterprise_id=uuid.UUID(e["id"]), region_code=region,
                               customer_id=uuid.UUID(cust.json()["id"]), item="hose_ok",
                               owner=name, deadline=date.today() + timedelta(days=7)))
            notify(session, "test", name, enterprise_id=uuid.UUID(e["id"]), region_code=region,
                   title_zh=name, title_en=name, payload={})
            session.commit()
        made[name] = {"e": e, "station": station, "cylinder": c, "denied": two_phase["code"]}
    inspector = world.legacy_inspector(made["e2"]["e"]["id"], region_codes=["500000"])
    made["inspector"], made["username"] = inspector["headers"], inspector["username"]
    made["regulator"] = world.user("regulator", region_codes=["500000"])["headers"]
    return made


def _get(w: dict[str, Any], path: str, who: str = "inspector", **params: Any) -> Any:
    r = w["world"].client.get(path, headers=w[who], params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _seen(w: dict[str, Any]) -> set[str]:
    return {w["e1"]["e"]["id"], w["e2"]["e"]["id"]}


def test_search_shows_its_enterprise_and_its_regions(inspector_world: Any) -> None:
    w = inspector_world
    owners = {c["owner_enterprise_id"] for c in _get(w, "/api/v1/cylinders")["items"]}
    assert owners == _seen(w)
    regulator = {c["owner_enterprise_id"]
                 for c in _get(w, "/api/v1/cylinders", "regulator")["items"]}
    assert regulator == {w["e1"]["e"]["id"]}


def test_notifications_show_its_enterprise_and_its_regions(inspector_world: Any) -> None:
    w = inspector_world
    mine = [n for n in _get(w, "/api/v1/notifications") if n["kind"] == "test"]
    assert {n["enterprise_id"] for n in mine} == _seen(w)


def test_statistics_count_its_enterprise_too(inspector_world: Any) -> None:
    """Was: statistics counted only the regions, so the inspector's own enterprise vanished."""
    w = inspector_world
    by = _get(w, "/api/v1/stats/cylinders")["by_enterprise"]
    assert {x["enterprise_id"] for x in by} == _seen(w)
    # in each of the two enterprises: the two-phase refusal and the unknown scan (UNREGISTERED)
    assert sum(d["denied"] for d in _get(w, "/api/v1/stats/fills-per-day")) == 4
    reasons = {r["code"]: r["count"] for r in _get(w, "/api/v1/stats/deny-reasons")}
    assert reasons["TWO_PHASE_VALVE"] == 2 and reasons["UNREGISTERED"] == 2
    assert {x["enterprise_id"] for x in _get(w, "/api/v1/stats/cylinders",
                                             "regulator")["by_enterprise"]} == {
        w["e1"]["e"]["id"]}


def test_hazards_show_its_enterprise_too(inspector_world: Any) -> None:
    """Was: the hazard ledger showed a regional role only its regions."""
    w = inspector_world
    assert {h["enterprise_id"] for h in _get(w, "/api/v1/hazards")} == _seen(w)
    assert [h["owner"] for h in _get(w, "/api/v1/hazards", "regulator")] == ["e1"]


def test_unregistered_scans_show_its_enterprise_too(inspector_world: Any) -> None:
    """Was: unknown scans at the inspector's own enterprise's stations were not listed."""
    w = inspector_world
    stations = {u["station_id"] for u in _get(w, "/api/v1/unregistered-scans")}
    assert stations == {w["e1"]["station"]["id"], w["e2"]["station"]["id"]}
    assert {u["station_id"] for u in _get(w, "/api/v1/unregistered-scans", "regulator")} == {
        w["e1"]["station"]["id"]}


def test_directory_lists_agree(inspector_world: Any) -> None:
    """Enterprises, stations and vehicles: the same scope, now in SQL rather than in Python."""
    w = inspector_world
    assert {e["id"] for e in _get(w, "/api/v1/enterprises")} == _seen(w)
    assert {s["id"] for s in _get(w, "/api/v1/stations")} == {
        w["e1"]["station"]["id"], w["e2"]["station"]["id"]}
    r = w["world"].client.post("/api/v1/vehicles", headers=w["world"].admin, json={
        "enterprise_id": w["e2"]["e"]["id"], "plate": "浙A12345",
        "permit": {"number": "WX-2", "valid_until": "2099-01-01"}, "workers": []})
    assert r.status_code == 201, r.text
    assert [v["plate"] for v in _get(w, "/api/v1/vehicles")] == ["浙A12345"]
    assert _get(w, "/api/v1/vehicles", "regulator") == []


def test_the_feed_shows_its_enterprise_too(inspector_world: Any) -> None:
    """The web feed of refused fills uses the statistics' scope: the same two enterprises."""
    from tests.factories import PASSWORD

    w = inspector_world
    c = w["world"].client
    c.cookies.clear()
    r = c.post("/login", data={"username": w["username"], "password": PASSWORD},
               follow_redirects=False)
    assert r.status_code == 303, r.text
    feed = c.get("/feed")
    assert feed.status_code == 200
    assert w["e1"]["denied"] in feed.text and w["e2"]["denied"] in feed.text
    assert w["e3"]["denied"] not in feed.text
    c.cookies.clear()


def test_recalls_list_on_the_scope_builder(inspector_world: Any, engine: Any) -> None:
    """Was: the list filtered the 2000 newest campaigns in Python, and an inspector of a
    company's own unit did not see a recall of its company that caught nothing yet. Now one SQL
    condition: the company's, its regions', and whoever's cylinders it caught; the page of one
    recall answers by the same condition."""
    w = inspector_world
    world = w["world"]
    admins = {n: world.user("enterprise_admin", w[n]["e"]["id"])["headers"]
              for n in ("e1", "e2", "e3")}
    nothing = {"codes": ["NOT-A-CYLINDER"]}

    def recall(headers: dict[str, str], criteria: dict[str, Any]) -> str:
        r = world.client.post("/api/v1/recalls", headers=headers,
                              json={"reason": "缺陷", "criteria": criteria})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    by_regulator = recall(w["regulator"], nothing)  # ordered for 500000: caught nothing
    own = {n: recall(admins[n], nothing) for n in ("e1", "e2", "e3")}
    caught_e3 = recall(world.admin, {"codes": [w["e3"]["cylinder"]["code"]]})

    def listed(who: dict[str, str]) -> set[str]:
        r = world.client.get("/api/v1/recalls", headers=who)
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()}

    assert listed(w["inspector"]) == {by_regulator, own["e2"]}  # its regions, its company
    assert listed(w["regulator"]) == {by_regulator}
    assert listed(admins["e3"]) == {own["e3"], caught_e3}  # the platform's caught its cylinder
    assert listed(admins["e1"]) == {own["e1"]}
    assert listed(world.admin) >= {by_regulator, caught_e3, *own.values()}
    for rid in (caught_e3, own["e1"]):  # one recall's page: the same condition
        r = world.client.get(f"/api/v1/recalls/{rid}", headers=w["inspector"])
        assert r.status_code == 404, r.text
    assert world.client.get(f"/api/v1/recalls/{own['e2']}",
                            headers=w["inspector"]).status_code == 200
    # more campaigns than the old window of 2000, all newer and all someone else's
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO recall_campaign (id, ordered_by, region_codes, enterprise_id, reason, "
            "criteria, matched, status, created_at) SELECT gen_random_uuid(), gen_random_uuid(), "
            "'{}', :e, 'x', '{}', 0, 'open', now() + make_interval(secs => g) "
            "FROM generate_series(1, 2001) g"),
            {"e": w["e3"]["e"]["id"]})
    assert listed(admins["e1"]) == {own["e1"]}
