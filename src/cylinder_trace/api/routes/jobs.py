"""Routes of scheduled jobs, notifications and webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from ... import jobs
from ...domain.errors import NotFound
from ...schemas.accounts import Strict
from ...services import notifications
from ..deps import Action, CurrentPrincipal, SessionDep, acts

router = APIRouter(prefix="/api/v1")


class JobOut(BaseModel):
    name: str
    description: str
    schedule: dict[str, Any]
    last_run: datetime | None
    last_status: str | None
    last_result: dict[str, Any] | None
    last_error: str | None
    next_run: datetime | None


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    enterprise_id: uuid.UUID | None
    region_code: str | None
    title_zh: str
    title_en: str
    payload: dict[str, Any]
    created_at: datetime | None


class WebhookCreate(Strict):
    url: str = Field(min_length=8, max_length=500)
    enterprise_id: uuid.UUID | None = None
    region_code: str | None = Field(default=None, pattern=r"^\d{2,6}$")


class WebhookOut(BaseModel):
    id: uuid.UUID
    url: str
    enterprise_id: uuid.UUID | None
    region_code: str | None
    secret: str | None = Field(default=None, description="Shown once, at creation")


@router.get("/jobs",
            dependencies=[acts(Action.RUN_JOBS)], response_model=list[JobOut], tags=["jobs"])
def list_jobs(request: Request, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    """Each scheduled job: last run, next run, last error."""
    return jobs.status(getattr(request.app.state, "scheduler", None))


@router.post("/jobs/{name}/run",
             dependencies=[acts(Action.RUN_JOBS)], response_model=JobOut, tags=["jobs"])
def run_job(name: str, request: Request, principal: CurrentPrincipal) -> dict[str, Any]:
    """Run a job now (still once across instances)."""
    if name not in jobs.JOBS:
        raise NotFound("No such job")
    jobs.run_job(name)
    return next(j for j in jobs.status(getattr(request.app.state, "scheduler", None))
                if j["name"] == name)


@router.get("/notifications", response_model=list[NotificationOut], tags=["notifications"])
def list_notifications(session: SessionDep, principal: CurrentPrincipal) -> list[Any]:
    """Notifications for the caller's enterprise or regions, newest first."""
    return list(notifications.visible(session, principal))


@router.post("/webhooks",
             dependencies=[acts(Action.WEBHOOK)], response_model=WebhookOut,
             status_code=status.HTTP_201_CREATED,
             tags=["notifications"])
def create_webhook(body: WebhookCreate, session: SessionDep,
                   principal: CurrentPrincipal) -> WebhookOut:
    """A receiver of notifications; the secret that signs the bodies is shown once."""
    hook = notifications.create_webhook(session, principal, body.url, body.enterprise_id,
                                        body.region_code)
    session.flush()
    return WebhookOut(id=hook.id, url=hook.url, enterprise_id=hook.enterprise_id,
                      region_code=hook.region_code, secret=hook.secret)
