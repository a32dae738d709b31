"""The service's own bookkeeping: the deployment's root secret, idempotent replays, job runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    PrimaryKeyConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from .columns import timestamp


class DeploymentKey(SQLModel, table=True):
    """The deployment's root secret when none is configured: created once by the first
    instance, read by every other, so labels and sessions verify on all of them."""

    __tablename__ = "deployment_key"

    name: str = Field(primary_key=True, max_length=32)
    secret: str
    created_at: datetime | None = timestamp()


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a retried write, returned again for the same key and caller."""

    __tablename__ = "idempotency_record"
    __table_args__ = (PrimaryKeyConstraint("scope", "key"),)

    scope: str
    key: str = Field(max_length=200)
    request_hash: str
    status_code: int
    response: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime | None = timestamp()


class JobRun(SQLModel, table=True):
    """Each run of a scheduled job: what it did, or why it failed."""

    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_name_started", "name", "started_at"),)

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    name: str = Field(max_length=60)
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    finished_at: datetime | None = timestamp(nullable=True, default_now=False)
    status: str = Field(max_length=12)  # ok | error | skipped
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    error: str | None = Field(default=None, max_length=1000)
