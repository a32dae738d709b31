"""Request ids, structured access logs without personal data, Prometheus metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from cylinder_trace.observe import JsonFormatter
from tests.conftest import client_with_settings
from tests.factories import GOOD


def _sampled_every(n: int, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from tests.factories import World

    for client in client_with_settings(database_url, monkeypatch,
                                       access_log_fast_every=str(n)):
        yield World(client)


@pytest.fixture
def world_every_line(database_url: str, monkeypatch: pytest.MonkeyPatch,
                     client: Any) -> Iterator[Any]:
    yield from _sampled_every(1, database_url, monkeypatch)


@pytest.fixture
def world_every_third(database_url: str, monkeypatch: pytest.MonkeyPatch,
                      client: Any) -> Iterator[Any]:
    yield from _sampled_every(3, database_url, monkeypatch)


def test_request_ids_metrics_and_log_lines(world_every_line: Any,
                                           caplog: pytest.LogCaptureFixture) -> None:
    world = world_every_line
    caplog.set_level(logging.INFO, logger="cylinder_trace.access")
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], **GOOD)
    r = world.client.post("/api/v1/fill-authorizations", json={"scan": c["qr_text"]},
                          headers={**key, "X-Request-ID": "req-123"})
    assert r.headers["x-request-id"] == "req-123"
    assert world.client.get("/api/v1/health").headers["x-request-id"]
    world.client.post("/api/v1/fill-authorizations", json={"scan": "garbage"}, headers=key)
    line = next(rec for rec in caplog.records if getattr(rec, "fields", {}).get(
        "request_id") == "req-123")
    entry = json.loads(JsonFormatter().format(line))
    assert entry["route"] == "/api/v1/fill-authorizations" and entry["status"] == 200
    assert entry["actor"] is None or entry["actor"].startswith("station:")
    assert c["qr_text"] not in caplog.text and key["X-API-Key"] not in caplog.text
    metrics = world.client.get("/metrics").text
    assert 'ct_fill_decisions_total{decision="allow",reason=""}' in metrics
    assert 'ct_fill_decisions_total{decision="deny",reason="UNREGISTERED"}' in metrics
    assert 'route="/api/v1/cylinders/{code}/history"' in metrics or "ct_http_requests_total" in \
        metrics
    assert "ct_outbox_pending" in metrics and "ct_http_request_duration_seconds_bucket" in metrics


def test_the_hot_paths_access_lines_are_sampled_and_its_refusals_all_written(
        world_every_third: Any, caplog: pytest.LogCaptureFixture) -> None:
    """One access line for every third fill authorization answered (CYLINDER_TRACE_ACCESS_LOG_
    FAST_EVERY=3), saying so; every refusal of the request itself and every other route's
    request has its own."""
    world = world_every_third
    caplog.set_level(logging.INFO, logger="cylinder_trace.access")
    e = world.enterprise()
    key = world.api_key(world.station(e["id"])["id"])
    c = world.cylinder(e["id"], **GOOD)
    caplog.clear()
    for n in range(7):  # allowed, then its open authorization quoted again, and denials
        scan = c["qr_text"] if n % 2 else "garbage"
        r = world.client.post("/api/v1/fill-authorizations", json={"scan": scan},
                              headers={**key, "X-Request-ID": f"scan-{n}"})
        assert r.status_code == 200
    unknown = world.client.post("/api/v1/fill-authorizations", json={"scan": "x"},
                                headers={"X-API-Key": "ct_unknown", "X-Request-ID": "bad-key"})
    assert unknown.status_code == 401
    for n in range(2):
        world.client.get("/api/v1/health", headers={"X-Request-ID": f"health-{n}"})
    lines = [rec.fields for rec in caplog.records if hasattr(rec, "fields")]
    fills = [f for f in lines if f["route"] == "/api/v1/fill-authorizations"]
    assert [(f["request_id"], f["status"], f.get("sampled")) for f in fills] == [
        ("scan-2", 200, 3), ("scan-5", 200, 3), ("bad-key", 401, None)]
    assert [f["request_id"] for f in lines if f["route"] == "/api/v1/health"] == [
        "health-0", "health-1"]
    metrics = world.client.get("/metrics").text
    assert 'route="/api/v1/fill-authorizations",status="200"' in metrics


def test_health_names_the_database(world: Any) -> None:
    assert world.client.get("/api/v1/health").json() == {"status": "ok", "database": "ok"}
