"""The history page's fast path (api/routes/cylinders.py, history_asgi): a person's request of
the usual shape is answered on the event loop, ahead of the router; everything else, and every
refusal, by the FastAPI route. Both answer alike, byte for byte, refusal for refusal."""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg
import pytest

from cylinder_trace.adapters.security import make_token, read_token
from cylinder_trace.api.routes import cylinders
from cylinder_trace.domain.codes import make_code
from cylinder_trace.observe import JsonFormatter
from tests.api.test_history_window import _events
from tests.factories import GOOD

# An unknown query parameter: the route ignores it, the fast path hands the request to the route
THE_ROUTE = {"by": "route"}


def _only(monkeypatch: pytest.MonkeyPatch, way: str) -> None:
    """Make the other way fail loudly, so that an answer proves which way gave it."""
    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError(f"answered the other way, not {way}")

    if way == "fast":
        monkeypatch.setattr(cylinders, "history_page", refuse)
    else:
        monkeypatch.setattr(cylinders, "history_page_async", refuse)


def _get(world: Any, code: str, headers: dict[str, str], **params: Any) -> Any:
    return world.client.get(f"/api/v1/cylinders/{code}/history", params=params,
                            headers=headers)


def test_the_fast_path_answers_the_route_s_bytes_page_by_page(
        world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], **GOOD)
    world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]}, headers=key)
    _events(c["id"], [0.5 + i for i in range(7)] + [300 + i for i in range(4)])
    company = world.login(world.user("enterprise_admin", e["id"])["username"])
    for headers in (world.admin, company):
        for limit in (None, 1, 3, 500):
            cursor = None
            while True:
                params = {k: v for k, v in (("limit", limit), ("cursor", cursor)) if v}
                _only(monkeypatch, "fast")
                fast = _get(world, c["code"], headers, **params)
                monkeypatch.undo()
                _only(monkeypatch, "route")
                slow = _get(world, c["code"], headers, **params, **THE_ROUTE)
                monkeypatch.undo()
                assert fast.status_code == slow.status_code == 200
                assert fast.content == slow.content
                assert fast.headers["content-type"] == slow.headers["content-type"]
                assert fast.headers["content-length"] == str(len(fast.content))
                assert fast.headers["x-content-type-options"] == "nosniff"
                cursor = fast.json()["next_cursor"]
                if not cursor:
                    break
    # one page of everything: the registration, the authorization, the 11 events
    assert len(_get(world, c["code"], world.admin, limit=500).json()["items"]) == 13


def _problem(r: Any) -> tuple[int, Any]:
    body = r.json()
    return r.status_code, {k: v for k, v in body.items() if k not in ("instance", "request_id")}


def test_every_refusal_is_the_route_s(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    e, other = world.enterprise(), world.enterprise()
    c = world.cylinder(e["id"], **GOOD)
    theirs = world.login(world.user("enterprise_admin", other["id"])["username"])
    ended = world.login(world.user("enterprise_admin", e["id"])["username"])
    assert world.client.post("/api/v1/auth/logout", headers=ended).status_code == 204
    key = world.api_key(world.station(e["id"])["id"])
    bad_check = c["code"][:-1] + ("A" if c["code"][-1] != "A" else "B")
    cases: list[tuple[str, dict[str, str], dict[str, Any], int]] = [
        (c["code"], theirs, {}, 404),  # another company's: not even confirmed to exist
        (make_code("CT", 987654), world.admin, {}, 404),  # no such cylinder
        (bad_check, world.admin, {}, 422),
        (c["code"], ended, {}, 401),  # a session ended by its logout
        (c["code"], {"Authorization": "Bearer not.a.token"}, {}, 401),
        (c["code"], {}, {}, 401),
        (c["code"], world.admin, {"cursor": "not-a-cursor"}, 422),
        (c["code"], world.admin, {"limit": 0}, 422),
        (c["code"], world.admin, {"limit": 501}, 422),
        (c["code"], world.admin, {"kind": "no_such_kind"}, 422),
    ]
    for code, headers, params, status in cases:
        first = _get(world, code, headers, **params)
        route = _get(world, code, headers, **params, **THE_ROUTE)
        assert first.status_code == status, (code, params, first.text)
        assert first.headers["content-type"] == "application/problem+json"
        assert _problem(first) == _problem(route), (code, params)
    # a station's key, and a kind filter: the route's, answered as ever
    _only(monkeypatch, "route")
    assert _get(world, c["code"], key).status_code in (200, 403)
    kinds = _get(world, c["code"], world.admin, kind="registered")
    assert [i["kind"] for i in kinds.json()["items"]] == ["registered"]


def test_without_its_database_the_fast_path_hands_over(world: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A failing read pool (PostgreSQL gone, the pool closed) costs the fast path its turn,
    not the answer: the route answers it on the sessions' own pool."""
    e = world.enterprise()
    c = world.cylinder(e["id"], **GOOD)
    expected = _get(world, c["code"], world.admin).content

    class Failing:
        def connection(self) -> Any:
            raise psycopg.OperationalError("the read pool is gone")

    # (State keeps its attributes in a dict: setattr's undo would drop the real pool)
    monkeypatch.setitem(world.client.app.state._state, "reads", Failing())
    r = _get(world, c["code"], world.admin)
    assert r.status_code == 200 and r.content == expected


def test_paths_of_another_shape_are_the_router_s(world: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _only(monkeypatch, "route")
    for path in ("/api/v1/cylinders//history", "/api/v1/cylinders/a/b/history",
                 "/api/v1/cylinders/a%2Fb/history"):
        assert world.client.get(path, headers=world.admin).status_code == 404, path
    # (GET /api/v1/cylinders/{code} names the cylinder "history": not one, as the route says)
    assert world.client.get("/api/v1/cylinders/history", headers=world.admin).status_code == 422


def test_its_access_line_names_the_route_and_the_person(
        world: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO, logger="cylinder_trace.access")
    c = world.cylinder(world.enterprise()["id"], **GOOD)
    _only(monkeypatch, "fast")
    assert _get(world, c["code"], {**world.admin, "X-Request-ID": "hist-1"}).status_code == 200
    line = next(rec for rec in caplog.records
                if getattr(rec, "fields", {}).get("request_id") == "hist-1")
    entry = json.loads(JsonFormatter().format(line))
    assert entry["route"] == cylinders.HISTORY and entry["status"] == 200
    assert entry["actor"].startswith("user:")
    assert c["code"] not in caplog.text  # the path's code is not logged, its template is
    assert f'route="{cylinders.HISTORY}"' in world.client.get("/metrics").text


def test_a_token_verified_once_still_expires() -> None:
    """The claims of a verified token are kept per process; its expiry is checked on every
    read all the same."""
    from datetime import UTC, datetime, timedelta

    expires = datetime.now(UTC) + timedelta(minutes=5)
    token = make_token("secret-a", "user-1", "session-1", expires)
    claims = read_token("secret-a", token)
    assert claims is not None and claims["sub"] == "user-1"
    claims["sub"] = "changed"  # a caller's copy: the kept claims are not changed by it
    assert read_token("secret-a", token) == {**claims, "sub": "user-1"}
    assert read_token("secret-a", token, now=expires.timestamp() - 1) is not None
    assert read_token("secret-a", token, now=expires.timestamp()) is None
    assert read_token("secret-b", token) is None  # another key: not the kept claims
    assert read_token("secret-a", token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
