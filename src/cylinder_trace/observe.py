"""Observability: a request id on every request, one structured (JSON) log line per request
with who and what but no personal data, and Prometheus metrics at /metrics."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("cylinder_trace.access")

REQUESTS = Counter("ct_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("ct_http_request_duration_seconds", "HTTP request latency", ["route"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))
DECISIONS = Counter("ct_fill_decisions_total", "Fill authorization answers",
                    ["decision", "reason"])
FILLS = Counter("ct_fills_total", "Fill records", ["flag"])


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
                                 "level": record.levelname, "logger": record.name,
                                 "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class Observe:
    """Request id in and out, the access log line, request metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if given.isprintable() and 0 < len(given) <= 64 else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status)).inc()
            LATENCY.labels(route).observe(elapsed)
            principal = scope.get("state", {}).get("principal")
            # The route template, never the raw path or query: no codes of customers, no tokens.
            log.info("request", extra={"fields": {
                "request_id": request_id, "method": scope["method"], "route": route,
                "status": status, "ms": round(elapsed * 1000, 2),
                "actor": principal.actor if principal is not None else None}})


class DatabaseGauges(Collector):
    """Values read at scrape time: the notification outbox, job runs."""

    def collect(self) -> Any:
        from sqlalchemy import text

        from .db import get_engine

        outbox = GaugeMetricFamily("ct_outbox_pending", "Notification deliveries not yet sent")
        jobs = GaugeMetricFamily("ct_job_runs", "Job runs recorded", labels=["job", "status"])
        try:
            with get_engine().connect() as conn:
                outbox.add_metric([], conn.execute(text(
                    "SELECT count(*) FROM notification_delivery WHERE status = 'pending'"))
                    .scalar() or 0)
                for job, status, n in conn.execute(text(
                        "SELECT name, status, count(*) FROM job_run GROUP BY 1, 2")):
                    jobs.add_metric([job, status], n)
        except Exception:  # the scrape still answers; /api/v1/health says what is down
            return
        yield outbox
        yield jobs


_registered = False


def metrics_response() -> tuple[bytes, str]:
    global _registered
    if not _registered:
        REGISTRY.register(DatabaseGauges())
        _registered = True
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
