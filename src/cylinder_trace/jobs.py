"""Scheduled jobs (APScheduler): thin wrappers that call a service in one transaction.

Each run takes a PostgreSQL advisory lock named after the job, so several service instances
never run one job twice at once; a run that finds the lock taken is recorded as skipped.
The clock is injectable: ``run_job(name, now=...)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlmodel import Session, col, select

from .config import get_settings
from .db.engine import get_engine
from .db.tables.service import JobRun
from .services import licences, notifications, reminders, stats

log = logging.getLogger(__name__)

JobFn = Callable[[Session, datetime], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    name: str
    fn: JobFn
    cron: dict[str, Any] | None = None  # CronTrigger fields, in the configured time zone
    every_seconds: int | None = None
    description: str = ""


JOBS: dict[str, Job] = {j.name: j for j in (
    Job("inspection_digest", reminders.inspection_digest, cron={"hour": 7, "minute": 0},
        description="inspections overdue or due within 30 days, per enterprise, daily"),
    Job("service_life_digest", reminders.service_life_digest, cron={"hour": 7, "minute": 5},
        description="design service life ending within 90 days"),
    Job("credentials_digest", reminders.credentials_digest, cron={"hour": 7, "minute": 10},
        description="licences, certificates and vehicle permits expiring"),
    Job("non_resident_check_digest", reminders.non_resident_check_digest,
        cron={"hour": 7, "minute": 15},
        description="non-resident customers without a safety check this month"),
    Job("hazards_overdue_digest", reminders.hazards_overdue_digest, cron={"hour": 7, "minute": 20},
        description="open hazards past their deadline"),
    Job("expire_authorizations", reminders.expire_authorizations, every_seconds=60,
        description="close fill authorizations left open past their expiry"),
    Job("create_partitions", reminders.create_partitions, cron={"day": 1, "hour": 2},
        description="monthly event partitions three months ahead"),
    Job("compact_stats", stats.compact, every_seconds=60,
        description="fold the dashboard counters' delta rows into their tallies"),
    Job("apply_licence_changes", licences.apply_due, every_seconds=300,
        description="apply regulators' licence changes whose effective day has come"),
    Job("deliver_notifications", notifications.deliver_due,
        every_seconds=15, description="send due notifications to webhooks, with retries"),
)}


def run_job(name: str, now: datetime | None = None, **kwargs: Any) -> JobRun:
    """Run one job now (or at the given clock time), once across all instances."""
    job = JOBS[name]
    now = now or datetime.now(UTC)
    started = datetime.now(UTC)
    with Session(get_engine(), expire_on_commit=False) as session:
        got = session.execute(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:n, 7))"),
                              {"n": f"job:{name}"}).scalar()
        if not got:
            session.rollback()
            return _record(name, started, "skipped", {"reason": "running elsewhere"}, None)
        try:
            result = job.fn(session, now, **kwargs) if kwargs else job.fn(session, now)
            session.commit()
        except Exception as exc:
            session.rollback()
            log.exception("job %s failed", name)
            return _record(name, started, "error", None, f"{type(exc).__name__}: {exc}"[:1000])
    return _record(name, started, "ok", result, None)


def _record(name: str, started: datetime, status: str, result: dict[str, Any] | None,
            error: str | None) -> JobRun:
    run = JobRun(name=name, started_at=started, finished_at=datetime.now(UTC), status=status,
                 result=result, error=error)
    with Session(get_engine(), expire_on_commit=False) as session:
        session.add(run)
        session.commit()
    return run


def _trigger(job: Job) -> CronTrigger | IntervalTrigger:
    if job.every_seconds:
        return IntervalTrigger(seconds=job.every_seconds)
    return CronTrigger(timezone=get_settings().timezone, **(job.cron or {}))


def make_scheduler() -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=get_settings().timezone)
    for job in JOBS.values():
        scheduler.add_job(run_job, _trigger(job), args=[job.name], id=job.name,
                          max_instances=1, coalesce=True, misfire_grace_time=300)
    return scheduler


def status(scheduler: BackgroundScheduler | None) -> list[dict[str, Any]]:
    """Each job: last run, next run, last error (for GET /api/v1/jobs)."""
    out = []
    with Session(get_engine()) as session:
        for job in JOBS.values():
            last = session.exec(select(JobRun).where(col(JobRun.name) == job.name)
                                .order_by(col(JobRun.started_at).desc()).limit(1)).first()
            last_error = session.exec(select(JobRun).where(
                col(JobRun.name) == job.name, col(JobRun.status) == "error")
                .order_by(col(JobRun.started_at).desc()).limit(1)).first()
            next_run = None
            if scheduler is not None and (sj := scheduler.get_job(job.name)) is not None:
                next_run = sj.next_run_time
            else:
                next_run = _trigger(job).get_next_fire_time(None, datetime.now(UTC))
            out.append({
                "name": job.name, "description": job.description,
                "schedule": job.cron or {"every_seconds": job.every_seconds},
                "last_run": last.started_at if last else None,
                "last_status": last.status if last else None,
                "last_result": last.result if last else None,
                "last_error": last_error.error if last_error else None,
                "next_run": next_run,
            })
    return out
