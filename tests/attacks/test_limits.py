"""Limits: rate limits per client address on login and the public page, security headers on
pages, login lock-out, secrets from files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cylinder_trace.config import get_settings
from tests.api.test_health_and_errors import assert_problem
from tests.conftest import client_with_settings


@pytest.fixture
def strict_client(database_url: str, monkeypatch: pytest.MonkeyPatch,
                  client: Any) -> Iterator[TestClient]:
    yield from client_with_settings(database_url, monkeypatch, rate_login_per_minute="3",
                                    rate_public_per_minute="5")


def test_login_and_the_public_page_are_rate_limited(strict_client: TestClient) -> None:
    answers = [strict_client.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
               for _ in range(4)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]
    body = assert_problem(answers[-1], 429, "TOO_MANY_REQUESTS")
    assert body["title_zh"] and int(answers[-1].headers["retry-after"]) > 0
    pages = [strict_client.get("/c/CT00000001X").status_code for _ in range(6)]
    assert pages[:5] == [404] * 5 and pages[5] == 429
    # other routes are not affected
    assert strict_client.get("/api/v1/health").status_code == 200


def test_pages_carry_security_headers(world: Any) -> None:
    c = world.cylinder(world.enterprise()["id"])
    r = world.client.get(f"/c/{c['code']}")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    api = world.client.get("/api/v1/health")
    assert api.headers["x-content-type-options"] == "nosniff"


def test_repeated_failed_logins_lock_the_account(world: Any) -> None:
    name = world.user("operator", world.enterprise()["id"])["username"]
    for _ in range(5):
        world.client.post("/api/v1/auth/token", data={"username": name, "password": "bad"})
    r = world.client.post("/api/v1/auth/token",
                          data={"username": name, "password": "correct-horse-battery"})
    assert r.status_code in (401, 429), r.text


def test_secrets_can_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("CYLINDER_TRACE_SECRET_KEY_FILE", str(secret))
    get_settings.cache_clear()
    try:
        assert get_settings().secret_key == "from-a-file"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
