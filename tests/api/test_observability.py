"""Request ids, structured access logs without personal data, Prometheus metrics."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from cylinder_trace.observe import JsonFormatter
from tests.factories import GOOD


def test_request_ids_metrics_and_log_lines(world: Any, caplog: pytest.LogCaptureFixture) -> None:
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


def test_health_names_the_database(world: Any) -> None:
    assert world.client.get("/api/v1/health").json() == {"status": "ok", "database": "ok"}
