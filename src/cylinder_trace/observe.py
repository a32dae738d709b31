"""Observability: one access line per request with who and what but no personal data, every
logger through one formatter, and Prometheus metrics at /metrics.

No log line carries personal data or a raw query string, whoever writes it (our code, uvicorn,
SQLAlchemy, APScheduler, a library's exception): the one formatter below keeps the first line
of a message only, cuts query strings off URLs, masks anything shaped like an ID number or a
mobile number, and writes an exception as its type and where it was raised, never its text
(which may quote the row or the request that failed).

Formatting happens off the event loop: loggers leave records in a deque and one writer thread
formats and writes them every few milliseconds (see _Deferred).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import logging
import re
import threading
import time
import traceback
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

log = logging.getLogger("cylinder_trace.access")


class Prebound:
    """A labelled metric whose children are bound once per label values and kept: `.labels()`
    on prometheus_client validates and locks on every call, which the hot path need not pay."""

    def __init__(self, metric: Any) -> None:
        self.metric = metric
        self.children: dict[tuple[str, ...], Any] = {}

    def labels(self, *values: str) -> Any:
        child = self.children.get(values)
        if child is None:
            child = self.children[values] = self.metric.labels(*values)
        return child


REQUESTS = Prebound(Counter("ct_http_requests_total", "HTTP requests",
                            ["method", "route", "status"]))
LATENCY = Prebound(Histogram("ct_http_request_duration_seconds", "HTTP request latency",
                             ["route"], buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                 0.5, 1, 2.5, 10)))
DECISIONS = Prebound(Counter("ct_fill_decisions_total", "Fill authorization answers",
                             ["decision", "reason"]))
FILLS = Prebound(Counter("ct_fills_total", "Fill records", ["flag"]))


def request_metrics(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def access_line(request_id: str, method: str, route: str, status: int, seconds: float,
                actor: str | None, sampled: int = 1) -> None:
    """The access line: the route template, never the raw path or query (no customers' codes,
    no tokens in a URL). The record is only queued here; the listener thread formats it.
    ``sampled``: this line stands for so many answers of its route (one written in so many)."""
    if log.isEnabledFor(logging.INFO):
        fields: dict[str, Any] = {
            "request_id": request_id, "method": method, "route": route, "status": status,
            "ms": round(seconds * 1000, 2), "actor": actor}
        if sampled > 1:
            fields["sampled"] = sampled
        log.info("request", extra={"fields": fields})


# What must never reach a log line, wherever it comes from.
_QUERY = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]*")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}\d{7}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")


def scrub(message: str) -> str:
    first = message.split("\n", 1)[0]
    first = _QUERY.sub(r"\1?[query removed]", first)
    first = _ID_NUMBER.sub("[id number removed]", first)
    return _MOBILE.sub("[phone removed]", first)


def _where(exc_info: Any) -> str | None:
    """The innermost frames of an exception (file:line function), without its message."""
    tb = exc_info[2] if exc_info else None
    if tb is None:
        return None
    frames = traceback.extract_tb(tb)[-3:]
    return " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}"
                      for f in reversed(frames))


class SafeFormatter(logging.Formatter):
    """The one formatter of every logger: JSON (one object per line) or text."""

    def __init__(self, fmt: str = "json") -> None:
        super().__init__()
        self.json = fmt == "json"
        self._second = -1
        self._stamp = ""

    def _ts(self, created: float) -> str:
        second = int(created)
        if second != self._second:  # strftime once a second, not once a line
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%S",
                                                              time.localtime(second))
        return self._stamp

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = scrub(record.getMessage())
        except Exception:  # a bad format string is not worth losing the line over
            message = scrub(str(record.msg))
        entry: dict[str, Any] = {"ts": self._ts(record.created), "level": record.levelname,
                                 "logger": record.name, "message": message}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["where"] = _where(record.exc_info)
        if self.json:
            return json.dumps(entry, ensure_ascii=False, default=str)
        rest = " ".join(f"{k}={v}" for k, v in entry.items()
                        if k not in ("ts", "level", "logger", "message"))
        return f"{entry['ts']} {record.levelname} {record.name} {message} {rest}".rstrip()


# Kept for callers and tests that format one record by hand.
JsonFormatter = SafeFormatter


class _Deferred(logging.Handler):
    """Keeps each record as it is (a deque append: no formatting, no lock, no thread woken) and
    lets one writer thread format and write what has gathered every few milliseconds. A
    QueueHandler would format in the caller (on the event loop) and wake its listener for
    every line, a GIL hand-over per request."""

    def __init__(self, target: logging.Handler, every: float = 0.05) -> None:
        super().__init__()
        self.target = target
        self.every = every
        self.pending: collections.deque[logging.LogRecord] = collections.deque()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._write, name="log-writer", daemon=True)
        self.thread.start()

    def handle(self, record: logging.LogRecord) -> bool:
        self.pending.append(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        self.pending.append(record)

    def _drain(self) -> None:
        target = self.target
        if type(target) is not logging.StreamHandler or target.formatter is None \
                or target.filters:
            while self.pending:
                # (a failing line is dropped silently: logging.raiseExceptions is off, since
                # its report would print the record's arguments)
                target.handle(self.pending.popleft())
            return
        # A stream: what has gathered is formatted, then written and flushed at once (one
        # write and one flush a batch, not one of each a line: an access line cost 20-35 µs
        # of the worker's CPU written one by one).
        fmt, lines = target.formatter.format, []
        while self.pending:
            record = self.pending.popleft()
            if record.levelno < target.level:
                continue
            try:
                lines.append(fmt(record))
            except Exception:  # noqa: S112 (dropped, as logging drops a failing line)
                continue
        if lines:
            with target.lock or contextlib.nullcontext():
                try:
                    target.stream.write(target.terminator.join(lines) + target.terminator)
                    target.stream.flush()
                except Exception:  # noqa: S110 (a closed stream at exit: nothing to say)
                    pass

    def _write(self) -> None:
        while not self.stopped.wait(self.every):
            self._drain()
        self._drain()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self._drain()
        super().close()


_writer: _Deferred | None = None


def configure_logging(level: str, fmt: str) -> None:
    """Every logger of the process through one SafeFormatter on stderr, written off the loop."""
    global _writer
    if _writer is not None:
        _writer.close()
    logging.raiseExceptions = False
    # What the formatter never writes is not gathered for each record either: the caller's
    # file and line (a walk up the stack, most of a record's cost), the thread's and the
    # process's names (the logging HOWTO's "Optimization" section).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    out = logging.StreamHandler()
    out.setFormatter(SafeFormatter(fmt))
    _writer = _Deferred(out)
    root = logging.getLogger()
    root.handlers[:] = [_writer]
    root.setLevel(level)
    # uvicorn's loggers come with handlers and formatters of their own: drop them so their
    # lines go through the root's. Its access log (the raw path and query) is off: ours
    # replaces it. SQLAlchemy logs SQL and parameters at INFO: never below WARNING here.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("sqlalchemy").setLevel(max(logging.WARNING, root.level))


@atexit.register
def _flush() -> None:
    if _writer is not None:
        _writer.close()


class DatabaseGauges(Collector):
    """Values read at scrape time: the notification outbox, job runs."""

    def collect(self) -> Any:
        from sqlalchemy import text

        from .db.engine import get_engine

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
