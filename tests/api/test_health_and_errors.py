"""Health, OpenAPI, and the error contract: every error is problem+json with a stable code."""

from __future__ import annotations

from typing import Any

import pytest


def assert_problem(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["code"] and body["title"]
    assert "Traceback" not in r.text
    if code:
        assert body["code"] == code
    return dict(body)


def test_health_says_ok_once_the_database_answers(client: Any) -> None:
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_openapi_and_docs_are_served(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/enterprises" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_a_problem(client: Any) -> None:
    assert_problem(client.get("/api/v1/nowhere"), 404, "NOT_FOUND")


def test_wrong_method_is_a_problem(client: Any) -> None:
    assert_problem(client.put("/api/v1/health"), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer a.b"},
        {"X-API-Key": "ctk_unknown"},
    ],
)
def test_missing_or_bad_credentials_are_401(client: Any, headers: dict[str, str]) -> None:
    assert_problem(client.get("/api/v1/enterprises", headers=headers), 401, "NOT_AUTHENTICATED")


def test_malformed_json_lists_the_problem(world: Any) -> None:
    r = world.client.post(
        "/api/v1/enterprises",
        content=b"{not json",
        headers={**world.admin, "content-type": "application/json"},
    )
    assert_problem(r, 422, "VALIDATION_ERROR")


def test_wrong_types_and_unknown_fields_name_the_fields(world: Any) -> None:
    r = world.client.post(
        "/api/v1/enterprises",
        headers=world.admin,
        json={"name": 5, "credit_code": "x", "region_code": "12", "surprise": True},
    )
    body = assert_problem(r, 422, "VALIDATION_ERROR")
    fields = {e["field"] for e in body["errors"]}
    assert {"credit_code", "region_code", "surprise"} <= fields


def test_credit_code_check_character_is_verified(world: Any) -> None:
    from tests.factories import credit_code

    good = credit_code(424242)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = world.client.post(
        "/api/v1/enterprises",
        headers=world.admin,
        json={"name": "x", "credit_code": bad, "region_code": "500103"},
    )
    assert_problem(r, 422, "VALIDATION_ERROR")


def test_oversized_body_is_413(world: Any) -> None:
    r = world.client.post(
        "/api/v1/enterprises",
        headers={**world.admin, "content-type": "application/json"},
        content=b" " * (2 * 1024 * 1024),
    )
    assert_problem(r, 413, "BODY_TOO_LARGE")


def test_oversized_chunked_body_is_413(world: Any) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b" " * 65536

    r = world.client.post(
        "/api/v1/enterprises",
        headers={**world.admin, "content-type": "application/json"},
        content=chunks(),
    )
    assert_problem(r, 413, "BODY_TOO_LARGE")


def test_duplicate_credit_code_is_409(world: Any) -> None:
    e = world.enterprise()
    r = world.client.post(
        "/api/v1/enterprises",
        headers=world.admin,
        json={"name": "again", "credit_code": e["credit_code"], "region_code": "500103"},
    )
    assert_problem(r, 409, "CONFLICT")


def test_wrong_password_then_lockout(world: Any) -> None:
    for _ in range(5):
        r = world.client.post("/api/v1/auth/token", data={"username": "root", "password": "nope"})
        assert_problem(r, 401, "NOT_AUTHENTICATED")
    r = world.client.post(
        "/api/v1/auth/token", data={"username": "root", "password": "correct-horse-battery"}
    )
    assert_problem(r, 429, "TOO_MANY_REQUESTS")


def test_a_connection_the_server_closed_is_not_handed_out(database_url: str) -> None:
    """No ping on every checkout (db/engine._live_on_checkout): a pooled connection whose backend
    was terminated (a restart, an idle timeout) is still seen dead and replaced, and one idle for
    long is pinged first."""
    import time

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from cylinder_trace.db import engine as db

    engine = db.make_engine(database_url, pool_size=1)
    killer = create_engine(database_url, poolclass=NullPool)
    try:
        for _ in range(2):
            with engine.connect() as conn:
                pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with killer.connect() as k:
                assert k.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
                for _ in range(100):  # until the backend is gone
                    if not k.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"),
                                     {"p": pid}).scalar():
                        break
                    time.sleep(0.05)
            with engine.connect() as conn:  # the pool's one connection was that one
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
        # idle past the limit: pinged (and, alive, kept)
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        engine.pool._pool.queue[0].info["idle_since"] -= db.PING_AFTER_IDLE_SECONDS + 1  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
    finally:
        engine.dispose()
        killer.dispose()
