"""A history page is read first within the recent months (services/history.py), then, when
those do not fill it, without the bound: either way the page is the newest events in order,
and the cursor walks across the boundary without losing or repeating one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from cylinder_trace.db.engine import get_engine
from tests.factories import GOOD


def _events(cylinder_id: int, ages_in_days: Sequence[float]) -> None:
    with get_engine().begin() as conn:
        # the months back to 14 (the migration made 12); none ahead: the partitions ahead are
        # the daily job's, which tests/api/test_migrations.py counts
        conn.execute(text("SELECT ct_ensure_event_partitions((date_trunc('month', now()) "
                          "- interval '14 months')::date, 0)"))
        for n, age in enumerate(ages_in_days):
            conn.execute(text(
                "INSERT INTO cylinder_event (cylinder_id, occurred_at, kind, actor_kind, "
                "payload) VALUES (:c, now() - make_interval(secs => :s), 'filled', 'system', "
                "jsonb_build_object('n', :n))"), {"c": cylinder_id, "s": age * 86400, "n": n})


def _walk(world: Any, code: str, limit: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = world.client.get(f"/api/v1/cylinders/{code}/history", params=params,
                             headers=world.admin).json()
        pages.append([i["payload"].get("n", -1) for i in r["items"]])
        cursor = r["next_cursor"]
        if not cursor:
            return pages


def test_pages_across_the_recent_window_are_the_newest_events_in_order(world: Any) -> None:
    e = world.enterprise()
    c = world.cylinder(e["id"], **GOOD)
    # 30 events in the last month (n = 0..29, newest first), 30 from 200 to 400 days ago
    _events(c["id"], [1 + i for i in range(30)] + [200 + 7 * i for i in range(30)])
    everything = [-1, *range(60)]  # the registration (no n) is the newest
    for limit in (10, 25, 50, 500):  # pages inside the window, across it, beyond it
        pages = _walk(world, c["code"], limit)
        assert [n for page in pages for n in page] == everything, limit
        assert all(len(page) == limit for page in pages[:-1])
    # a cylinder whose events but its registration are old: read without the bound, alike
    old = world.cylinder(e["id"], **GOOD)
    _events(old["id"], [300 + i for i in range(5)])
    assert _walk(world, old["code"], 50) == [[-1, 0, 1, 2, 3, 4]]


def test_the_page_is_written_as_its_models_would_write_it(world: Any) -> None:
    """The route writes HistoryPage's JSON from the rows itself: the same bytes, key by key,
    as the models validated and serialized (datetimes in UTC with Z, UUIDs, payloads)."""
    from cylinder_trace.schemas.registry import EventOut, HistoryPage
    from cylinder_trace.services.history import history_page

    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], **GOOD)
    world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]}, headers=key)
    _events(c["id"], [0.5, 2.25])
    got = world.client.get(f"/api/v1/cylinders/{c['code']}/history", params={"limit": 2},
                           headers=world.admin)
    from sqlmodel import Session

    with Session(get_engine()) as session:
        rows, cursor = history_page(session, c["id"], limit=2)
        head = session.execute(text("SELECT head FROM cylinder_chain WHERE cylinder_id = :c"),
                               {"c": c["id"]}).scalar()
    expected = HistoryPage(code=c["code"], chain_head=head, next_cursor=cursor, items=[
        EventOut.model_validate(r, from_attributes=True) for r in rows]).model_dump_json()
    assert got.headers["content-type"] == "application/json"
    assert got.content == expected.encode()
